import { ConsumedMessage, fetchTopicOffsets, HubKafkaTransport, KafkaInfrastructure } from '@hub/kafka';
import { InjectConfig, ServiceRuntime, stopChildProcess } from '@hub/platform';
import { Inject, Injectable } from '@nestjs/common';
import { ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { extname, join } from 'node:path';
import type { Logger } from 'pino';
import { ProjectedKind, ProjectedSource } from './projected-sources';
import { ProjectionRepository } from './projection.repository';
import { ReconcilerConfig } from '../reconciler.config';
import { ReconcilerEvents } from '../reconciler.events';
import { ReconcilerMetrics } from '../reconciler.metrics';

/** The pattern of the projections' batch handler (ProjectionsController); its subscription is in ProjectionsModule. */
export const PROJECTIONS = 'projections';
/** Token of the topics the projections are built from ({@link ProjectedSource}[]; their retry tiers made if missing). */
export const PROJECTED_SOURCES = Symbol('PROJECTED_SOURCES');

export interface RebuildProgress {
  state: 'idle' | 'running' | 'done' | 'failed';
  startedAt: string | null;
  finishedAt: string | null;
  /** Messages to replay: the topics' sizes when the rebuild started. */
  total: number;
  done: number;
  eventsPerSecond: number;
  /** Estimated seconds left at the current rate. */
  etaSeconds: number | null;
  error: string | null;
}

const IDLE: RebuildProgress = {
  state: 'idle',
  startedAt: null,
  finishedAt: null,
  total: 0,
  done: 0,
  eventsPerSecond: 0,
  etaSeconds: null,
  error: null,
};

/** Offsets of every partition of the projected topics (by offsets key and partition): earliest and end. */
type TopicOffsets = Map<string, { kind: ProjectedKind; low: bigint; high: bigint }>;

/**
 * Keeps the projections up to date from the topics (a consumer group whose
 * position lives in Postgres, see ProjectionRepository), and rebuilds them: stop
 * consuming, reset the group to the beginning, drop the rows, consume again until
 * the end offsets of the moment the rebuild started are applied. A crash at any
 * point leaves rows and offsets consistent; the next start resumes from them.
 */
@Injectable()
export class Projector {
  private progress: RebuildProgress = { ...IDLE };
  private rebuilding: Promise<RebuildProgress> | undefined;
  private readonly byPhysicalName: Map<string, ProjectedSource>;
  private readonly logger: Logger;
  private readonly groupId: string;

  constructor(
    @Inject(KafkaInfrastructure) private readonly kafka: KafkaInfrastructure,
    /** Runs the projections' consumer (the `projections` subscription): stopped and started again by a rebuild. */
    @Inject(HubKafkaTransport) private readonly transport: Pick<HubKafkaTransport, 'start' | 'stop' | 'isRunning'>,
    @Inject(ProjectionRepository) private readonly repository: ProjectionRepository,
    @Inject(ReconcilerMetrics) private readonly metrics: ReconcilerMetrics,
    /** Told of every batch of NewStore events projected (the watchdog's last-event clock listens). */
    @Inject(ReconcilerEvents) private readonly events: Pick<ReconcilerEvents, 'newStoreEventsProjected'>,
    @Inject(PROJECTED_SOURCES) private readonly sources: readonly ProjectedSource[],
    @InjectConfig() config: Pick<ReconcilerConfig, 'RECONCILER_CONSUMER_GROUP' | 'RECONCILER_REBUILD_WORKERS'>,
    @Inject(ServiceRuntime) private readonly runtime: Pick<ServiceRuntime, 'logger' | 'env'>,
  ) {
    this.byPhysicalName = new Map(sources.map((source) => [source.topic, source]));
    this.logger = runtime.logger.child({ context: 'reconciler' });
    this.groupId = config.RECONCILER_CONSUMER_GROUP;
    this.workers = config.RECONCILER_REBUILD_WORKERS;
  }

  private readonly workers: number;

  get isRunning(): boolean {
    return this.transport.isRunning(PROJECTIONS);
  }

  /** Applies one partition's batch of a projected topic (rows and offset in one transaction). */
  async apply(physical: string, partition: number, messages: ConsumedMessage[]): Promise<void> {
    const source = this.byPhysicalName.get(physical);
    if (!source) throw new Error(`${physical} is not a projected topic`);
    const applied = await this.repository.applyBatch(source, partition, messages);
    this.metrics.projected.inc({ topic: source.kind }, applied);
    if (source.kind === 'newstoreEvents') this.events.newStoreEventsProjected(messages);
  }

  get rebuildProgress(): RebuildProgress {
    return { ...this.progress };
  }

  async start(): Promise<void> {
    await this.transport.start(PROJECTIONS);
  }

  async stop(): Promise<void> {
    await this.transport.stop(PROJECTIONS);
  }

  /** Starts a rebuild unless one is running; resolves when it has ended. */
  rebuild(onProgress: (progress: RebuildProgress) => void = () => undefined): Promise<RebuildProgress> {
    this.rebuilding ??= this.runRebuild(onProgress).finally(() => (this.rebuilding = undefined));
    return this.rebuilding;
  }

  get rebuildRunning(): boolean {
    return this.rebuilding !== undefined;
  }

  private async runRebuild(onProgress: (progress: RebuildProgress) => void): Promise<RebuildProgress> {
    const started = performance.now();
    this.progress = { ...IDLE, state: 'running', startedAt: new Date().toISOString() };
    const wasRunning = this.isRunning;
    let helpers: ChildProcess[] = [];
    try {
      await this.stop();
      // Forget the group's Kafka offsets first, truncate second: a crash between the two
      // replays from the beginning into rows whose stored offsets skip what is already there.
      await this.forgetGroupOffsets();
      await this.repository.truncate();
      const targets = await this.topicOffsets();
      const total = [...targets.values()].reduce((sum, { low, high }) => sum + Number(high - low), 0);
      this.progress.total = total;
      await this.start();
      helpers = await this.startHelpers(this.workers - 1);
      for (;;) {
        const done = await this.applied(targets);
        const seconds = (performance.now() - started) / 1000;
        const rate = seconds > 0 ? done / seconds : 0;
        this.progress = {
          ...this.progress,
          done,
          eventsPerSecond: Math.round(rate),
          etaSeconds: rate > 0 ? Math.round((total - done) / rate) : null,
        };
        this.metrics.replayProgress.set({ operation: 'rebuild' }, total === 0 ? 1 : done / total);
        onProgress(this.rebuildProgress);
        if (done >= total) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
        if (!this.isRunning) throw new Error('the projector stopped during the rebuild');
        const failed = helpers.find((helper) => helper.exitCode !== null);
        if (failed) throw new Error(`a rebuild helper exited with code ${failed.exitCode}`);
      }
      this.progress = { ...this.progress, state: 'done', etaSeconds: 0, finishedAt: new Date().toISOString() };
      this.logger.info(this.progress, 'projections rebuilt');
    } catch (error) {
      this.progress = {
        ...this.progress,
        state: 'failed',
        error: (error as Error).message,
        finishedAt: new Date().toISOString(),
      };
      this.logger.error({ err: error }, 'rebuild failed');
      // A service keeps projecting from the stored offsets; a command never joins a group it did not run in.
      if (wasRunning && !this.isRunning)
        await this.start().catch((restart: unknown) =>
          this.logger.error({ err: restart }, 'projections not restarted'),
        );
    } finally {
      await Promise.all(helpers.map((helper) => stopChildProcess(helper)));
    }
    return this.rebuildProgress;
  }

  /**
   * Helper processes for a rebuild: each runs this service's `project` command, a
   * consumer in the projections' group, so the partitions are decoded, folded and
   * written by several processes at once. Rows and offsets stay per partition in one
   * transaction, so which process applies a batch changes nothing in the result.
   */
  private async startHelpers(count: number): Promise<ChildProcess[]> {
    const helpers: ChildProcess[] = [];
    // Built, the service runs main.js; from the sources (tests), main.ts through ts-node.
    const typescript = extname(__filename) === '.ts';
    for (let index = 0; index < count; index += 1) {
      const helper = fork(join(__dirname, '..', `main${extname(__filename)}`), ['project'], {
        env: this.runtime.env,
        execArgv: typescript ? ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'] : [],
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      helpers.push(helper);
    }
    try {
      await Promise.all(
        helpers.map(async (helper) => {
          const [message] = (await Promise.race([once(helper, 'message'), once(helper, 'exit')])) as unknown[];
          if (message !== 'projecting')
            throw new Error(`a rebuild helper did not start (exit code ${String(message)})`);
        }),
      );
    } catch (error) {
      await Promise.all(helpers.map((helper) => stopChildProcess(helper)));
      throw error;
    }
    this.logger.info({ helpers: count }, 'rebuild helpers consuming');
    return helpers;
  }

  /** Deletes the consumer group (its committed offsets), so the next consumer starts at the beginning. */
  private async forgetGroupOffsets(): Promise<void> {
    try {
      await this.kafka.admin.deleteGroups([this.groupId]);
    } catch (error) {
      const codes = ((error as { groups?: { errorCode?: number; error?: { type?: string } }[] }).groups ?? []).map(
        (group) => group.error?.type,
      );
      if (codes.every((code) => code === 'GROUP_ID_NOT_FOUND')) return;
      throw new Error(
        `cannot reset consumer group ${this.groupId} (${codes.join(', ') || (error as Error).message}). ` +
          'Is the reconciler service running? Use its POST /admin/rebuild, or stop it first.',
      );
    }
  }

  /** Messages applied so far towards the targets, per the stored offsets. */
  private async applied(targets: TopicOffsets): Promise<number> {
    const stored = await this.repository.storedOffsets();
    let done = 0;
    for (const [key, { low, high }] of targets) {
      const next = stored.get(key) ?? low;
      const reached = next < high ? next : high;
      if (reached > low) done += Number(reached - low);
    }
    return done;
  }

  private async topicOffsets(): Promise<TopicOffsets> {
    const offsets: TopicOffsets = new Map();
    for (const source of this.sources) {
      for (const { partition, low, high } of await fetchTopicOffsets(this.kafka.admin, source.topic))
        offsets.set(`${source.key}:${partition}`, { kind: source.kind, low: BigInt(low), high: BigInt(high) });
    }
    return offsets;
  }

  /** Messages of each kind of projected topic not applied yet; sets the lag gauge. */
  async updateLag(): Promise<Record<ProjectedKind, number>> {
    const [targets, stored] = await Promise.all([this.topicOffsets(), this.repository.storedOffsets()]);
    const lag = Object.fromEntries(this.sources.map((source) => [source.kind, 0])) as Record<ProjectedKind, number>;
    for (const [key, { kind, low, high }] of targets) {
      const next = stored.get(key) ?? low;
      lag[kind] += Math.max(0, Number(high - (next > low ? next : low)));
    }
    for (const [topic, messages] of Object.entries(lag)) this.metrics.projectionLag.set({ topic }, messages);
    return lag;
  }
}
