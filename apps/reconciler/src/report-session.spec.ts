import { REPORT_SESSION_TTL_MS, reportSessionCookie, reportSessionOf, ReportSessions } from './report-session';

describe('report sessions', () => {
  let now = Date.parse('2026-11-27T12:00:00Z');
  const clock = () => now;

  it('accepts a session it issued, without the token in it, until it expires', () => {
    const sessions = new ReportSessions(['token-a', 'token-b'], clock);
    const session = sessions.issue('token-b');
    expect(session).not.toContain('token-b');
    expect(sessions.verify(session)).toBe(true);
    now += REPORT_SESSION_TTL_MS - 1_000;
    expect(sessions.verify(session)).toBe(true);
    now += 2_000;
    expect(sessions.verify(session)).toBe(false);
  });

  it('ends the sessions of a token removed from RECONCILER_ADMIN_TOKENS, and keeps the others', () => {
    const before = new ReportSessions(['old', 'new'], clock);
    const old = before.issue('old');
    const kept = before.issue('new');
    const after = new ReportSessions(['new'], clock);
    expect(after.verify(old)).toBe(false);
    expect(after.verify(kept)).toBe(true);
  });

  it('refuses a session whose expiry was moved, a forged one and anything else', () => {
    const sessions = new ReportSessions(['token'], clock);
    const session = sessions.issue('token');
    const [version, expires, random, mac] = session.split('.');
    expect(sessions.verify([version, Number(expires) + 86_400, random, mac].join('.'))).toBe(false);
    expect(sessions.verify(new ReportSessions(['another'], clock).issue('another'))).toBe(false);
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
