/** The ERP port, wrapped in its circuit breaker (a CircuitBreakingErpPort). */
export const ERP_PORT = Symbol('ERP_PORT');
/** Encodes and decodes erp.documents.v1 values through the schema registry. */
export const ERP_DOCUMENT_CODEC = Symbol('ERP_DOCUMENT_CODEC');
/** The batching publisher of erp.sync-status.v1. */
export const SYNC_STATUS_PUBLISHER = Symbol('SYNC_STATUS_PUBLISHER');
/** ERP requests in flight (a ConcurrencyLimit), shared by every partition and the sweep of parked documents. */
export const ERP_REQUESTS = Symbol('ERP_REQUESTS');
