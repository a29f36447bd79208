import { ErpError } from '@hub/erp';
import { ConcurrencyLimit, GROUP_OFFSETS_QUIET_MS, KafkaInfrastructure } from '@hub/kafka';
import { batchingPublisherProvider, erpDocumentCodecProvider, HUB_CONFIG, kafkaTransportProvider } from '@hub/platform';
import { Module } from '@nestjs/common';
import { DocumentPoster } from './document-poster';
import { ERP_DOCUMENTS, ErpDocumentsController } from './erp-documents.controller';
import { ErpSinkConfig } from './erp-sink.config';
import { ErpSinkJobs } from './erp-sink.jobs';
import { ErpSinkMetrics } from './erp-sink.metrics';
import { ErpConnections } from './erp-connections';
import { ERP_DOCUMENT_CODEC, SYNC_STATUS_PUBLISHER } from './erp-sink.tokens';
import { IdempotencyLedgerRepository } from './idempotency-ledger.repository';
import { WaitingDocumentsRepository } from './waiting-documents.repository';

/**
 * The sink: {@link ErpDocumentsController} handles erp.documents.v1 through the hub's
 * Kafka transport; {@link DocumentPoster} posts each document once; {@link ErpSinkJobs}
 * rebuilds the ledger and sweeps parked documents. Adapters (ERP port, codec, status
 * publisher) are built here, in factory providers, from the validated config.
 */
/** Documents in flight per ERP request slot: the others write their outcome meanwhile. */
const DOCUMENTS_PER_ERP_REQUEST = 4;

@Module({
  controllers: [ErpDocumentsController],
  providers: [
    ErpSinkMetrics,
    IdempotencyLedgerRepository,
    WaitingDocumentsRepository,
    DocumentPoster,
    ErpSinkJobs,
    ErpConnections,
    erpDocumentCodecProvider(ERP_DOCUMENT_CODEC),
    batchingPublisherProvider(SYNC_STATUS_PUBLISHER, 'erpSyncStatus', {
      lingerMs: 0,
      maxBatchSize: 500,
      sendTimeoutMs: 30_000,
    }),
    kafkaTransportProvider({
      inject: [HUB_CONFIG, KafkaInfrastructure, IdempotencyLedgerRepository],
      subscriptions: (config: ErpSinkConfig, kafka: KafkaInfrastructure, ledger: IdempotencyLedgerRepository) => [
        {
          pattern: ERP_DOCUMENTS,
          mode: 'message',
          options: {
            groupId: config.SINK_CONSUMER_GROUP,
            topics: [kafka.topics.erpDocuments],
            partitionsConsumedConcurrently: config.ERP_CONCURRENCY,
            // Documents of different orders are handled at once, those of one order in order.
            // ERP requests are bounded apart (ERP_REQUESTS, ERP_CONCURRENCY): more documents
            // than that are in flight, so their Kafka and Postgres writes overlap the ERP calls.
            keyConcurrency: new ConcurrencyLimit(config.ERP_CONCURRENCY * DOCUMENTS_PER_ERP_REQUEST),
            keyRetryBudgetMs: config.SINK_KEY_RETRY_BUDGET_MS,
            retryDelayMs: config.ERP_RETRY_BASE_MS,
            maxRetryDelayMs: config.ERP_RETRY_MAX_MS,
            minimumRetryDelayMs: (error) => (error instanceof ErpError ? error.details.retryAfterMs : undefined),
            // A 429 is NetSuite's concurrency governance (docs/domain.md section 4): come back when it says (or after the
            // base delay), without the growing back-off meant for an ERP that is down.
            prescribedRetryDelayMs: (error) =>
              error instanceof ErpError && error.details.status === 429
                ? (error.details.retryAfterMs ?? config.ERP_RETRY_BASE_MS)
                : undefined,
            // A slow ERP call must not cost the group membership: the consumer heartbeats meanwhile.
            sessionTimeoutMs: config.SINK_SESSION_TIMEOUT_MS,
          },
          // A group that lost its offsets would post every document again, those the ledger forgot too.
          history: async () => {
            const recorded = await ledger.recordedBefore(GROUP_OFFSETS_QUIET_MS);
            return recorded > 0 ? `${recorded} documents in its ledger` : undefined;
          },
          withoutOffsets: config.KAFKA_GROUP_WITHOUT_OFFSETS,
        },
      ],
    }),
  ],
})
export class ErpSinkModule {}
