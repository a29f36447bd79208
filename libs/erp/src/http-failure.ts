import { retryTemporary } from '@hub/contracts';
import { ErpError } from './erp-port';

/** Retry-After as seconds or an HTTP date, in milliseconds from now. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * Sorts an HTTP answer that is not a success: 429, 5xx, 408 and auth failures
 * (NetSuite answers those under load) are temporary; other 4xx are the
 * document's fault and permanent. `describe` turns the body into a message.
 */
export function classifyHttpFailure(
  status: number,
  retryAfter: string | null,
  message: string,
  code?: string,
  path?: string,
): ErpError {
  const details = { status, code, path, retryAfterMs: parseRetryAfter(retryAfter) };
  if (status === 429 || status === 408 || status >= 500 || status === 401 || status === 403) {
    return new ErpError('temporary', message, details);
  }
  if (status >= 400) return new ErpError('permanent', message, details);
  // A redirect is never followed (fetch would turn a POST into a GET, and its 200 into "posted"):
  // the configured URL is wrong, and no retry will make it right.
  if (status >= 300 && status < 400)
    return new ErpError(
      'permanent',
      `the ERP answered a redirect (HTTP ${status}), never followed: ${message}`,
      details,
    );
  // An answer we do not understand is not proof of failure or success: try again.
  return new ErpError('temporary', message, details);
}

/** A network error or timeout: the ERP may or may not have the write, and the upsert makes a retry safe. */
export function networkFailure(error: unknown): ErpError {
  const cause =
    error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
  return new ErpError('temporary', `ERP unreachable: ${cause}`);
}

/**
 * How a read (a page of a listing) or a delete is retried on temporary failures
 * (retryTemporary of @hub/contracts): 4 calls, waiting 0.5, 1, 2 s or the ERP's
 * Retry-After when it sends one (NetSuite documents none). docs/domain.md section 4:
 * 5xx are the system's errors, 429 answers requests over the per-account limit;
 * a SuiteQL page is a read at a fixed `limit`/`offset` within an `id > last`
 * window, so asking again is safe. A day's listing is many pages: retried as a
 * whole, one 500 in ten would fail a day of a dozen pages most of the time (the
 * chaos run's 10,000-order day did).
 */
export const ERP_CALL_RETRIES = { attempts: 4, baseMs: 500 } as const;

/**
 * A DELETE retried on temporary failures. A record that is gone when a retry
 * asks (404) was deleted by the call whose answer was lost: the delete took.
 * docs/domain.md section 4 gives NetSuite's error body and 4xx as the caller's errors;
 * that a missing record answers 404 is assumed (the emulator's recordNotFound).
 */
export async function deleteWithRetries(call: () => Promise<unknown>): Promise<void> {
  let calls = 0;
  await retryTemporary(async () => {
    calls += 1;
    try {
      await call();
    } catch (error) {
      if (calls > 1 && error instanceof ErpError && error.details.status === 404) return;
      throw error;
    }
  }, ERP_CALL_RETRIES);
}
