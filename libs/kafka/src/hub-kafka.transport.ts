import { ArgumentsHost, Catch, INestApplication, RpcExceptionFilter } from '@nestjs/common';
import { BaseRpcContext, CustomTransportStrategy, MicroserviceOptions, Server } from '@nestjs/microservices';
import { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { isObservable, lastValueFrom, Observable, throwError } from 'rxjs';
import { BatchConsumer, BatchConsumerOptions } from './batch-consumer';
import { ConsumedMessage, HubConsumer, HubConsumerOptions } from './hub-consumer';
import { whileRetriable } from './kafka-retriable';

/**
 * A consumer the transport runs for one `@EventPattern(pattern)` handler: either
 * message by message (a {@link HubConsumer}: the handler gets one message) or batch
 * by batch (a {@link BatchConsumer}: the handler gets the messages of one partition).
 */
export type KafkaSubscription = (
  | { pattern: string; mode: 'message'; options: Omit<HubConsumerOptions, 'handler'> }
  | { pattern: string; mode: 'batch'; options: Omit<BatchConsumerOptions, 'handler'> }
) & {
  /**
   * What the service has done before, if anything (e.g. "1,204 processed events"):
   * with it, a group that has no committed offsets is not read from the beginning
   * unless `withoutOffsets` is `earliest` (KAFKA_GROUP_WITHOUT_OFFSETS).
   */
  history?: () => Promise<string | undefined>;
  withoutOffsets?: 'refuse' | 'earliest';
};

/**
 * How long a service must have been quiet (nothing processed) before a group without
 * offsets can be a group the broker forgot: Kafka keeps an empty group's offsets for
 * offsets.retention.minutes (7 days by default, never set anywhere near an hour), so
 * history younger than this is a crash before the first commit, not a forgotten group.
 */
export const GROUP_OFFSETS_QUIET_MS = 60 * 60_000;

/** A consumer group without offsets, of a service that has processed events before. */
export class GroupWithoutOffsetsError extends Error {
  constructor(groupId: string, history: string) {
    super(
      `consumer group ${groupId} has no committed offsets, but this service has ${history}: the broker forgot the ` +
        `group's offsets (offsets.retention.minutes), and reading the topics from their beginning would repeat what ` +
        `was done. Reset the group's offsets to a point in time (kafka-consumer-groups --reset-offsets --to-datetime), ` +
        `or set KAFKA_GROUP_WITHOUT_OFFSETS=earliest to read from the beginning deliberately`,
    );
    this.name = 'GroupWithoutOffsetsError';
  }
}

/** What a handler gets besides its payload, as `KafkaContext` gives it for Nest's own Kafka transport. */
export class HubKafkaContext extends BaseRpcContext<[topic: string, partition: number, messages: ConsumedMessage[]]> {
  getTopic(): string {
    return this.args[0];
  }

  getPartition(): number {
    return this.args[1];
  }

  /** The messages handed over: one in message mode, the partition's batch in batch mode. */
  getMessages(): ConsumedMessage[] {
    return this.args[2];
  }
}

/**
 * Hands a handler's error back to the transport as it was thrown. Nest's default RPC
 * filter would turn it into `{ status: 'error', message: 'Internal server error' }`,
 * and the consumer needs the error itself (an ERP's Retry-After, "not due yet").
 */
@Catch()
export class RethrowToTransport implements RpcExceptionFilter {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}

/**
 * Connects the transport to a Nest app as a microservice, through Nest's public API:
 * its handlers are registered now with the app's configuration (inheritAppConfig), and
 * the app's own init runs the lifecycle hooks, once. The app's global filters must hand
 * a handler's error back as thrown in the `rpc` context ({@link RethrowToTransport});
 * call this after registering them.
 */
export function connectTransport(app: INestApplication, transport: HubKafkaTransport): void {
  app.connectMicroservice<MicroserviceOptions>({ strategy: transport }, { inheritAppConfig: true });
}

type Running = { stop(): Promise<void>; readonly isRunning: boolean };

/**
 * The hub's Kafka transport for `@nestjs/microservices`: handlers are
 * `@EventPattern(pattern)` methods on controllers; the app provides one
 * {@link KafkaSubscription} per pattern (group, topics, concurrency, retry
 * pauses). The consumers underneath are the hub's own, so commits, pauses and
 * retries are what they are without Nest: an offset is committed only after its
 * handler resolved, and a handler that throws pauses its partition and gets the
 * same message again. Nest's `ServerKafka` has none of that (no manual commits, no
 * pause and seek per partition, no batches).
 *
 * `listen` starts every subscription unless `autoStart` is false (commands start
 * only what they need, with {@link start}).
 */
export class HubKafkaTransport extends Server implements CustomTransportStrategy {
  private readonly running = new Map<string, Running>();
  private readonly subscriptions: Map<string, KafkaSubscription>;

  constructor(
    private readonly kafka: Kafka,
    private readonly log: Logger,
    subscriptions: KafkaSubscription[],
    private readonly autoStart = true,
  ) {
    super();
    this.subscriptions = new Map(subscriptions.map((subscription) => [subscription.pattern, subscription]));
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      for (const pattern of this.getHandlers().keys())
        if (!this.subscriptions.has(pattern)) throw new Error(`@EventPattern('${pattern}') has no Kafka subscription`);
      // Together: each start waits for its group's rebalance, which after a crash waits out the
      // dead member's session; one after the other, those waits would add up.
      if (this.autoStart) {
        const started = await Promise.allSettled([...this.subscriptions.keys()].map((pattern) => this.start(pattern)));
        const failed = started.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
        if (failed) throw failed.reason;
      }
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Starts the consumer of one pattern (again, after {@link stop}); a no-op when it runs. */
  async start(pattern: string): Promise<void> {
    if (this.running.has(pattern)) return;
    const subscription = this.subscriptions.get(pattern);
    if (!subscription) throw new Error(`no Kafka subscription "${pattern}"`);
    if (!this.getHandlerByPattern(pattern)) throw new Error(`no @EventPattern('${pattern}') handler`);
    const logger = this.log.child({ consumer: pattern });
    await this.checkOffsets(subscription, logger);
    const consumer =
      subscription.mode === 'message'
        ? new HubConsumer(
            this.kafka,
            { ...subscription.options, handler: (message) => this.deliver(pattern, message, [message]) },
            logger,
          )
        : new BatchConsumer(
            this.kafka,
            {
              ...subscription.options,
              handler: (topic, partition, messages) => this.deliver(pattern, messages, messages, { topic, partition }),
            },
            logger,
          );
    await consumer.start();
    this.running.set(pattern, consumer);
  }

  /**
   * A group with no committed offset reads its topics from the beginning: right for a
   * new deployment, wrong for a service that has processed events before (its group's
   * offsets expired): that start is refused unless the deployment chose `earliest`.
   */
  private async checkOffsets(subscription: KafkaSubscription, logger: Logger): Promise<void> {
    if (!subscription.history) return;
    const { groupId, topics } = subscription.options;
    const admin = this.kafka.admin();
    // A broker down for a restart, or just back and answering "the coordinator is loading": wait it out.
    await whileRetriable(() => admin.connect(), { attempts: 60, delayMs: 1_000 });
    try {
      // A broker just restarted answers "the coordinator is loading" for a while: wait it out (up to a minute).
      const offsets = await whileRetriable(() => admin.fetchOffsets({ groupId, topics }), {
        attempts: 120,
        delayMs: 500,
      });
      if (offsets.some((topic) => topic.partitions.some((partition) => Number(partition.offset) >= 0))) return;
    } finally {
      await admin.disconnect();
    }
    const history = await subscription.history();
    if (history === undefined) return;
    if (subscription.withoutOffsets === 'earliest') {
      logger.warn(
        { groupId, history },
        'consumer group without offsets reads its topics from the beginning, as configured',
      );
      return;
    }
    throw new GroupWithoutOffsetsError(groupId, history);
  }

  /** Stops one pattern's consumer: its batch in hand finishes and is committed, then it leaves the group. */
  async stop(pattern: string): Promise<void> {
    const consumer = this.running.get(pattern);
    this.running.delete(pattern);
    await consumer?.stop();
  }

  isRunning(pattern: string): boolean {
    return this.running.get(pattern)?.isRunning ?? false;
  }

  /** Graceful stop of every consumer, run by Nest before the shutdown hooks close the producer and Postgres. */
  async close(): Promise<void> {
    await Promise.all([...this.running.keys()].map((pattern) => this.stop(pattern)));
  }

  on(): never {
    throw new Error('HubKafkaTransport has no events to listen to');
  }

  unwrap<T>(): T {
    return this.kafka as T;
  }

  /**
   * Hands a payload to its pattern's handler, as the consumers do, and resolves when
   * the handler has: its error, as thrown, goes back to the consumer.
   */
  async deliver(
    pattern: string,
    payload: unknown,
    messages: ConsumedMessage[],
    position: { topic: string; partition: number } = messages[0],
  ): Promise<void> {
    const handler = this.getHandlerByPattern(pattern);
    if (!handler) throw new Error(`no @EventPattern('${pattern}') handler`);
    const result: unknown = await handler(payload, new HubKafkaContext([position.topic, position.partition, messages]));
    if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
  }
}
