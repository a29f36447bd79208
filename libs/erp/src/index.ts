export * from './erp-port';
export * from './generic-http.adapter';
export * from './http-failure';
export * from './netsuite-rest.adapter';
export * from './circuit-breaker';
export * from './netsuite-tba';
export * from './erp-config';
