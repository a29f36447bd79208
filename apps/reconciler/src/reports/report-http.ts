import { BadRequestException, ForbiddenException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { reportCsp } from './report-html';

/** Sends a report page with its Content-Security-Policy (nonce'd style, forms back to the origin only). */
export async function send(reply: FastifyReply, nonce: string, html: string, status = 200): Promise<void> {
  await reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', reportCsp(nonce))
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .send(html);
}

/**
 * A state-changing form posted from another site is refused, whatever credentials came
 * with it. A browser's `Sec-Fetch-Site` says it outright; without it, the `Origin` must be
 * this host. The report pages send no referrer, so a browser may send `Origin: null` from
 * them: that counts only where `Sec-Fetch-Site` says same-origin.
 */
export function refuseCrossSite(request: { origin?: string; host?: string; fetchSite?: string }): void {
  const { origin, host, fetchSite } = request;
  const refuse = () =>
    new ForbiddenException({ error: 'cross-site', message: 'this form is posted from the report pages themselves' });
  if (fetchSite) {
    if (fetchSite !== 'same-origin') throw refuse();
    return;
  }
  if (origin === undefined || host === undefined) return;
  let originHost: string | undefined;
  try {
    originHost = new URL(origin).host;
  } catch {
    originHost = undefined;
  }
  if (originHost !== host) throw refuse();
}

/** A state-changing form's fields once its confirmation is checked (`confirm=yes`, the button's). */
export function confirmedForm(body: unknown): Record<string, unknown> {
  const form = (body ?? {}) as Record<string, unknown>;
  if (form.confirm !== 'yes')
    throw new BadRequestException({ error: 'not confirmed', message: 'confirm=yes is required: use the button' });
  return form;
}

/** Who did it, as the form names them (the action is kept with the name). */
export function actorOf(form: Record<string, unknown>): string {
  const actor = typeof form.actor === 'string' ? form.actor.trim().slice(0, 100) : '';
  if (!actor)
    throw new BadRequestException({
      error: 'no name',
      message: 'actor (your name) is required: it is kept with the action',
    });
  return `${actor} (report pages)`;
}

/**
 * A state-changing form of the report pages, checked: posted from the pages themselves
 * ({@link refuseCrossSite}) and confirmed ({@link confirmedForm}); its fields.
 */
export function postedForm(request: FastifyRequest, body: unknown): Record<string, unknown> {
  const header = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  refuseCrossSite({ origin: header('origin'), host: header('host'), fetchSite: header('sec-fetch-site') });
  return confirmedForm(body);
}
