export * from './config-error';
export * from './env-schema';
export * from './kafka-config';
export * from './load-config';
export * from './command-arguments';
export * from './tenants-file';
