import { zodToJsonSchema } from 'zod-to-json-schema';
import { discrepancySchema, runSchema } from '../reconciliation/reconciliation.schemas';
import { periodBody, reconcileBody, resyncBody } from './admin-requests';

/**
 * An OpenAPI 3.0 schema made from the zod schema that validates the request or types
 * the answer: the document cannot drift from what the API takes and returns.
 */
function openApiSchema(schema: Parameters<typeof zodToJsonSchema>[0]): Record<string, unknown> {
  const made = zodToJsonSchema(schema, { target: 'openApi3', $refStrategy: 'none' }) as Record<string, unknown>;
  delete made.$schema;
  return made;
}

const runsResponse = (description: string) => ({
  description,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: { runs: { type: 'array', items: { $ref: '#/components/schemas/Run' } } },
      },
    },
  },
});

const date = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', example: '2024-01-02' };
const tenant = { type: 'string', description: 'A tenant of RECONCILER_TENANTS; the first one when omitted' };
const errors = {
  '400': { description: 'Invalid input; the message says which field and why' },
  '401': { description: 'Missing or wrong bearer token (RECONCILER_ADMIN_TOKENS)' },
};

/** The admin API of the reconciler as OpenAPI 3.0; served at GET /admin/openapi.json. */
export const ADMIN_OPENAPI = {
  openapi: '3.0.3',
  info: {
    title: 'parity-hub reconciler admin API',
    version: '1.0.0',
    description:
      'Daily three-way reconciliation (NewStore, hub, ERP), reports, resync and projection rebuild. Every path but this document needs Authorization: Bearer <token>.',
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    schemas: {
      Run: openApiSchema(runSchema),
      Discrepancy: openApiSchema(discrepancySchema),
    },
  },
  security: [{ bearer: [] }],
  paths: {
    '/admin/reconciliations': {
      post: {
        summary: 'Reconcile a day or a range of days now',
        requestBody: {
          content: {
            'application/json': {
              schema: openApiSchema(reconcileBody),
            },
          },
        },
        responses: { '200': runsResponse('The runs, one per day'), ...errors },
      },
      get: {
        summary: 'List runs',
        parameters: [
          { name: 'tenant', in: 'query', schema: { type: 'string' } },
          { name: 'date', in: 'query', schema: date },
        ],
        responses: { '200': runsResponse('Runs, newest first'), ...errors },
      },
    },
    '/admin/reconciliations/periods': {
      post: {
        summary:
          'A month or a year from the stored daily extracts and the projections; days not stored are reconciled now, one at a time',
        requestBody: {
          content: {
            'application/json': {
              schema: openApiSchema(periodBody),
            },
          },
        },
        responses: {
          '200': { description: 'Totals per day, per kind, per document type; amount delta per currency' },
          ...errors,
        },
      },
    },
    '/reports/{page}': {
      get: {
        summary: 'The parity report as a web page: /reports/YYYY-MM-DD.html (a day) or /reports/YYYY-MM.html (a month)',
        parameters: [
          { name: 'page', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'tenant', in: 'query', schema: { type: 'string' } },
        ],
        responses: { '200': { description: 'HTML with inline SVG charts, no script' }, ...errors },
      },
    },
    '/admin/reports/{date}': {
      get: {
        summary: "A day's report: the last run and its discrepancies, as JSON, CSV or text",
        parameters: [
          { name: 'date', in: 'path', required: true, schema: date },
          { name: 'tenant', in: 'query', schema: { type: 'string' } },
          { name: 'format', in: 'query', schema: { enum: ['json', 'csv', 'text'] } },
          { name: 'include', in: 'query', schema: { enum: ['open', 'all'] } },
        ],
        responses: { '200': { description: 'The report' }, ...errors },
      },
    },
    '/admin/orders/{id}': {
      get: {
        summary:
          "One order's story: its events on newstore.events.v1 (time, name, event id, duplicates), each with its enrichment outcome (documents made, retries with tier and reason, parked behind an event in retry, dead-lettered), each ERP document with its outcome (status, ERP internal id, attempts, last error), its dead letters, its discrepancies, open and resolved, and what operators did to it",
        parameters: [
          {
            name: 'id',
            in: 'path',
            required: true,
            description: 'The NewStore order id, the order number, or the external id of one of its ERP documents',
            schema: { type: 'string' },
          },
          { name: 'tenant', in: 'query', schema: tenant },
        ],
        responses: {
          '200': {
            description: 'The order, its events, documents, dead letters and discrepancies',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    tenant: { type: 'string' },
                    order: {
                      type: 'object',
                      properties: {
                        orderId: { type: 'string' },
                        orderNumber: { type: 'string', nullable: true },
                        channelType: { type: 'string', nullable: true },
                        businessDate: { ...date, nullable: true },
                        currency: { type: 'string', nullable: true },
                        total: {
                          type: 'string',
                          nullable: true,
                          description: "NewStore's grand total, a decimal string",
                        },
                        itemCount: { type: 'integer', nullable: true },
                        historical: { type: 'boolean' },
                        status: { type: 'string' },
                      },
                    },
                    events: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          partition: { type: 'integer' },
                          offset: { type: 'string' },
                          at: { type: 'string', format: 'date-time' },
                          name: { type: 'string', nullable: true },
                          eventId: { type: 'string', nullable: true },
                          duplicate: { type: 'boolean' },
                          enrichment: {
                            type: 'object',
                            nullable: true,
                            description: 'Where the enricher is with the event; null for a copy of an earlier one',
                            properties: {
                              state: {
                                type: 'string',
                                enum: [
                                  'enriched',
                                  'dead-lettered',
                                  'in retry',
                                  'retried',
                                  'waiting',
                                  'no document',
                                  'needs no document',
                                ],
                                description:
                                  'waiting: parked behind an earlier event of the order that is in retry; retried: its last retry tier is due and nothing is made from it yet',
                              },
                              detail: { type: 'string' },
                              retries: {
                                type: 'array',
                                description: "Its moves to the enricher's retry tiers, oldest first",
                                items: {
                                  type: 'object',
                                  properties: {
                                    eventId: { type: 'string', nullable: true },
                                    eventName: { type: 'string', nullable: true },
                                    attempt: { type: 'integer', nullable: true, description: '1 for the first tier' },
                                    delayMs: { type: 'integer', description: "The tier's delay" },
                                    reason: { type: 'string', nullable: true },
                                    movedAt: { type: 'string', format: 'date-time' },
                                    dueAt: { type: 'string', format: 'date-time', nullable: true },
                                  },
                                },
                              },
                            },
                          },
                        },
                      },
                    },
                    documents: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          documentType: { type: 'string' },
                          externalId: { type: 'string', nullable: true },
                          sourceEvent: { type: 'string', nullable: true },
                          sourceEventId: { type: 'string', nullable: true },
                          status: { type: 'string', nullable: true },
                          erpInternalId: { type: 'string', nullable: true },
                          attempts: { type: 'integer', nullable: true },
                          error: { type: 'string', nullable: true },
                        },
                      },
                    },
                    deadLetters: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          eventId: { type: 'string', nullable: true },
                          eventName: { type: 'string', nullable: true },
                          reason: { type: 'string', nullable: true },
                        },
                      },
                    },
                    discrepancies: {
                      type: 'object',
                      properties: {
                        open: { type: 'array', items: { $ref: '#/components/schemas/Discrepancy' } },
                        resolved: { type: 'array', items: { $ref: '#/components/schemas/Discrepancy' } },
                      },
                    },
                    actions: {
                      type: 'array',
                      description: 'What operators did to the order from the report pages, oldest first',
                      items: {
                        type: 'object',
                        properties: {
                          at: { type: 'string', format: 'date-time' },
                          actor: { type: 'string', description: 'The name given on the form, and how they signed in' },
                          action: { type: 'string', enum: ['resync', 'replay-dead-letter'] },
                          what: {
                            type: 'string',
                            description: 'What was asked: discrepancies, amounts confirmed, what was written',
                          },
                          outcome: { type: 'string' },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
          ...errors,
          '404': {
            description: 'No order of the tenant with that id, order number or ERP external id in the projections',
          },
        },
      },
    },
    '/admin/resync': {
      post: {
        summary:
          'Resync the open discrepancies of a day, or some orders: their events replayed through the pipeline, or their documents re-posted as built (source)',
        requestBody: {
          content: {
            'application/json': {
              schema: openApiSchema(resyncBody),
            },
          },
        },
        responses: {
          '200': { description: 'What was replayed, injected, deleted or left to a person' },
          ...errors,
          '502': {
            description:
              'Some orders failed after retries (the ERP or NewStore refused): the same summary, with `failed` naming each; the rest was done',
          },
        },
      },
    },
    '/admin/eventstream': {
      get: {
        summary: "Each tenant's NewStore event-stream integration: status, why it stopped, rejected events, last event",
        responses: { '200': { description: 'The watched integrations' }, ...errors },
      },
    },
    '/admin/eventstream/{tenant}/rejected': {
      get: {
        summary: 'The events NewStore keeps as rejected for the tenant, to retry or delete one by one',
        parameters: [{ name: 'tenant', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'The rejected events' }, ...errors },
      },
    },
    '/admin/eventstream/{tenant}/rejected/{eventId}/retry': {
      post: {
        summary: 'Ask NewStore to deliver a rejected event again',
        parameters: [
          { name: 'tenant', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'eventId', in: 'path', required: true, schema: { type: 'string' } },
        ],
        responses: { '200': { description: 'Retried' }, ...errors },
      },
    },
    '/admin/eventstream/{tenant}/rejected/{eventId}': {
      delete: {
        summary: 'Delete a rejected event for good (it will not reach the hub)',
        parameters: [
          { name: 'tenant', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'eventId', in: 'path', required: true, schema: { type: 'string' } },
        ],
        responses: { '204': { description: 'Deleted' }, ...errors },
      },
    },
    '/admin/eventstream/{tenant}/start': {
      post: {
        summary: 'Start the integration again; refused (409) while rejected events are left or ingest is not ready',
        parameters: [{ name: 'tenant', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'Started' }, '409': { description: 'Not safe yet, and why' }, ...errors },
      },
    },
    '/admin/rebuild': {
      post: {
        summary: 'Drop the projections and replay every topic from the beginning',
        responses: { '202': { description: 'Started (or already running); progress as in GET' }, ...errors },
      },
      get: {
        summary: 'Progress of the rebuild: events done, events/s, estimated seconds left',
        responses: { '200': { description: 'Progress' }, ...errors },
      },
    },
  },
} as const;
