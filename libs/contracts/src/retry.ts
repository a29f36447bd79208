/**
 * A failure that says whether asking again may succeed, as ErpError and
 * NewStoreError do (`kind`), with the wait the service prescribed, if any.
 */
interface KindedFailure {
  kind: 'temporary' | 'permanent';
  details?: { retryAfterMs?: number };
}

function isTemporary(error: unknown): error is KindedFailure {
  return typeof error === 'object' && error !== null && (error as Partial<KindedFailure>).kind === 'temporary';
}

export interface RetryOptions {
  /** Calls in all, the first included. */
  attempts: number;
  /** The first wait; each further one doubles it. A longer Retry-After wins. */
  baseMs: number;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Calls again after a temporary failure (docs/domain.md: back off on 429 and 5xx),
 * waiting `baseMs` doubled each time or the service's Retry-After when longer.
 * A permanent failure, or the last attempt's, is thrown as it is. Only for calls
 * that are safe to repeat: reads, upserts by external id, deletes.
 */
export async function retryTemporary<T>(call: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (!isTemporary(error) || attempt >= options.attempts) throw error;
      const delayMs = Math.max(options.baseMs * 2 ** (attempt - 1), error.details?.retryAfterMs ?? 0);
      options.onRetry?.(error, attempt, delayMs);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
