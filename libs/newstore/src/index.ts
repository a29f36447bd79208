export * from './envelope';
export * from './event-id';
export * from './event-key';
export * from './event-names';
export * from './event-record';
export * from './trace-context';
