export * from './headers';
export * from './topics';
export * from './erp-document';
export * from './discrepancy';
export * from './money';
export * from './retry';
