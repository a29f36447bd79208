export * from './fixtures';
export * from './kafka-topic-reader';
export * from './names';
export * from './service-under-test';
export * from './sample-documents';
export * from './settings';
export * from './spawn-app';
export * from './wait-for';
