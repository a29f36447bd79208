import { Controller, Get, Header, HttpCode, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ServiceRuntime } from './service-runtime';

/** Liveness, readiness and Prometheus metrics; the same on every service. */
@Controller()
export class HealthController {
  constructor(@Inject(ServiceRuntime) private readonly runtime: ServiceRuntime) {}

  @Get('health/live')
  @HttpCode(200)
  live(): { status: 'ok'; service: string } {
    return { status: 'ok', service: this.runtime.service };
  }

  @Get('health/ready')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const report = await this.runtime.readiness();
    await reply.status(report.ready ? 200 : 503).send({ status: report.ready ? 'ready' : 'not ready', ...report });
  }

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async metrics(@Res() reply: FastifyReply): Promise<void> {
    await reply.header('Content-Type', this.runtime.metrics.contentType).send(await this.runtime.metrics.metrics());
  }
}
