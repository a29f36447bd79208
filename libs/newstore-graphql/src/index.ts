export * from './newstore-graphql.client';
export * from './newstore-config';
