import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every depth, so two serialisations of the same
 * event that differ only in attribute order are the same text. Iterative would be
 * needed for unbounded depth; envelopes are depth-checked before this is called.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
    .join(',')}}`;
}

/** The event id: SHA-256 of the canonical JSON of the whole envelope, hex. */
export function computeEventId(envelope: unknown): string {
  return createHash('sha256').update(canonicalJson(envelope)).digest('hex');
}
