import { createHmac } from 'node:crypto';
import {
  REPORT_SESSION_TTL_MS,
  reportSessionCookie,
  reportSessionOf,
  ReportSessions,
  SIGN_IN_FAILURES_ALLOWED,
  SIGN_IN_WINDOW_MS,
  SignInAttempts,
} from './report-session';

const SECRET = 'a-session-secret-of-the-deployment-32+';

describe('report sessions', () => {
  let now = Date.parse('2026-11-27T12:00:00Z');
  const clock = () => now;

  it("cannot be checked against a guessed token without the deployment's session secret (no offline guessing)", () => {
    // Issue 26, item 14: a stolen cookie's MAC must not let anyone test candidate tokens offline.
    const session = new ReportSessions(['weak'], SECRET, clock).issue('weak');
    const [version, expires, random, presented] = session.split('.');
    const body = [version, expires, random].join('.');
    const guess = (token: string) =>
      createHmac('sha256', createHmac('sha256', token).update('parity-hub report session v1').digest())
        .update(body)
        .digest('base64url');
    expect(guess('weak')).not.toBe(presented);
    // Another deployment (another secret) does not accept it either.
    expect(new ReportSessions(['weak'], 'another-deployment-secret-32-chars!', clock).verify(session)).toBe(false);
  });

  it('accepts a session it issued, without the token in it, until it expires', () => {
    const sessions = new ReportSessions(['token-a', 'token-b'], SECRET, clock);
    const session = sessions.issue('token-b');
    expect(session).not.toContain('token-b');
    expect(sessions.verify(session)).toBe(true);
    now += REPORT_SESSION_TTL_MS - 1_000;
    expect(sessions.verify(session)).toBe(true);
    now += 2_000;
    expect(sessions.verify(session)).toBe(false);
  });

  it('ends the sessions of a token removed from RECONCILER_ADMIN_TOKENS, and keeps the others', () => {
    const before = new ReportSessions(['old', 'new'], SECRET, clock);
    const old = before.issue('old');
    const kept = before.issue('new');
    const after = new ReportSessions(['new'], SECRET, clock);
    expect(after.verify(old)).toBe(false);
    expect(after.verify(kept)).toBe(true);
  });

  it('refuses a session whose expiry was moved, a forged one and anything else', () => {
    const sessions = new ReportSessions(['token'], SECRET, clock);
    const session = sessions.issue('token');
    const [version, expires, random, mac] = session.split('.');
    expect(sessions.verify([version, Number(expires) + 86_400, random, mac].join('.'))).toBe(false);
    expect(sessions.verify(new ReportSessions(['another'], SECRET, clock).issue('another'))).toBe(false);
    for (const value of [undefined, '', 'token', `${session}x`, session.replace(/^v1/, 'v2')])
      expect(sessions.verify(value)).toBe(false);
  });

  it('reads the cookie among others, and writes it HttpOnly, SameSite=Strict, for /reports only', () => {
    expect(reportSessionOf('a=1; parity_admin=v1.1.x.y; b=2')).toBe('v1.1.x.y');
    expect(reportSessionOf('a=1')).toBeUndefined();
    expect(reportSessionCookie('v1.1.x.y', true)).toBe(
      'parity_admin=v1.1.x.y; Path=/reports; HttpOnly; SameSite=Strict; Max-Age=28800; Secure',
    );
    expect(reportSessionCookie('', false)).toBe('parity_admin=; Path=/reports; HttpOnly; SameSite=Strict; Max-Age=0');
  });
});

describe('report sign-in attempts', () => {
  it('lets an address fail ten times in five minutes, then makes it wait for the window to end', () => {
    let now = 0;
    const attempts = new SignInAttempts(() => now);
    for (let failure = 0; failure < SIGN_IN_FAILURES_ALLOWED; failure += 1) {
      expect(attempts.waitSeconds('10.0.0.1')).toBe(0);
      attempts.failed('10.0.0.1');
    }
    expect(attempts.waitSeconds('10.0.0.1')).toBe(SIGN_IN_WINDOW_MS / 1000);
    expect(attempts.waitSeconds('10.0.0.2')).toBe(0);
    now += SIGN_IN_WINDOW_MS;
    expect(attempts.waitSeconds('10.0.0.1')).toBe(0);
  });
});
