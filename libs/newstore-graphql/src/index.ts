export * from './newstore-graphql.client';
export * from './newstore-config';
export * from './newstore-event-stream.client';
