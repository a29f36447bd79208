import secureJson from 'secure-json-parse';

/**
 * NewStore's event-stream envelope: one event per POST,
 * `{"tenant", "name", "published_at", "payload": {...}}`; tenant and name are
 * required, payload.id is the entity's id (docs/domain.md section 1).
 */
export interface NewStoreEnvelope {
  tenant: string;
  name: string;
  published_at?: string;
  payload: { id: string; [field: string]: unknown };
}

/** One thing wrong with a body, at a JSON path, in words a person can act on. */
export interface EnvelopeProblem {
  path: string;
  message: string;
}

export type EnvelopeParseResult =
  | { ok: true; envelope: NewStoreEnvelope }
  | {
      ok: false;
      reason: 'invalid-utf8' | 'malformed-json' | 'invalid-envelope' | 'too-deep';
      problems: EnvelopeProblem[];
    };

/** Deeper bodies are refused: no NewStore event nests anywhere near this. */
export const MAX_NESTING_DEPTH = 64;
const EVENT_NAME = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function nestingDepth(value: unknown): number {
  // Iterative, so a hostile body cannot overflow the stack.
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth > deepest) deepest = depth;
    if (deepest > MAX_NESTING_DEPTH) return deepest;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** A NewStore tenant name: it goes into URLs (`https://{tenant}.p.newstore.net`), so letters, digits, - and _ only. */
export const TENANT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/** The bytes without a leading UTF-8 byte-order mark, which some senders put before JSON. */
export function withoutBom(body: Buffer): Buffer {
  return body.subarray(0, 3).equals(BOM) ? body.subarray(3) : body;
}

/**
 * Parses and checks a raw webhook body. Every problem is listed, so an event that
 * NewStore stores as rejected explains itself. Unknown event names that are well
 * formed are accepted: the raw topic is the event store.
 */
export function parseEnvelope(body: Buffer): EnvelopeParseResult {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { ok: false, reason: 'invalid-utf8', problems: [{ path: '$', message: 'body is not valid UTF-8' }] };
  }
  let parsed: unknown;
  try {
    // Rejects __proto__ and constructor.prototype keys instead of letting them through.
    parsed = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    return {
      ok: false,
      reason: 'malformed-json',
      problems: [
        { path: '$', message: `body is not valid JSON: ${error instanceof Error ? error.message : String(error)}` },
      ],
    };
  }
  if (nestingDepth(parsed) > MAX_NESTING_DEPTH) {
    return {
      ok: false,
      reason: 'too-deep',
      problems: [{ path: '$', message: `nesting deeper than ${MAX_NESTING_DEPTH} levels` }],
    };
  }
  const problems: EnvelopeProblem[] = [];
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push({ path: '$', message: `must be a JSON object (one event per request), got ${describeType(parsed)}` });
    return { ok: false, reason: 'invalid-envelope', problems };
  }
  const body_ = parsed as Record<string, unknown>;
  const requireString = (path: string, value: unknown, pattern?: RegExp, patternHint?: string) => {
    if (value === undefined) problems.push({ path, message: 'is required' });
    else if (typeof value !== 'string')
      problems.push({ path, message: `must be a string, got ${describeType(value)}` });
    else if (value.trim() === '') problems.push({ path, message: 'must not be empty' });
    else if (value.length > 256) problems.push({ path, message: 'must be at most 256 characters' });
    else if (pattern && !pattern.test(value)) problems.push({ path, message: patternHint ?? 'has an invalid format' });
  };
  // The tenant becomes part of NewStore URLs and of ERP external ids: a name, never a path.
  requireString('$.tenant', body_.tenant, TENANT_PATTERN, 'must be a tenant name: letters, digits, - and _');
  requireString('$.name', body_.name, EVENT_NAME, 'must be an event name such as "order.opened"');
  if (body_.published_at !== undefined) {
    if (typeof body_.published_at !== 'string' || Number.isNaN(Date.parse(body_.published_at))) {
      problems.push({
        path: '$.published_at',
        message: 'must be an ISO-8601 date-time such as 2020-12-01T18:41:09.571Z',
      });
    }
  }
  const payload = body_.payload;
  if (payload === undefined) problems.push({ path: '$.payload', message: 'is required' });
  else if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    problems.push({ path: '$.payload', message: `must be an object, got ${describeType(payload)}` });
  } else {
    requireString('$.payload.id', (payload as Record<string, unknown>).id);
    const orderId = (payload as Record<string, unknown>).order_id;
    if (orderId !== undefined && orderId !== null && typeof orderId !== 'string') {
      problems.push({
        path: '$.payload.order_id',
        message: `must be a string when present, got ${describeType(orderId)}`,
      });
    }
  }
  if (problems.length > 0) return { ok: false, reason: 'invalid-envelope', problems };
  return { ok: true, envelope: parsed as NewStoreEnvelope };
}
