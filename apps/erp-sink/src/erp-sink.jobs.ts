import { decodeTopicValue, SyncStatus } from '@hub/contracts';
import { consumerGroupLag, HubKafkaTransport, KafkaInfrastructure, readTopicToEnd } from '@hub/kafka';
import { InjectConfig, PeriodicTasks, ServiceRuntime } from '@hub/platform';
import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DocumentPoster } from './document-poster';
import { ERP_DOCUMENTS } from './erp-documents.controller';
import { ErpSinkConfig } from './erp-sink.config';
import { ErpSinkMetrics } from './erp-sink.metrics';
import { IdempotencyLedgerRepository } from './idempotency-ledger.repository';
import { WaitingDocumentsRepository } from './waiting-documents.repository';

/**
 * The sink's jobs beside its Kafka handler ({@link ErpDocumentsController}): before
 * the consumer starts, rebuild an empty ledger from the status topic; while it runs,
 * sweep the parked documents and purge the expired ledger entries.
 */
@Injectable()
export class ErpSinkJobs implements OnApplicationBootstrap {
  constructor(
    @InjectConfig() private readonly config: ErpSinkConfig,
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(KafkaInfrastructure) private readonly kafka: KafkaInfrastructure,
    @Inject(HubKafkaTransport) private readonly transport: HubKafkaTransport,
    @Inject(IdempotencyLedgerRepository) private readonly ledger: IdempotencyLedgerRepository,
    @Inject(WaitingDocumentsRepository) private readonly waiting: WaitingDocumentsRepository,
    @Inject(DocumentPoster) private readonly poster: DocumentPoster,
    @Inject(ErpSinkMetrics) private readonly metrics: ErpSinkMetrics,
    @Inject(PeriodicTasks) private readonly tasks: PeriodicTasks,
  ) {}

  /** Runs before the transport starts consuming (the service's start-up listens first, then consumes). */
  async onApplicationBootstrap(): Promise<void> {
    if (this.runtime.mode !== 'serve') return;
    await this.rebuildLedgerIfEmpty();
    this.runtime.addReadinessCheck({
      name: 'erp-sink-consumer',
      check: async () => this.transport.isRunning(ERP_DOCUMENTS),
    });
    this.tasks.every('ledger-purge', this.config.LEDGER_PURGE_INTERVAL_MS, () => this.purge());
    // The sink's own lag, so a sink that stopped making progress alerts (ParityConsumerStalled).
    this.tasks.every('consumer-lag', 5_000, () => this.updateLag(), { immediate: true });
    // At shutdown the sweep in hand finishes before the consumer stops (PeriodicTasks).
    this.tasks.every('parked-sweep', this.config.SINK_WAITING_SWEEP_MS, () => this.sweepWaiting());
    this.metrics.ledgerSize.set(await this.ledger.count());
  }

  private async updateLag(): Promise<void> {
    try {
      this.metrics.consumerLag.set(
        await consumerGroupLag(this.kafka.admin, this.config.SINK_CONSUMER_GROUP, [this.kafka.topics.erpDocuments]),
      );
    } catch (error) {
      this.runtime.logger.warn({ err: error }, 'consumer lag not read');
    }
  }

  /**
   * Retries parked documents whose dependency was posted elsewhere (another partition
   * or instance) and dead-letters those that waited too long.
   */
  async sweepWaiting(): Promise<void> {
    try {
      const parked = await this.waiting.all();
      this.metrics.waiting.set(parked.length);
      for (const document of parked) {
        if (this.tasks.stopping) return;
        // The poster takes an ERP slot (ERP_REQUESTS) for its request, like the consumer's documents.
        await this.poster.handle(document.message, true).catch((error: unknown) => {
          this.runtime.logger.warn(
            { err: error, idempotencyKey: document.idempotencyKey },
            'parked document not handled yet',
          );
        });
      }
    } catch (error) {
      this.runtime.logger.error({ err: error }, 'sweep of parked documents failed; will try again');
    }
  }

  /** The ledger is derived state: with an empty table, replay erp.sync-status.v1 into it first. */
  async rebuildLedgerIfEmpty(): Promise<number> {
    if (!(await this.ledger.isEmpty())) return 0;
    const started = performance.now();
    const restored = await readTopicToEnd(
      this.kafka.kafka,
      this.kafka.topics.erpSyncStatus,
      async (messages) => {
        const statuses: SyncStatus[] = [];
        for (const message of messages) {
          // A compacted topic may hold tombstones (null values) for deleted keys.
          if (!message.value) continue;
          const decoded = decodeTopicValue('erpSyncStatus', message.value);
          if (decoded.ok) statuses.push(decoded.value);
          else
            this.runtime.logger.warn(
              { offset: message.offset, partition: message.partition, problems: decoded.problems },
              'unreadable status message skipped in rebuild',
            );
        }
        await this.ledger.recordMany(statuses);
      },
      { groupPrefix: 'erp-sink-ledger-rebuild' },
    );
    if (restored > 0) {
      this.runtime.logger.info(
        { restored, seconds: (performance.now() - started) / 1000 },
        'ledger rebuilt from erp.sync-status.v1',
      );
    }
    return restored;
  }

  private async purge(): Promise<void> {
    try {
      const purged = await this.ledger.purgeExpired();
      this.metrics.ledgerSize.set(await this.ledger.count());
      if (purged > 0) this.runtime.logger.info({ purged }, 'expired ledger entries purged');
    } catch (error) {
      this.runtime.logger.error({ err: error }, 'ledger purge failed; will try again');
    }
  }
}
