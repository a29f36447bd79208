/**
 * Keys whose values never reach a log line: credentials, and the customer's
 * personal data that NewStore payloads carry (names, e-mails, phones, addresses).
 */
const SECRET_KEY = /pass(word)?|secret|token|api[_-]?key|authorization|cookie|credential|private[_-]?key/i;
const PERSONAL_KEY =
  /e-?mail|phone|address|first[_-]?name|last[_-]?name|full[_-]?name|customer[_-]?name|street|zip|postal|birth/i;

export const REDACTED = '[redacted]';
const MAX_DEPTH = 8;

export function isSensitiveKey(key: string): boolean {
  return SECRET_KEY.test(key) || PERSONAL_KEY.test(key);
}

/** A copy of the value with every sensitive key's value replaced. Cycles and depth are bounded. */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  if (depth >= MAX_DEPTH || seen.has(value)) return '[truncated]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1, seen));
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = isSensitiveKey(key) ? REDACTED : redact(item, depth + 1, seen);
  }
  return copy;
}
