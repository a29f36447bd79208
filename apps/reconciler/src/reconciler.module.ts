import { KafkaInfrastructure } from '@hub/kafka';
import { erpDocumentCodecProvider, HUB_CONFIG, kafkaTransportProvider, ServiceRuntime } from '@hub/platform';
import { Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { AdminController, AdminTokenGuard } from './admin.controller';
import { DailyReconciliation } from './daily-reconciliation';
import { EventStreamWatchdog } from './event-stream-watchdog';
import { PROJECTED_TOPICS, ProjectionRepository } from './projection.repository';
import { ExtractRepository } from './extract.repository';
import { PeriodReconciliation } from './period-reconciliation';
import { ProjectionsController } from './projections.controller';
import { ReportsController, ReportsLoginController } from './reports.controller';
import { PROJECTIONS, Projector } from './projector';
import { ReconcilerConfig } from './reconciler.config';
import { ReconcilerMetrics } from './reconciler.metrics';
import { ReconcilerScheduler } from './reconciler.scheduler';
import { ERP_DOCUMENT_CODEC, ERP_PORTS, NEWSTORE_CLIENT } from './reconciler.tokens';
import { ReconcilerConnections } from './reconciler-connections';
import { ReconciliationRepository } from './reconciliation.repository';
import { Resync } from './resync';

/**
 * The reconciler: {@link ProjectionsController} applies the projected topics through
 * the hub's Kafka transport (batch mode); {@link DailyReconciliation} compares
 * NewStore, hub and ERP; {@link Resync} replays what is missing;
 * {@link ReconcilerScheduler} runs the day; {@link AdminController} is the HTTP API.
 * Adapters (GraphQL and event-stream clients, ERP port, codec) are built here, in
 * factory providers, from the validated config.
 */
@Module({
  controllers: [AdminController, ReportsLoginController, ReportsController, ProjectionsController],
  providers: [
    ReconcilerMetrics,
    ReconciliationRepository,
    ProjectionRepository,
    Projector,
    DailyReconciliation,
    ExtractRepository,
    PeriodReconciliation,
    Resync,
    ReconcilerScheduler,
    AdminTokenGuard,
    ReconcilerConnections,
    { provide: NEWSTORE_CLIENT, useExisting: ReconcilerConnections },
    { provide: ERP_PORTS, useExisting: ReconcilerConnections },
    erpDocumentCodecProvider(ERP_DOCUMENT_CODEC),
    {
      provide: EventStreamWatchdog,
      inject: [HUB_CONFIG, ReconcilerConnections, Registry, ServiceRuntime],
      useFactory: (
        config: ReconcilerConfig,
        connections: ReconcilerConnections,
        registry: Registry,
        runtime: ServiceRuntime,
      ) => {
        const [from, to] = config.WATCHDOG_TRADING_HOURS.split('-');
        return new EventStreamWatchdog(
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
      },
    },
    kafkaTransportProvider({
      inject: [HUB_CONFIG, KafkaInfrastructure],
      subscriptions: (config: ReconcilerConfig, kafka: KafkaInfrastructure) => [
        {
          pattern: PROJECTIONS,
          mode: 'batch',
          options: {
            groupId: config.RECONCILER_CONSUMER_GROUP,
            topics: PROJECTED_TOPICS.map((topic) => kafka.topics[topic]),
            partitionsConsumedConcurrently: 4,
          },
        },
      ],
    }),
  ],
})
export class ReconcilerModule {}
