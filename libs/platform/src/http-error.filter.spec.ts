import { HubKafkaTransport, connectTransport } from '@hub/kafka';
import { Controller, Get, NotFoundException } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { Kafka } from 'kafkajs';
import pino from 'pino';
import { HttpErrorFilter } from './http-error.filter';

class ErpBusy extends Error {
  constructor(readonly retryAfterMs: number) {
    super('ERP busy');
  }
}

@Controller()
class Routes {
  @Get('missing')
  missing(): never {
    throw new NotFoundException('no order O1 in the hub');
  }

  @Get('broken')
  broken(): never {
    throw new Error('password=hunter2 in a driver message');
  }

  @EventPattern('documents')
  handle(): never {
    throw new ErpBusy(2_000);
  }
}

describe('HttpErrorFilter, the one global filter of a service', () => {
  let app: NestFastifyApplication;
  let transport: HubKafkaTransport;
  const logged: unknown[] = [];

  beforeAll(async () => {
    const module = await Test.createTestingModule({ controllers: [Routes] }).compile();
    app = module.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    const logger = pino({ level: 'error' }, { write: (line: string) => logged.push(JSON.parse(line)) });
    app.useGlobalFilters(new HttpErrorFilter(logger));
    transport = new HubKafkaTransport(
      {} as Kafka,
      pino({ level: 'silent' }),
      [{ pattern: 'documents', mode: 'message', options: { groupId: 'g', topics: ['t'] } }],
      false,
    );
    connectTransport(app, transport);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    await app.startAllMicroservices();
  });

  afterAll(() => app.close());

  it('answers an HttpException with its status and message', async () => {
    const answer = await app.inject({ method: 'GET', url: '/missing' });
    expect(answer.statusCode).toBe(404);
    expect(answer.json()).toMatchObject({ message: 'no order O1 in the hub' });
  });

  it('answers any other error with a 500 and an error id, the cause only in the log', async () => {
    const answer = await app.inject({ method: 'GET', url: '/broken' });
    expect(answer.statusCode).toBe(500);
    const body = answer.json<{ errorId: string; message: string }>();
    expect(JSON.stringify(body)).not.toContain('hunter2');
    expect(logged).toContainEqual(expect.objectContaining({ errorId: body.errorId, msg: 'unhandled error' }));
  });

  it("hands a Kafka handler's error back to the transport as thrown", async () => {
    const message = { topic: 't', partition: 0, offset: '1', key: 'k', value: null, headers: {}, timestamp: '0' };
    const error = await transport.deliver('documents', message, [message]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ErpBusy);
    expect((error as ErpBusy).retryAfterMs).toBe(2_000);
  });
});
