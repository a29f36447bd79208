import { syncStatusSchema, SyncStatus } from '@hub/contracts';
import { CircuitBreakingErpPort, createErpPort, ErpError } from '@hub/erp';
import {
  BatchingPublisher,
  createSchemaRegistry,
  DocumentCodec,
  ConcurrencyLimit,
  HubConsumer,
  KafkaInfrastructure,
  readTopicToEnd,
} from '@hub/kafka';
import { ServiceRuntime } from '@hub/platform';
import { DataSource } from 'typeorm';
import { DocumentPoster } from './document-poster';
import { ErpSinkConfig } from './erp-sink.config';
import { ErpSinkMetrics } from './erp-sink.metrics';
import { IdempotencyLedgerRepository } from './idempotency-ledger.repository';
import { WaitingDocumentsRepository } from './waiting-documents.repository';

/**
 * The sink's consumer and jobs. Start order: rebuild an empty ledger from the
 * status topic, then consume erp.documents.v1 (partitions in parallel up to
 * ERP_CONCURRENCY, order kept within each), then the TTL purge.
 */
export class ErpSinkWorker {
  readonly metrics: ErpSinkMetrics;
  readonly ledger: IdempotencyLedgerRepository;
  readonly erp: CircuitBreakingErpPort;
  readonly waiting: WaitingDocumentsRepository;
  private readonly poster: DocumentPoster;
  private readonly consumer: HubConsumer;
  /** ERP requests in flight, shared by every partition and by the sweep of parked documents. */
  private readonly erpRequests: ConcurrencyLimit;
  private purgeTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: ErpSinkConfig,
    private readonly runtime: ServiceRuntime,
    private readonly kafka: KafkaInfrastructure,
    dataSource: DataSource,
  ) {
    this.metrics = new ErpSinkMetrics(runtime.metrics);
    this.ledger = new IdempotencyLedgerRepository(dataSource, config.LEDGER_TTL_DAYS);
    this.waiting = new WaitingDocumentsRepository(dataSource);
    this.erp = new CircuitBreakingErpPort(
      createErpPort(config, 'erp-sink'),
      { failureThreshold: config.ERP_CIRCUIT_FAILURE_THRESHOLD, openMs: config.ERP_CIRCUIT_OPEN_MS },
      (state) => {
        this.metrics.circuit(state);
        runtime.logger.warn({ state }, 'ERP circuit breaker changed state');
      },
    );
    this.metrics.circuit('closed');
    const logger = runtime.logger.child({ context: 'erp-sink' });
    const poster = new DocumentPoster(
      this.erp,
      new DocumentCodec(createSchemaRegistry(config), `${kafka.topics.erpDocuments}-value`),
      this.ledger,
      kafka.producer,
      new BatchingPublisher(kafka.producer, {
        topic: kafka.topics.erpSyncStatus,
        lingerMs: 0,
        maxBatchSize: 500,
        sendTimeoutMs: 30_000,
      }),
      { dlq: kafka.topics.erpDlq },
      this.metrics,
      logger,
      { dependencyMaxWaitMs: config.SINK_DEPENDENCY_MAX_WAIT_MS },
      this.waiting,
    );
    this.poster = poster;
    this.erpRequests = new ConcurrencyLimit(config.ERP_CONCURRENCY);
    this.consumer = new HubConsumer(
      kafka.kafka,
      {
        groupId: config.SINK_CONSUMER_GROUP,
        topics: [kafka.topics.erpDocuments],
        handler: (message) => poster.handle(message),
        partitionsConsumedConcurrently: config.ERP_CONCURRENCY,
        // Documents of different orders are posted at once, those of one order in order:
        // ERP_CONCURRENCY requests in flight, whatever the number of partitions.
        keyConcurrency: this.erpRequests,
        retryDelayMs: config.ERP_RETRY_BASE_MS,
        maxRetryDelayMs: config.ERP_RETRY_MAX_MS,
        minimumRetryDelayMs: (error) => (error instanceof ErpError ? error.details.retryAfterMs : undefined),
        // A slow ERP call must not cost the group membership: the consumer heartbeats meanwhile.
        sessionTimeoutMs: config.SINK_SESSION_TIMEOUT_MS,
      },
      logger,
    );
  }

  async start(): Promise<void> {
    await this.rebuildLedgerIfEmpty();
    await this.consumer.start();
    this.runtime.onShutdown('erp-sink-consumer', () => this.stop());
    this.runtime.addReadinessCheck({ name: 'erp-sink-consumer', check: async () => this.consumer.isRunning });
    this.purgeTimer = setInterval(() => void this.purge(), this.config.LEDGER_PURGE_INTERVAL_MS);
    this.scheduleSweep();
    this.metrics.ledgerSize.set(await this.ledger.count());
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.purgeTimer);
    clearTimeout(this.sweepTimer);
    await this.sweeping;
    await this.consumer.stop();
  }

  private stopping = false;
  private sweeping: Promise<void> | undefined;

  /**
   * Retries parked documents whose dependency was posted elsewhere (another partition
   * or instance) and dead-letters those that waited too long.
   */
  private scheduleSweep(): void {
    if (this.stopping) return;
    this.sweepTimer = setTimeout(() => {
      this.sweeping = this.sweepWaiting().finally(() => this.scheduleSweep());
    }, this.config.SINK_WAITING_SWEEP_MS);
  }

  async sweepWaiting(): Promise<void> {
    try {
      const parked = await this.waiting.all();
      this.metrics.waiting.set(parked.length);
      for (const document of parked) {
        if (this.stopping) return;
        await this.erpRequests
          .run(() => this.poster.handle(document.message, true))
          .catch((error: unknown) => {
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
          const parsed = syncStatusSchema.safeParse(JSON.parse(message.value.toString('utf8')));
          if (parsed.success) statuses.push(parsed.data);
          else
            this.runtime.logger.warn(
              { offset: message.offset, partition: message.partition },
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
