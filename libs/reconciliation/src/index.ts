export * from './business-day';
export * from './discrepancies';
export * from './order-events';
export * from './document-parity';
export * from './enrichment-retry';
