export * from './envelope';
export * from './event-id';
export * from './event-key';
export * from './event-names';
export * from './event-record';
export * from './trace-context';
export * from './document-mapping';
export * from './graphql-order';
