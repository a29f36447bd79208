import { Controller, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { Kafka } from 'kafkajs';
import pino from 'pino';
import { ConsumedMessage } from './hub-consumer';
import {
  connectTransport,
  HubKafkaContext,
  HubKafkaTransport,
  KafkaSubscription,
  RethrowToTransport,
} from './hub-kafka.transport';

class NotDueYet extends Error {
  constructor(readonly pauseMs: number) {
    super('not due yet');
  }
}

const handled: { pattern: string; payload: unknown; topic: string; partition: number }[] = [];

@Controller()
class Handlers {
  @EventPattern('one-by-one')
  async message(@Payload() message: ConsumedMessage, @Ctx() context: HubKafkaContext): Promise<void> {
    if (message.value?.toString() === 'later') throw new NotDueYet(1_500);
    handled.push({
      pattern: 'one-by-one',
      payload: message.offset,
      topic: context.getTopic(),
      partition: context.getPartition(),
    });
  }

  @EventPattern('batches')
  async batch(@Payload() messages: ConsumedMessage[], @Ctx() context: HubKafkaContext): Promise<void> {
    handled.push({
      pattern: 'batches',
      payload: messages.map((message) => message.offset),
      topic: context.getTopic(),
      partition: context.getPartition(),
    });
  }
}

let bootstraps = 0;

@Injectable()
class Preparation implements OnApplicationBootstrap {
  onApplicationBootstrap(): void {
    bootstraps += 1;
  }
}

const message = (offset: string, value = 'x'): ConsumedMessage => ({
  topic: 't',
  partition: 3,
  offset,
  key: 'k',
  value: Buffer.from(value),
  headers: {},
  timestamp: '0',
});

const subscriptions: KafkaSubscription[] = [
  { pattern: 'one-by-one', mode: 'message', options: { groupId: 'g1', topics: ['t'] } },
  { pattern: 'batches', mode: 'batch', options: { groupId: 'g2', topics: ['t'] } },
];

/** A Nest app with the handlers above on the transport, started without consumers (no broker needed). */
async function appWith(subscribed: KafkaSubscription[]) {
  const module = await Test.createTestingModule({ controllers: [Handlers], providers: [Preparation] }).compile();
  const app = module.createNestApplication(new FastifyAdapter(), { logger: false, abortOnError: false });
  const transport = new HubKafkaTransport({} as Kafka, pino({ level: 'silent' }), subscribed, false);
  app.useGlobalFilters(new RethrowToTransport());
  connectTransport(app, transport);
  await app.init();
  return { app, transport };
}

describe('HubKafkaTransport', () => {
  beforeEach(() => {
    handled.length = 0;
    bootstraps = 0;
  });

  it("runs the app's bootstrap hooks once, before the consumers start", async () => {
    const { app } = await appWith(subscriptions);
    await app.startAllMicroservices();
    expect(bootstraps).toBe(1);
    await app.close();
  });

  it('hands a message to its @EventPattern handler with its topic and partition in the context', async () => {
    const { app, transport } = await appWith(subscriptions);
    await app.startAllMicroservices();
    await transport.deliver('one-by-one', message('41'), [message('41')]);
    await transport.deliver('batches', [message('5'), message('6')], [message('5'), message('6')], {
      topic: 't',
      partition: 3,
    });
    expect(handled).toEqual([
      { pattern: 'one-by-one', payload: '41', topic: 't', partition: 3 },
      { pattern: 'batches', payload: ['5', '6'], topic: 't', partition: 3 },
    ]);
    await app.close();
  });

  it("gives the consumer the handler's own error, so a retry can read what it carries", async () => {
    const { app, transport } = await appWith(subscriptions);
    await app.startAllMicroservices();
    const error = await transport
      .deliver('one-by-one', message('7', 'later'), [message('7')])
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotDueYet);
    expect((error as NotDueYet).pauseMs).toBe(1_500);
    await app.close();
  });

  it('refuses to start a handler that has no subscription, and a subscription that has no handler', async () => {
    const missing = await appWith(subscriptions.slice(0, 1));
    await expect(missing.app.startAllMicroservices()).rejects.toThrow(
      "@EventPattern('batches') has no Kafka subscription",
    );
    await missing.app.close();
    const { app, transport } = await appWith(subscriptions);
    await app.startAllMicroservices();
    await expect(transport.start('unknown')).rejects.toThrow('no Kafka subscription "unknown"');
    expect(transport.isRunning('one-by-one')).toBe(false);
    await app.close();
  });
});
