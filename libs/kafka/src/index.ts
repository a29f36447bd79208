export * from './hub-consumer';
export * from './hub-producer';
export * from './kafka-client';
export * from './schema-registry';
export * from './topic-admin';
export * from './kafka-infrastructure';
export * from './batching-publisher';
