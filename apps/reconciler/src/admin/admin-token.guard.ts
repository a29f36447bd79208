import { BearerTokenVerifier, InjectConfig } from '@hub/platform';
import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { ReconcilerConfig } from '../reconciler.config';
import { reportSessionOf, ReportSessions } from '../reports/report-session';

/**
 * The sessions' secret when RECONCILER_SESSION_SECRET is unset: one per process, shared by
 * every instance of the guard (Nest makes one per controller that uses it).
 */
const PROCESS_SESSION_SECRET = randomBytes(32);

/** Admin calls carry `Authorization: Bearer <token>` from RECONCILER_ADMIN_TOKENS. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly verifier: BearerTokenVerifier;
  private readonly sessions: ReportSessions;

  constructor(@InjectConfig() config: Pick<ReconcilerConfig, 'RECONCILER_ADMIN_TOKENS' | 'RECONCILER_SESSION_SECRET'>) {
    this.verifier = new BearerTokenVerifier(config.RECONCILER_ADMIN_TOKENS);
    this.sessions = new ReportSessions(
      config.RECONCILER_ADMIN_TOKENS,
      config.RECONCILER_SESSION_SECRET ?? PROCESS_SESSION_SECRET,
    );
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (this.verifier.verify(request.headers.authorization)) return true;
    // A browser on the report pages signs in once (/reports/login.html) and holds a session cookie.
    if (request.url.startsWith('/reports/') && this.sessions.verify(reportSessionOf(request.headers.cookie)))
      return true;
    throw new UnauthorizedException(
      'a valid admin bearer token is required (RECONCILER_ADMIN_TOKENS); in a browser, sign in at /reports/login.html',
    );
  }

  /** The report pages' sign-in: a session for an admin token, or undefined for any other. */
  openSession(token: string): string | undefined {
    return this.verifier.verify(`Bearer ${token}`) ? this.sessions.issue(token) : undefined;
  }
}
