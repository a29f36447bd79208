import { HUB_CONFIG, ServiceRuntime } from '@hub/platform';
import { Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { ReconcilerConnections } from '../reconciler-connections';
import { ReconcilerCoreModule } from '../reconciler-core.module';
import { ReconcilerConfig } from '../reconciler.config';
import { ReconcilerEvents } from '../reconciler.events';
import { EventStreamWatchdog } from './event-stream-watchdog';

/**
 * The event-stream watchdog: each tenant's NewStore integration watched (status,
 * rejected events, silence in trading hours), its last-event clock fed by the
 * projector's events.
 */
@Module({
  imports: [ReconcilerCoreModule],
  providers: [
    {
      provide: EventStreamWatchdog,
      inject: [HUB_CONFIG, ReconcilerConnections, ReconcilerEvents, Registry, ServiceRuntime],
      useFactory: (
        config: ReconcilerConfig,
        connections: ReconcilerConnections,
        events: ReconcilerEvents,
        registry: Registry,
        runtime: ServiceRuntime,
      ) => {
        const [from, to] = config.WATCHDOG_TRADING_HOURS.split('-');
        const watchdog = new EventStreamWatchdog(
          connections.eventStreamApi(),
          {
            integrations: new Map(
              (config.WATCHDOG_INTEGRATIONS ?? []).map((entry) => [
                entry.slice(0, entry.indexOf(':')),
                entry.slice(entry.indexOf(':') + 1),
              ]),
            ),
            intervalMs: config.WATCHDOG_INTERVAL_MS,
            autoRestart: config.WATCHDOG_AUTO_RESTART,
            ingestReadyUrl: config.WATCHDOG_INGEST_READY_URL,
            silenceMinutes: config.WATCHDOG_SILENCE_MINUTES,
            tradingHours: { from, to },
            timeZoneOf: (tenant) => connections.timeZoneOf(tenant),
          },
          registry,
          runtime.logger.child({ context: 'event-stream-watchdog' }),
        );
        events.onNewStoreEventsProjected((messages) => watchdog.eventsSeen(messages));
        return watchdog;
      },
    },
  ],
  exports: [EventStreamWatchdog],
})
export class EventStreamModule {}
