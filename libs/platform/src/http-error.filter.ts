import { RethrowToTransport } from '@hub/kafka';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { Observable } from 'rxjs';

/**
 * The service's one global exception filter. Over HTTP it maps errors to answers in
 * one place: an HttpException passes through with its status and body (a message a
 * person can act on); anything else is a 500 carrying an error id, under which the
 * cause is logged. A Kafka handler's error (the `rpc` context) goes back to the
 * transport as thrown, so the consumer pauses and retries ({@link RethrowToTransport}).
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly rpc = new RethrowToTransport();

  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void | Observable<never> {
    if (host.getType() === 'rpc') return this.rpc.catch(exception, host);
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      const headers = (exception as HttpException & { headers?: Record<string, string> }).headers ?? {};
      void reply
        .status(exception.getStatus())
        .headers(headers)
        .send(typeof body === 'string' ? { error: body, message: body } : body);
      return;
    }
    const status = (exception as { statusCode?: number }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Fastify's own client errors (413 body too large, 415 media type) keep their status.
      void reply.status(status).send({ error: (exception as Error).name, message: (exception as Error).message });
      return;
    }
    const errorId = randomUUID();
    this.logger.error({ err: exception, errorId }, 'unhandled error');
    void reply
      .status(500)
      .send({ error: 'internal', message: 'Internal error; quote this id to the operator', errorId });
  }
}

/** An HttpException that also sets response headers (Retry-After on a 503). */
export class HttpErrorWithHeaders extends HttpException {
  constructor(
    body: Record<string, unknown>,
    status: number,
    readonly headers: Record<string, string>,
  ) {
    super(body, status);
  }
}
