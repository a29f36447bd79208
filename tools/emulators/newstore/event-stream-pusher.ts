import { randomUUID } from 'node:crypto';
import { MinHeap } from '../shared/min-heap';
import { eventsOfOrder, StreamEvent } from '../shared/newstore-events';
import { RetailDayStore } from './retail-day-store';

/**
 * NewStore's event stream as an integration sees it (docs/domain.md section 1):
 * at least once (a share of events is delivered twice), no ordering promise
 * (deliveries run concurrently and retries overtake), non-2xx retried up to 10
 * times with exponential back-off over about 20 minutes, a 400 marks the event
 * rejected (stored for retry or deletion), too many rejections or an event that
 * stays failing stop the integration.
 */
export interface PusherSettings {
  /** Share of events delivered a second time (0..1). */
  duplicateRate: number;
  /**
   * A duplicate is sent up to this long after the original (0: right after it), so a
   * redelivery can arrive after later events (docs/domain.md section 1: at least once, no
   * ordering promise).
   */
  duplicateDelayMaxMs: number;
  /**
   * Share of events held back and delivered only after up to holdBackMax later events
   * (0: none): a cancellation or payment can then arrive before its order.opened.
   */
  holdBackRate: number;
  holdBackMax: number;
  concurrency: number;
  /** Events per second at most; 0 = as fast as the callback answers. */
  ratePerSecond: number;
  maxAttempts: number;
  /** First retry delay; doubles each time. 1.17 s × (2^10 − 1) ≈ 20 minutes, like NewStore. */
  retryBaseMs: number;
  /** Multiplies every retry delay: 0.001 makes 20 minutes last 1.2 s in a test. */
  timeScale: number;
  maxRejected: number;
  requestTimeoutMs: number;
}

export const DEFAULT_PUSHER: PusherSettings = {
  duplicateRate: 0.01,
  duplicateDelayMaxMs: 0,
  holdBackRate: 0,
  holdBackMax: 0,
  concurrency: 4,
  ratePerSecond: 0,
  maxAttempts: 10,
  retryBaseMs: 1_170,
  timeScale: 1,
  maxRejected: 100,
  requestTimeoutMs: 30_000,
};

export interface IntegrationRequest {
  callback_parameters: { callback_url: string; api_key?: string };
  filter_conditions?: { event_filter?: string[] };
  start_date?: string;
  end_date?: string;
}

export interface RejectedEvent {
  eventId: string;
  name: string;
  orderId: string;
  status: number;
  response: string;
  rejectedAt: string;
  envelope: StreamEvent['envelope'];
}

export interface Integration {
  id: string;
  request: IntegrationRequest;
  /**
   * Seed 004 names two states, emitting and stopped ("the service stops emitting";
   * Start/Stop integration). An integration that has delivered the day keeps running,
   * waiting for new events, as NewStore's does.
   */
  status: 'created' | 'running' | 'stopped';
  /** Emulator only: every event of the day (this run) has been delivered. */
  dayDelivered: boolean;
  stoppedReason?: string;
  delivered: number;
  duplicatesSent: number;
  attempts: number;
  rejected: Map<string, RejectedEvent>;
  /**
   * What happened to the integration, newest last: why it stopped, when it started.
   * Seed 004 ("Managing rejected events"): "Call List integration log entries to
   * learn why the integration was stopped". The entry's shape is assumed.
   */
  log: { created_at: string; level: 'info' | 'error'; message: string }[];
}

/** Merges each order's events (in time order) into the day's publication order, lazily. */
export function* publicationOrder(store: RetailDayStore): Generator<StreamEvent> {
  const pending = new MinHeap<StreamEvent>((event) => event.at);
  for (let index = 0; index < store.size; index += 1) {
    const order = store.order(index);
    const created = Date.parse(order.createdAt);
    while (pending.size > 0 && pending.peek()!.at <= created) yield pending.pop()!;
    for (const event of eventsOfOrder(order, store.day.tenant)) pending.push(event);
  }
  while (pending.size > 0) yield pending.pop()!;
}

export class EventStreamPusher {
  readonly integrations = new Map<string, Integration>();
  /** Orders whose events are never delivered: plants "missing in hub" for reconciliation tests. */
  readonly droppedOrderIds = new Set<string>();
  /**
   * Single events never delivered, as `name:payload id` (a cancellation or a return NewStore
   * holds and whose event was lost): plants a missing later document for reconciliation.
   */
  readonly droppedEvents = new Set<string>();
  private readonly runs = new Map<string, Promise<void>>();
  /** Duplicates sent later than their original (duplicateDelayMaxMs), not yet sent. */
  private readonly lateDuplicates = new Set<Promise<unknown>>();

  constructor(
    private readonly store: RetailDayStore,
    public settings: PusherSettings = DEFAULT_PUSHER,
    private readonly random: () => number = Math.random,
  ) {}

  register(request: IntegrationRequest): Integration {
    if (this.integrations.size >= 25) throw new Error('At most 25 integrations per tenant');
    const integration: Integration = {
      id: randomUUID(),
      request,
      status: 'created',
      dayDelivered: false,
      log: [],
      delivered: 0,
      duplicatesSent: 0,
      attempts: 0,
      rejected: new Map(),
    };
    this.integrations.set(integration.id, integration);
    return integration;
  }

  start(id: string): Integration {
    const integration = this.get(id);
    if (integration.status === 'running') return integration;
    integration.status = 'running';
    integration.dayDelivered = false;
    integration.stoppedReason = undefined;
    integration.log.push({ created_at: new Date().toISOString(), level: 'info', message: 'integration started' });
    const run = this.deliverDay(integration).finally(() => this.runs.delete(id));
    this.runs.set(id, run);
    return integration;
  }

  stop(id: string, reason = 'stopped by request'): Integration {
    const integration = this.get(id);
    if (integration.status === 'running') {
      integration.status = 'stopped';
      integration.stoppedReason = reason;
      integration.log.push({
        created_at: new Date().toISOString(),
        level: 'error',
        message: `integration stopped: ${reason}`,
      });
    }
    return integration;
  }

  /** Resolves when the integration's current run has ended (the day delivered, or stopped). */
  async idle(id: string): Promise<void> {
    await this.runs.get(id);
  }

  async retryRejected(id: string, eventId: string): Promise<RejectedEvent | undefined> {
    const integration = this.get(id);
    const rejected = integration.rejected.get(eventId);
    if (!rejected) return undefined;
    integration.rejected.delete(eventId);
    await this.deliver(integration, {
      at: Date.parse(rejected.envelope.published_at),
      orderId: rejected.orderId,
      envelope: rejected.envelope,
    });
    return integration.rejected.get(eventId);
  }

  deleteRejected(id: string, eventId: string): boolean {
    return this.get(id).rejected.delete(eventId);
  }

  get(id: string): Integration {
    const integration = this.integrations.get(id);
    if (!integration) throw new Error(`integration ${id} not found`);
    return integration;
  }

  private async deliverDay(integration: Integration): Promise<void> {
    const filter = integration.request.filter_conditions?.event_filter;
    const from = integration.request.start_date ? Date.parse(integration.request.start_date) : -Infinity;
    const to = integration.request.end_date ? Date.parse(integration.request.end_date) : Infinity;
    const events = publicationOrder(this.store);
    const interval = this.settings.ratePerSecond > 0 ? 1000 / this.settings.ratePerSecond : 0;
    // Events held back (holdBackRate), each released once `taken` reaches its turn.
    const held: { event: StreamEvent; turn: number }[] = [];
    let taken = 0;
    const take = (): StreamEvent | undefined => {
      for (;;) {
        const due = held.findIndex((entry) => entry.turn <= taken);
        if (due >= 0) return held.splice(due, 1)[0].event;
        const next = events.next();
        if (next.done) return held.shift()?.event;
        taken += 1;
        if (this.settings.holdBackRate > 0 && this.random() < this.settings.holdBackRate) {
          held.push({ event: next.value, turn: taken + 1 + Math.floor(this.random() * this.settings.holdBackMax) });
          continue;
        }
        return next.value;
      }
    };
    const worker = async () => {
      for (;;) {
        if (integration.status !== 'running') return;
        const event = take();
        if (!event) return;
        if (event.at < from || event.at >= to) continue;
        if (filter && !filter.includes(event.envelope.name)) continue;
        if (this.droppedOrderIds.has(event.orderId)) continue;
        if (this.droppedEvents.has(`${event.envelope.name}:${String(event.envelope.payload.id)}`)) continue;
        if (interval > 0) await new Promise((resolve) => setTimeout(resolve, interval * this.settings.concurrency));
        await this.deliver(integration, event);
      }
    };
    await Promise.all(Array.from({ length: this.settings.concurrency }, worker));
    await Promise.all(this.lateDuplicates);
    if (integration.status === 'running') integration.dayDelivered = true;
  }

  private async deliver(integration: Integration, event: StreamEvent): Promise<void> {
    this.store.markEventPublished(event.envelope);
    const body = JSON.stringify(event.envelope);
    for (let attempt = 1; attempt <= this.settings.maxAttempts; attempt += 1) {
      if (integration.status !== 'running' && attempt > 1) return;
      integration.attempts += 1;
      const { status, text } = await this.post(integration, body);
      if (status >= 200 && status < 300) {
        integration.delivered += 1;
        if (this.random() < this.settings.duplicateRate) {
          integration.duplicatesSent += 1;
          const delay = this.random() * this.settings.duplicateDelayMaxMs;
          if (delay < 1) await this.post(integration, body);
          else {
            const late = new Promise((resolve) => setTimeout(resolve, delay))
              .then(() => this.post(integration, body))
              .finally(() => this.lateDuplicates.delete(late));
            this.lateDuplicates.add(late);
          }
        }
        return;
      }
      if (status === 400) {
        const eventId = randomUUID();
        integration.rejected.set(eventId, {
          eventId,
          name: event.envelope.name,
          orderId: event.orderId,
          status,
          response: text.slice(0, 2_000),
          rejectedAt: new Date().toISOString(),
          envelope: event.envelope,
        });
        if (integration.rejected.size >= this.settings.maxRejected)
          this.stop(integration.id, `too many rejected events (${integration.rejected.size})`);
        return;
      }
      const delay = this.settings.retryBaseMs * 2 ** (attempt - 1) * this.settings.timeScale;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
    this.stop(
      integration.id,
      `event ${event.envelope.name} of order ${event.orderId} kept failing after ${this.settings.maxAttempts} attempts`,
    );
  }

  private async post(integration: Integration, body: string): Promise<{ status: number; text: string }> {
    const { callback_url: url, api_key: apiKey } = integration.request.callback_parameters;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
        body,
        signal: AbortSignal.timeout(this.settings.requestTimeoutMs),
      });
      return { status: response.status, text: await response.text() };
    } catch (error) {
      return { status: 0, text: (error as Error).message };
    }
  }
}
