export * from './newstore-graphql.client';
