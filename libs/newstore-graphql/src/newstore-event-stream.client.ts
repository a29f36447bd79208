import { NewStoreError, tenantUrl } from './newstore-graphql.client';

/** An event-stream integration as NewStore's configuration API answers it (seed 004, "Get integration"). */
export interface EventStreamIntegration {
  id: string;
  /** running, stopped, ... (the emulator's values; NewStore's are assumed to match). */
  status: string;
  [field: string]: unknown;
}

export interface RejectedEvent {
  /** NewStore's id of the stored rejected event, used to retry or delete it. */
  eventId: string;
  [field: string]: unknown;
}

/** The calls the hub makes of NewStore's event-stream configuration API, each for one tenant. */
export type EventStreamApi = Pick<
  NewStoreEventStreamClient,
  'integration' | 'logEntries' | 'rejectedEvents' | 'retryRejected' | 'deleteRejected' | 'start'
>;

/**
 * NewStore's event-stream configuration API (seed 004, "Receiving real-time
 * data"): Get integration, List integration log entries, List rejected events,
 * Retry and Delete a rejected event, Start integration, under
 * `/api/v1/org/integrations/eventstream` (docs/domain.md section 1). The log entries'
 * path (`/logs`) and the field names of a rejected event are assumed.
 */
export class NewStoreEventStreamClient {
  constructor(
    private readonly settings: {
      /** https://{tenant}.p.newstore.net; {tenant} is replaced. */
      apiUrl: string;
      timeoutMs: number;
    },
    private readonly tokens: { token(tenant: string): Promise<string> },
  ) {}

  integration(tenant: string, id: string): Promise<EventStreamIntegration> {
    return this.call(tenant, 'GET', `/${encodeURIComponent(id)}`) as Promise<EventStreamIntegration>;
  }

  async logEntries(tenant: string, id: string): Promise<{ message?: string; level?: string; created_at?: string }[]> {
    const entries = await this.call(tenant, 'GET', `/${encodeURIComponent(id)}/logs`);
    return Array.isArray(entries) ? (entries as { message?: string }[]) : [];
  }

  async rejectedEvents(tenant: string, id: string): Promise<RejectedEvent[]> {
    const events = await this.call(tenant, 'GET', `/${encodeURIComponent(id)}/rejected`);
    return (Array.isArray(events) ? events : []).map((event: Record<string, unknown>) => ({
      ...event,
      eventId: String(event.eventId ?? event.event_id ?? event.id),
    }));
  }

  async retryRejected(tenant: string, id: string, eventId: string): Promise<void> {
    await this.call(tenant, 'POST', `/${encodeURIComponent(id)}/rejected/${encodeURIComponent(eventId)}/_retry`);
  }

  async deleteRejected(tenant: string, id: string, eventId: string): Promise<void> {
    await this.call(tenant, 'DELETE', `/${encodeURIComponent(id)}/rejected/${encodeURIComponent(eventId)}`);
  }

  start(tenant: string, id: string): Promise<EventStreamIntegration> {
    return this.call(tenant, 'POST', `/${encodeURIComponent(id)}/_start`) as Promise<EventStreamIntegration>;
  }

  private async call(tenant: string, method: string, path: string): Promise<unknown> {
    const url = `${tenantUrl(this.settings.apiUrl, tenant)}/api/v1/org/integrations/eventstream${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${await this.tokens.token(tenant)}` },
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
    } catch (error) {
      if (error instanceof NewStoreError) throw error;
      throw new NewStoreError(
        'temporary',
        `NewStore unreachable: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (!response.ok) {
      const temporary = response.status === 429 || response.status >= 500;
      throw new NewStoreError(
        temporary ? 'temporary' : 'permanent',
        `NewStore answered ${response.status} to ${method} ${path}`,
        response.status,
      );
    }
    const text = await response.text();
    return text ? (JSON.parse(text) as unknown) : undefined;
  }
}
