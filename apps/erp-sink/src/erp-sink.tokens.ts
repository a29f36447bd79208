/** Encodes and decodes erp.documents.v1 values through the schema registry. */
export const ERP_DOCUMENT_CODEC = Symbol('ERP_DOCUMENT_CODEC');
/** The batching publisher of erp.sync-status.v1. */
export const SYNC_STATUS_PUBLISHER = Symbol('SYNC_STATUS_PUBLISHER');
