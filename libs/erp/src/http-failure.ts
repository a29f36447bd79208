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
  // An answer we do not understand is not proof of failure or success: try again.
  return new ErpError('temporary', message, details);
}

/** A network error or timeout: the ERP may or may not have the write, and the upsert makes a retry safe. */
export function networkFailure(error: unknown): ErpError {
  const cause =
    error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
  return new ErpError('temporary', `ERP unreachable: ${cause}`);
}
