import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** The report pages' session cookie: HttpOnly, SameSite=Strict, only sent to /reports. */
export const REPORT_SESSION_COOKIE = 'parity_admin';

/** How long a sign-in lasts. */
export const REPORT_SESSION_TTL_MS = 8 * 3_600_000;

/**
 * The report pages' sessions, without the admin token in the browser: a session is
 * `v1.<expires, epoch s>.<random>.<MAC>`, the MAC an HMAC-SHA256 keyed by a key
 * derived from the deployment's session secret (RECONCILER_SESSION_SECRET) and the
 * admin token that signed in. It proves a sign-in with a token that is still
 * accepted, until it expires: removing a token from RECONCILER_ADMIN_TOKENS ends
 * every session it opened, and a stolen cookie gives neither the token nor more than
 * its remaining hours, nor a way to test guessed tokens offline (the MAC needs the
 * secret, which never leaves the server). Stateless, so every replica of the
 * reconciler that shares the secret accepts it.
 */
export class ReportSessions {
  private readonly keys: Buffer[];

  constructor(
    tokens: readonly string[],
    private readonly secret: string | Buffer,
    private readonly now: () => number = Date.now,
  ) {
    this.keys = tokens.map((token) => this.keyOf(token));
  }

  private keyOf(token: string): Buffer {
    return createHmac('sha256', this.secret).update('parity-hub report session v2\u0000').update(token).digest();
  }

  /** A new session signed with `token`'s key; the caller has checked the token. */
  issue(token: string): string {
    const key = this.keyOf(token);
    const body = `v1.${Math.floor((this.now() + REPORT_SESSION_TTL_MS) / 1000)}.${randomBytes(16).toString('base64url')}`;
    return `${body}.${mac(key, body)}`;
  }

  /** Whether the cookie is a session not expired, signed with a key of a token accepted now. */
  verify(session: string | undefined): boolean {
    const match = session ? /^(v1\.(\d{1,12})\.[\w-]{22})\.([\w-]{43})$/.exec(session) : null;
    if (!match) return false;
    const [, body, expires, presented] = match;
    let valid = false;
    // Every key is compared, whatever the outcome, in constant time.
    for (const key of this.keys) if (timingSafeEqual(Buffer.from(mac(key, body)), Buffer.from(presented))) valid = true;
    return valid && Number(expires) * 1000 > this.now();
  }
}

function mac(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}

/** The session cookie's value in a Cookie header. */
export function reportSessionOf(cookies: string | undefined): string | undefined {
  const match = cookies ? new RegExp(`(?:^|;\\s*)${REPORT_SESSION_COOKIE}=([^;]+)`).exec(cookies) : null;
  return match ? match[1] : undefined;
}

/** Set-Cookie of a session (or of its removal, `value` empty and no age). */
export function reportSessionCookie(value: string, secure: boolean): string {
  const age = value ? Math.floor(REPORT_SESSION_TTL_MS / 1000) : 0;
  return `${REPORT_SESSION_COOKIE}=${value}; Path=/reports; HttpOnly; SameSite=Strict; Max-Age=${age}${secure ? '; Secure' : ''}`;
}

/** Failed sign-ins one client address may make in {@link SIGN_IN_WINDOW_MS}; more are answered 429. */
export const SIGN_IN_FAILURES_ALLOWED = 10;
export const SIGN_IN_WINDOW_MS = 5 * 60_000;

/**
 * Failed report sign-ins per client address, so the form cannot be used to guess a
 * token (issue 26, item 14): past {@link SIGN_IN_FAILURES_ALLOWED} failures in the
 * window, the address waits for the window to end. Bounded in memory; per replica.
 */
export class SignInAttempts {
  private readonly failures = new LRUCache<string, { count: number; since: number }>({ max: 10_000 });

  constructor(private readonly now: () => number = Date.now) {}

  /** Seconds the address must wait before trying again, or 0 when it may try now. */
  waitSeconds(address: string): number {
    const entry = this.failures.get(address);
    if (!entry || this.now() - entry.since >= SIGN_IN_WINDOW_MS) return 0;
    return entry.count >= SIGN_IN_FAILURES_ALLOWED
      ? Math.ceil((entry.since + SIGN_IN_WINDOW_MS - this.now()) / 1000)
      : 0;
  }

  failed(address: string): void {
    const entry = this.failures.get(address);
    if (!entry || this.now() - entry.since >= SIGN_IN_WINDOW_MS)
      this.failures.set(address, { count: 1, since: this.now() });
    else entry.count += 1;
  }
}
