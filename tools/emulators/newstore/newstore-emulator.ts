import { randomUUID } from 'node:crypto';
import formbody from '@fastify/formbody';
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RetailDayOptions } from '../shared/retail-day';
import {
  DEFAULT_PUSHER,
  EventStreamPusher,
  Integration,
  IntegrationRequest,
  PusherSettings,
} from './event-stream-pusher';
import { DEFAULT_LIMITS, GraphQlLimits, NewStoreGraphQl } from './graphql-api';
import { DEFAULT_LAG, LagModel, RetailDayStore } from './retail-day-store';

export interface NewStoreEmulatorOptions {
  day: RetailDayOptions;
  clientId?: string;
  clientSecret?: string;
  tokenTtlSeconds?: number;
  /** 'published': orders appear in GraphQL only after the pusher sent them, plus lag. */
  visibility?: 'published' | 'all';
  lag?: Partial<LagModel>;
  limits?: Partial<GraphQlLimits>;
  pusher?: Partial<PusherSettings>;
}

function integrationView(integration: Integration) {
  return {
    id: integration.id,
    ...integration.request,
    status: integration.status,
    stopped_reason: integration.stoppedReason ?? null,
    // Not NewStore's: the emulator says when its day is delivered (the demo waits for it).
    _day_delivered: integration.dayDelivered,
    delivered: integration.delivered,
    duplicates_sent: integration.duplicatesSent,
    attempts: integration.attempts,
    rejected: integration.rejected.size,
  };
}

/**
 * The NewStore side of the hub for tests, benchmarks and the demo, at NewStore's
 * paths: client-credentials token (`/auth/realms/{tenant}/protocol/openid-connect/token`),
 * GraphQL (`/api/v1/org/data/query`), event-stream integrations
 * (`/api/v1/org/integrations/eventstream`), plus `/_emulator/*` controls that the
 * real service does not have.
 */
export class NewStoreEmulator {
  readonly app: FastifyInstance;
  readonly store: RetailDayStore;
  readonly graphql: NewStoreGraphQl;
  readonly pusher: EventStreamPusher;
  private readonly tokens = new Map<string, number>();
  private readonly options: NewStoreEmulatorOptions;
  /** Fault injection: share of GraphQL calls answered 503 (0..1). */
  graphqlErrorRate = 0;
  graphqlRequests = 0;

  constructor(options: NewStoreEmulatorOptions) {
    this.options = options;
    this.store = new RetailDayStore(options.day, {
      mode: options.visibility ?? 'all',
      lag: { ...DEFAULT_LAG, ...options.lag },
    });
    this.graphql = new NewStoreGraphQl(this.store, { ...DEFAULT_LIMITS, ...options.limits });
    this.pusher = new EventStreamPusher(this.store, { ...DEFAULT_PUSHER, ...options.pusher });
    this.app = Fastify({ logger: false, bodyLimit: 1_048_576 });
    void this.app.register(formbody);
    this.routes();
  }

  private authorized(request: FastifyRequest): boolean {
    const match = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '');
    const expires = match ? this.tokens.get(match[1]) : undefined;
    return expires !== undefined && expires > Date.now();
  }

  private routes(): void {
    const app = this.app;
    const tenant = this.options.day.tenant;

    app.post('/auth/realms/:tenant/protocol/openid-connect/token', async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, string>;
      const basic = /^Basic (\S+)$/.exec(request.headers.authorization ?? '');
      const [basicId, basicSecret] = basic ? Buffer.from(basic[1], 'base64').toString('utf8').split(':') : [];
      const clientId = body.client_id ?? basicId;
      const clientSecret = body.client_secret ?? basicSecret;
      if ((request.params as { tenant: string }).tenant !== tenant)
        return reply.status(404).send({ error: 'Realm does not exist' });
      if (body.grant_type !== 'client_credentials') return reply.status(400).send({ error: 'unsupported_grant_type' });
      if (
        clientId !== (this.options.clientId ?? 'hub') ||
        clientSecret !== (this.options.clientSecret ?? 'hub-secret')
      ) {
        return reply
          .status(401)
          .send({ error: 'unauthorized_client', error_description: 'Invalid client or Invalid client credentials' });
      }
      const token = randomUUID();
      const ttl = this.options.tokenTtlSeconds ?? 300;
      this.tokens.set(token, Date.now() + ttl * 1000);
      return { access_token: token, token_type: 'Bearer', expires_in: ttl };
    });

    app.register(async (api) => {
      api.addHook('onRequest', async (request, reply) => {
        if (!this.authorized(request))
          return reply.status(401).send({ message: 'Unauthorized: a valid bearer token is required' });
      });

      api.post('/api/v1/org/data/query', async (request, reply) => {
        this.graphqlRequests += 1;
        if (this.graphqlErrorRate > 0 && Math.random() < this.graphqlErrorRate) {
          return reply.status(503).send({ message: 'Service temporarily unavailable' });
        }
        const forceTimezone = String(request.headers['force-render-timezone'] ?? '').toLowerCase() === 'true';
        const result = await this.graphql.run(request.body ?? {}, forceTimezone);
        return reply.status(result.status).send(result.body);
      });

      const integrations = '/api/v1/org/integrations/eventstream';
      api.post(integrations, async (request, reply) => {
        const body = request.body as Partial<IntegrationRequest> | undefined;
        const url = body?.callback_parameters?.callback_url;
        if (!url || !/^https?:\/\//.test(url)) {
          return reply
            .status(400)
            .send({ message: 'callback_parameters.callback_url is required and must be an http(s) URL' });
        }
        try {
          return reply.status(201).send(integrationView(this.pusher.register(body as IntegrationRequest)));
        } catch (error) {
          return reply.status(409).send({ message: (error as Error).message });
        }
      });
      api.get(integrations, async () => [...this.pusher.integrations.values()].map(integrationView));
      const withIntegration =
        (handler: (id: string, request: FastifyRequest, reply: FastifyReply) => unknown) =>
        async (request: FastifyRequest, reply: FastifyReply) => {
          const { id } = request.params as { id: string };
          if (!this.pusher.integrations.has(id))
            return reply.status(404).send({ message: `integration ${id} not found` });
          return handler(id, request, reply);
        };
      api.get(
        `${integrations}/:id`,
        withIntegration((id) => integrationView(this.pusher.get(id))),
      );
      api.post(
        `${integrations}/:id/_start`,
        withIntegration((id) => integrationView(this.pusher.start(id))),
      );
      api.post(
        `${integrations}/:id/_stop`,
        withIntegration((id) => integrationView(this.pusher.stop(id))),
      );
      // Seed 004: "List integration log entries" (path assumed).
      api.get(
        `${integrations}/:id/logs`,
        withIntegration((id) => this.pusher.get(id).log),
      );
      api.get(
        `${integrations}/:id/rejected`,
        withIntegration((id) => [...this.pusher.get(id).rejected.values()]),
      );
      api.post(
        `${integrations}/:id/rejected/:eventId/_retry`,
        withIntegration(async (id, request, reply) => {
          const { eventId } = request.params as { eventId: string };
          if (!this.pusher.get(id).rejected.has(eventId))
            return reply.status(404).send({ message: `rejected event ${eventId} not found` });
          const stillRejected = await this.pusher.retryRejected(id, eventId);
          return { event_id: eventId, delivered: !stillRejected };
        }),
      );
      api.delete(
        `${integrations}/:id/rejected/:eventId`,
        withIntegration((id, request, reply) =>
          this.pusher.deleteRejected(id, (request.params as { eventId: string }).eventId)
            ? reply.status(204).send()
            : reply.status(404).send(),
        ),
      );
    });

    // Emulator controls (not part of NewStore).
    app.put('/_emulator/faults', async (request) => {
      const body = (request.body ?? {}) as { graphqlErrorRate?: number; queryDelayMs?: number };
      this.graphqlErrorRate = body.graphqlErrorRate ?? 0;
      this.graphql.queryDelayMs = body.queryDelayMs ?? 0;
      return { graphqlErrorRate: this.graphqlErrorRate, queryDelayMs: this.graphql.queryDelayMs };
    });
    app.put('/_emulator/pusher', async (request) => {
      this.pusher.settings = { ...this.pusher.settings, ...((request.body ?? {}) as Partial<PusherSettings>) };
      return this.pusher.settings;
    });
    // Emulator control, not part of NewStore: its own liveness, for docker-compose's health check.
    app.get('/_emulator/health', async () => ({ status: 'ok' }));
    app.post('/_emulator/orders/:id/lag', async (request) => {
      const { id } = request.params as { id: string };
      this.store.setLag(id, Number((request.body as { lagMs?: number } | undefined)?.lagMs ?? 0));
      return { id };
    });
    app.post('/_emulator/orders/:id/drop', async (request) => {
      this.pusher.droppedOrderIds.add((request.params as { id: string }).id);
      return { dropped: [...this.pusher.droppedOrderIds] };
    });
    // One event never delivered (emulator control): `{name, id}`, the event's name and its payload's id.
    app.post('/_emulator/events/drop', async (request, reply) => {
      const { name, id } = (request.body ?? {}) as { name?: unknown; id?: unknown };
      if (typeof name !== 'string' || typeof id !== 'string')
        return reply.status(400).send({ error: 'give {"name": event name, "id": its payload id}' });
      this.pusher.droppedEvents.add(`${name}:${id}`);
      return { dropped: [...this.pusher.droppedEvents] };
    });
    app.get('/_emulator/orders', async (request) => {
      const { from, count } = request.query as { from?: string; count?: string };
      const start = Number(from ?? 0);
      const orders = [];
      for (let index = start; index < Math.min(this.store.size, start + Number(count ?? 10)); index += 1)
        orders.push(this.store.order(index));
      return orders;
    });
  }

  async listen(port: number, host = '127.0.0.1'): Promise<string> {
    return this.app.listen({ port, host });
  }

  async close(): Promise<void> {
    for (const integration of this.pusher.integrations.values()) this.pusher.stop(integration.id, 'emulator closing');
    await Promise.all([...this.pusher.integrations.keys()].map((id) => this.pusher.idle(id)));
    await this.app.close();
  }
}
