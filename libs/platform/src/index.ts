export * from './bootstrap';
export * from './health.controller';
export * from './platform.module';
export * from './service-runtime';
export * from './hub-service';
export * from './bearer-token';
export * from './http-error.filter';
export * from './child-process';
