/** NewStore's GraphQL API (orders by id, the day's order listing). */
export const NEWSTORE_CLIENT = Symbol('NEWSTORE_CLIENT');
/** The ERP port, read-only use: the day's transactions, and a duplicate's deletion by resync. */
export const ERP_PORT = Symbol('ERP_PORT');
/** Decodes erp.documents.v1 values through the schema registry (a DocumentCodec). */
export const ERP_DOCUMENT_CODEC = Symbol('ERP_DOCUMENT_CODEC');
