/** NewStore's GraphQL API (orders by id, the day's order listing), each tenant through its own connection. */
export const NEWSTORE_CLIENT = Symbol('NEWSTORE_CLIENT');
/** Each tenant's ERP port (ErpPorts): the day's transactions, and a duplicate's deletion by resync. */
export const ERP_PORTS = Symbol('ERP_PORTS');
/** Decodes erp.documents.v1 values through the schema registry (a DocumentCodec). */
export const ERP_DOCUMENT_CODEC = Symbol('ERP_DOCUMENT_CODEC');
