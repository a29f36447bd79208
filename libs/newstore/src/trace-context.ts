import { randomBytes } from 'node:crypto';

const TRACEPARENT = /^[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The caller's W3C traceparent when it is well formed, else the start of a new trace. */
export function traceparentFor(incoming: string | undefined): string {
  if (incoming && TRACEPARENT.test(incoming.trim())) return incoming.trim();
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}
