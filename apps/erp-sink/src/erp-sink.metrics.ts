import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ERP_DOCUMENT_TYPES } from '@hub/contracts';
import type { CircuitState } from '@hub/erp';

const CIRCUIT_VALUES: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** The sink's Prometheus series; document types and outcomes are bounded enums. */
@Injectable()
export class ErpSinkMetrics {
  readonly posts: Counter<'document_type' | 'outcome'>;
  readonly requestDuration: Histogram<'document_type' | 'outcome'>;
  readonly duplicatesSkipped: Counter<'document_type'>;
  readonly consumerLag: Gauge;
  readonly retries: Counter<'reason'>;
  readonly circuitState: Gauge<'account'>;
  readonly deadLettered: Counter<'document_type'>;
  readonly ledgerSize: Gauge;
  readonly waiting: Gauge;

  constructor(@Inject(Registry) registry: Registry) {
    this.posts = new Counter({
      name: 'parity_erp_posts_total',
      help: 'Documents handled by the sink, by type and outcome (posted, failed)',
      labelNames: ['document_type', 'outcome'],
      registers: [registry],
    });
    this.requestDuration = new Histogram({
      name: 'parity_erp_request_duration_seconds',
      help: 'ERP upsert duration',
      labelNames: ['document_type', 'outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    this.duplicatesSkipped = new Counter({
      name: 'parity_erp_duplicates_skipped_total',
      help: 'Documents already posted according to the ledger, skipped',
      labelNames: ['document_type'],
      registers: [registry],
    });
    this.retries = new Counter({
      name: 'parity_erp_retries_total',
      help: 'Temporary failures that paused a partition before a retry, by reason',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.circuitState = new Gauge({
      name: 'parity_erp_circuit_state',
      help: 'ERP circuit breaker of each ERP account (TENANTS_FILE; "default" without it): 0 closed, 1 half-open, 2 open',
      labelNames: ['account'],
      registers: [registry],
    });
    this.deadLettered = new Counter({
      name: 'parity_erp_dead_lettered_total',
      help: 'Documents sent to erp.dlq.v1',
      labelNames: ['document_type'],
      registers: [registry],
    });
    this.waiting = new Gauge({
      name: 'parity_erp_waiting_documents',
      help: 'Documents parked until their dependency is posted',
      registers: [registry],
    });
    this.consumerLag = new Gauge({
      name: 'parity_erp_consumer_lag_messages',
      help: 'Documents on erp.documents.v1 the sink has not committed yet (end minus committed offsets)',
      registers: [registry],
    });
    this.ledgerSize = new Gauge({
      name: 'parity_erp_ledger_entries',
      help: 'Entries in the idempotency ledger',
      registers: [registry],
    });
    // Series exist at 0 before the first occurrence: a rate, a dashboard panel and an alert
    // see "none yet", not "no data" (which would hide a misspelt metric too).
    for (const type of [...ERP_DOCUMENT_TYPES, 'invalid']) {
      this.deadLettered.inc({ document_type: type }, 0);
      if (type !== 'invalid') this.duplicatesSkipped.inc({ document_type: type }, 0);
    }
    for (const reason of ['dependency', 'catalogue', 'erp-source', 'decode', 'erp-429', 'erp-503', 'erp-network'])
      this.retries.inc({ reason }, 0);
  }

  circuit(account: string, state: CircuitState): void {
    this.circuitState.set({ account }, CIRCUIT_VALUES[state]);
  }
}
