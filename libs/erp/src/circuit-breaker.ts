import type { ErpDocument, ErpDocumentType } from '@hub/contracts';
import { ErpError, ErpPort, ErpPostResult, ErpTransaction } from './erp-port';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerSettings {
  /** Consecutive temporary failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit refuses calls before one probe is let through. */
  openMs: number;
}

/**
 * Stops hammering an ERP that is down: after N temporary failures in a row (a 429,
 * "too many requests at once", is not one), calls
 * fail at once (as temporary, so nothing is skipped) until `openMs` has passed;
 * then one call probes, and its outcome closes or reopens the circuit.
 */
export class CircuitBreakingErpPort implements ErpPort {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  state: CircuitState = 'closed';

  constructor(
    private readonly inner: ErpPort,
    private readonly settings: CircuitBreakerSettings,
    private readonly onStateChange: (state: CircuitState) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  deleteTransaction(documentType: ErpDocumentType, internalId: string): Promise<void> {
    return this.inner.deleteTransaction(documentType, internalId);
  }

  async upsert(document: ErpDocument): Promise<ErpPostResult> {
    this.admit();
    try {
      const result = await this.inner.upsert(document);
      this.succeeded();
      return result;
    } catch (error) {
      // A 429 is the ERP's concurrency governance answering (docs/domain.md section 4: over the
      // per-account limit the REST API answers 429): it is up, the caller is too eager
      // (it retries after Retry-After). Opening the circuit on it would stop every
      // document because some were sent at once; it counts neither way.
      if (error instanceof ErpError && error.details.status === 429) throw error;
      if (error instanceof ErpError && error.kind === 'temporary') this.failed();
      else this.succeeded(); // The ERP answered: it is up, the document is at fault.
      throw error;
    } finally {
      this.probing = false;
    }
  }

  listTransactions(date: string, pageSize?: number): AsyncGenerator<ErpTransaction[]> {
    return this.inner.listTransactions(date, pageSize);
  }

  private admit(): void {
    if (this.state === 'open') {
      const remaining = this.openedAt + this.settings.openMs - this.now();
      if (remaining > 0)
        throw new ErpError('temporary', 'ERP circuit open: not calling an ERP that keeps failing', {
          retryAfterMs: remaining,
        });
      this.transition('half-open');
    }
    if (this.state === 'half-open') {
      if (this.probing)
        throw new ErpError('temporary', 'ERP circuit half-open: a probe is in flight', { retryAfterMs: 1_000 });
      this.probing = true;
    }
  }

  private succeeded(): void {
    this.failures = 0;
    if (this.state !== 'closed') this.transition('closed');
  }

  private failed(): void {
    this.failures += 1;
    if (this.state === 'half-open' || this.failures >= this.settings.failureThreshold) {
      this.openedAt = this.now();
      if (this.state !== 'open') this.transition('open');
    }
  }

  private transition(state: CircuitState): void {
    this.state = state;
    this.onStateChange(state);
  }
}
