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

/**
 * Secrets and personal data that travel inside free text (an error's message or
 * stack quoting a request, a body or a URL): e-mail addresses, bearer and basic
 * credentials, `secret=...` pairs of forms and query strings, `"password": "..."`
 * pairs of quoted JSON.
 */
const TEXT_PATTERNS: [RegExp, string][] = [
  // The user part of a URL (`https://user:password@host`), before the e-mail pattern could take it.
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, `$1${REDACTED}@`],
  [/[A-Z0-9._%+-]+@[A-Z0-9.-]+\.[A-Z]{2,}/gi, REDACTED],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, `$1 ${REDACTED}`],
  [
    /\b(client_secret|secret|password|passwd|token|access_token|refresh_token|api_key|apikey|key|sig|signature)=([^&\s"']+)/gi,
    `$1=${REDACTED}`,
  ],
  [
    /("(?:[^"]*(?:pass(?:word)?|secret|token|api[_-]?key|authorization|e-?mail|phone|address)[^"]*)"\s*:\s*)"[^"]*"/gi,
    `$1"${REDACTED}"`,
  ],
];

/** Free text with the secrets and personal data it quotes replaced. */
export function redactText(text: string): string {
  return TEXT_PATTERNS.reduce((scrubbed, [pattern, replacement]) => scrubbed.replace(pattern, replacement), text);
}

/**
 * A copy of the value with every sensitive key's value replaced. Errors are
 * redacted like objects: their own fields (a request's headers, a response body,
 * a cause) are walked, and their message and stack scrubbed of what they quote.
 * Cycles and depth are bounded.
 */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  // A plain string under an innocent key may still quote a URL with credentials or an e-mail.
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH || seen.has(value)) return '[truncated]';
  if (value instanceof Error) {
    seen.add(value);
    const fields: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      fields[key] = isSensitiveKey(key) ? REDACTED : redact(item, depth + 1, seen);
    return {
      ...fields,
      name: value.name,
      message: redactText(value.message),
      ...(value.stack ? { stack: redactText(value.stack) } : {}),
      ...(value.cause !== undefined ? { cause: redact(value.cause, depth + 1, seen) } : {}),
    };
  }
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1, seen));
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = isSensitiveKey(key) ? REDACTED : redact(item, depth + 1, seen);
  }
  return copy;
}
