/** NewStore's GraphQL API as the enricher reads it (NewStoreOrders). */
export const NEWSTORE_ORDERS = Symbol('NEWSTORE_ORDERS');
/** Encodes erp.documents.v1 values through the schema registry (a DocumentCodec). */
export const ERP_DOCUMENT_CODEC = Symbol('ERP_DOCUMENT_CODEC');
/** erp.documents.v1's BatchingPublisher: documents of orders enriched at once share Kafka sends. */
export const DOCUMENT_PUBLISHER = Symbol('DOCUMENT_PUBLISHER');
/** Each tenant's ERP ids (`mappingFor(tenant)`), read and validated from the mapping files at start-up. */
export const DEPLOYMENT_MAPPING = Symbol('DEPLOYMENT_MAPPING');
