import { HEADERS } from '@hub/contracts';
import { ConsumedMessage } from '@hub/kafka';
import { EventStreamApi, RejectedEvent } from '@hub/newstore-graphql';
import type { Logger } from 'pino';
import { Gauge, Registry } from 'prom-client';

export interface WatchdogSettings {
  /** tenant → the id of its event-stream integration. */
  integrations: Map<string, string>;
  intervalMs: number;
  autoRestart: boolean;
  /** ingest's readiness endpoint: a restart is safe only while ingest takes events. */
  ingestReadyUrl?: string;
  silenceMinutes: number;
  /** Local trading hours (HH:MM-HH:MM in the tenant's time zone) during which silence is a problem. */
  tradingHours: { from: string; to: string };
  /** Each tenant's business-day zone (TENANTS_FILE's timeZone, else RECONCILER_TIME_ZONE). */
  timeZoneOf: (tenant: string) => string;
}

export interface IntegrationStatus {
  tenant: string;
  integrationId: string;
  /** NewStore's status of the integration (running, stopped ...), 'unknown' before the first check. */
  status: string;
  /** Why NewStore stopped it, from its log entries. */
  stoppedReason: string | null;
  rejectedEvents: number;
  lastEventAt: string | null;
  silent: boolean;
  checkedAt: string | null;
  error: string | null;
}

/**
 * Watches each tenant's NewStore event-stream integration (seed 004, "Receiving
 * real-time data"): NewStore stops pushing when a webhook keeps failing or too
 * many events were rejected with 400, and until somebody notices, the hub
 * receives nothing. Polls Get integration, reports a stop with the reason from
 * the integration's log entries (metric, log), lists the rejected events for a
 * person to retry or delete one by one (as NewStore requires), restarts the
 * integration once that is safe (ingest ready, no rejected event left; automatic
 * only with WATCHDOG_AUTO_RESTART), and reports silence: no event of a tenant for
 * too long during its trading hours, even while the integration says it runs.
 */
export class EventStreamWatchdog {
  private readonly statuses = new Map<string, IntegrationStatus>();
  private readonly lastEvent = new Map<string, number>();
  /** Silence is counted from the start when no event was seen since. */
  private readonly startedAt = Date.now();
  private readonly up: Gauge<'tenant'>;
  private readonly rejected: Gauge<'tenant'>;
  private readonly lastEventAt: Gauge<'tenant'>;
  private readonly silentGauge: Gauge<'tenant'>;

  constructor(
    /** Absent when NEWSTORE_API_URL is not set in production: allowed only while nothing is watched (a config rule). */
    private readonly configured: EventStreamApi | undefined,
    private readonly settings: WatchdogSettings,
    registry: Registry,
    private readonly logger: Logger,
  ) {
    const registers = [registry];
    this.up = new Gauge({
      name: 'parity_eventstream_integration_up',
      help: "Whether the tenant's NewStore event-stream integration is running (1) or stopped (0)",
      labelNames: ['tenant'],
      registers,
    });
    this.rejected = new Gauge({
      name: 'parity_eventstream_rejected_events',
      help: 'Events NewStore keeps as rejected (400) for the integration, waiting for a retry or a delete',
      labelNames: ['tenant'],
      registers,
    });
    this.lastEventAt = new Gauge({
      name: 'parity_eventstream_last_event_timestamp_seconds',
      help: 'When the last NewStore event of the tenant reached the hub',
      labelNames: ['tenant'],
      registers,
    });
    this.silentGauge = new Gauge({
      name: 'parity_eventstream_silent',
      help: 'No event of the tenant for longer than WATCHDOG_SILENCE_MINUTES during its trading hours (1)',
      labelNames: ['tenant'],
      registers,
    });
    for (const [tenant, integrationId] of settings.integrations)
      this.statuses.set(tenant, {
        tenant,
        integrationId,
        status: 'unknown',
        stoppedReason: null,
        rejectedEvents: 0,
        lastEventAt: null,
        silent: false,
        checkedAt: null,
        error: null,
      });
  }

  /** NewStore's configuration API; only reached when an integration is watched, so it is configured. */
  private client(): EventStreamApi {
    if (!this.configured) throw new WatchdogRefusal('no integration to watch: set WATCHDOG_INTEGRATIONS');
    return this.configured;
  }

  get enabled(): boolean {
    return this.settings.integrations.size > 0;
  }

  /** How often {@link poll} runs (the scheduler runs it). */
  get intervalMs(): number {
    return this.settings.intervalMs;
  }

  /** The projection saw these NewStore events: the tenant's stream is alive. */
  eventsSeen(messages: ConsumedMessage[]): void {
    for (const message of messages) {
      const tenant = message.headers[HEADERS.tenant];
      if (!tenant) continue;
      const at = Number(message.timestamp) || Date.now();
      if (at > (this.lastEvent.get(tenant) ?? 0)) {
        this.lastEvent.set(tenant, at);
        this.lastEventAt.set({ tenant }, at / 1000);
      }
    }
  }

  status(): IntegrationStatus[] {
    return [...this.statuses.values()].map((status) => ({
      ...status,
      lastEventAt: this.lastEvent.has(status.tenant)
        ? new Date(this.lastEvent.get(status.tenant)!).toISOString()
        : null,
    }));
  }

  /** Checks every integration once. */
  async poll(now = new Date()): Promise<void> {
    for (const [tenant, integrationId] of this.settings.integrations) {
      const current = this.statuses.get(tenant)!;
      try {
        const integration = await this.client().integration(tenant, integrationId);
        const running = integration.status === 'running';
        let stoppedReason = current.stoppedReason;
        if (!running && integration.status !== current.status) {
          const entries = await this.client()
            .logEntries(tenant, integrationId)
            .catch(() => []);
          stoppedReason = entries.at(-1)?.message ?? (integration.stopped_reason as string | undefined) ?? null;
          this.logger.error(
            { tenant, integrationId, status: integration.status, reason: stoppedReason },
            'NewStore event-stream integration is not running: the hub receives no events of this tenant',
          );
        }
        if (running) stoppedReason = null;
        const rejected = running ? [] : await this.client().rejectedEvents(tenant, integrationId);
        this.up.set({ tenant }, running ? 1 : 0);
        this.rejected.set({ tenant }, rejected.length);
        const silent = this.isSilent(tenant, now);
        this.silentGauge.set({ tenant }, silent ? 1 : 0);
        if (silent && !current.silent)
          this.logger.warn({ tenant, silenceMinutes: this.settings.silenceMinutes }, 'no NewStore event for too long');
        Object.assign(current, {
          status: integration.status,
          stoppedReason,
          rejectedEvents: rejected.length,
          silent,
          checkedAt: now.toISOString(),
          error: null,
        });
        if (!running && this.settings.autoRestart) await this.restart(tenant).catch(() => undefined);
      } catch (error) {
        current.error = error instanceof Error ? error.message : String(error);
        current.checkedAt = now.toISOString();
        this.logger.warn({ tenant, integrationId, err: error }, 'event-stream integration could not be checked');
      }
    }
  }

  rejectedEvents(tenant: string): Promise<RejectedEvent[]> {
    return this.client().rejectedEvents(tenant, this.integrationOf(tenant));
  }

  retryRejected(tenant: string, eventId: string): Promise<void> {
    return this.client().retryRejected(tenant, this.integrationOf(tenant), eventId);
  }

  deleteRejected(tenant: string, eventId: string): Promise<void> {
    return this.client().deleteRejected(tenant, this.integrationOf(tenant), eventId);
  }

  /**
   * Starts the integration again, when it is safe: every rejected event handled
   * (NewStore would stop it again at once otherwise) and ingest ready to take
   * events. Throws with the reason when it is not.
   */
  async restart(tenant: string): Promise<void> {
    const integrationId = this.integrationOf(tenant);
    const left = await this.client().rejectedEvents(tenant, integrationId);
    if (left.length > 0)
      throw new WatchdogRefusal(
        `${left.length} rejected event(s) left: retry or delete each first, or NewStore stops the integration again`,
      );
    if (!(await this.ingestReady()))
      throw new WatchdogRefusal('ingest is not ready (WATCHDOG_INGEST_READY_URL): events would be refused again');
    await this.client().start(tenant, integrationId);
    this.logger.info({ tenant, integrationId }, 'NewStore event-stream integration started again');
    await this.poll();
  }

  private async ingestReady(): Promise<boolean> {
    const url = this.settings.ingestReadyUrl;
    if (!url) return false;
    try {
      return (await fetch(url, { signal: AbortSignal.timeout(5_000) })).ok;
    } catch {
      return false;
    }
  }

  private integrationOf(tenant: string): string {
    const integrationId = this.settings.integrations.get(tenant);
    if (!integrationId) throw new WatchdogRefusal(`tenant "${tenant}" has no integration in WATCHDOG_INTEGRATIONS`);
    return integrationId;
  }

  private isSilent(tenant: string, now: Date): boolean {
    if (this.settings.silenceMinutes === 0 || !this.duringTradingHours(tenant, now)) return false;
    const last = this.lastEvent.get(tenant);
    return now.getTime() - (last ?? this.startedAt) > this.settings.silenceMinutes * 60_000;
  }

  private duringTradingHours(tenant: string, now: Date): boolean {
    const local = new Intl.DateTimeFormat('en-GB', {
      timeZone: this.settings.timeZoneOf(tenant),
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(now);
    const { from, to } = this.settings.tradingHours;
    return from <= to ? local >= from && local < to : local >= from || local < to;
  }
}

/** A watchdog action that is not safe or not possible now: a person can act on the message. */
export class WatchdogRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WatchdogRefusal';
  }
}
