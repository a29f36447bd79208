import { DeadLetterEntry, KafkaInfrastructure, replayDeadLetters } from '@hub/kafka';
import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { AdminTokenGuard } from '../admin/admin-token.guard';
import { OperatorActions } from '../orders/operator-actions.repository';
import { ReconcilerConnections, tenantOfRequest } from '../reconciler-connections';
import { actorOf, postedForm, send } from '../reports/report-http';
import {
  DEAD_LETTER_TOPICS,
  DeadLetterTopic,
  erpReplayCommand,
  renderDeadLetters,
  renderReplayConfirm,
  renderReplayDone,
} from './dead-letter-pages';

/** Query or form values given once or repeated, as a list. */
const listOf = (value: unknown): string[] =>
  (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter(
    (item): item is string => typeof item === 'string' && item !== '',
  );

/**
 * The dead-letter topics in the browser, behind the admin token like the reports:
 * `/reports/dead-letters/{enricher|erp}?tenant&reason` lists them with their count per
 * reason; `/reports/dead-letters/{topic}/replay.html` shows what a replay would send
 * (GET, a dry run) and sends it (POST, same-origin, confirmed, recorded per order).
 */
@Controller('reports/dead-letters')
@UseGuards(AdminTokenGuard)
export class DeadLettersController {
  constructor(
    @Inject(ReconcilerConnections) private readonly connections: Pick<ReconcilerConnections, 'tenants'>,
    @Inject(KafkaInfrastructure) private readonly kafka: Pick<KafkaInfrastructure, 'kafka' | 'producer' | 'topics'>,
    @Inject(OperatorActions) private readonly actions: OperatorActions,
  ) {}

  @Get(':topic')
  async list(
    @Param('topic') topic: string,
    @Res() reply: FastifyReply,
    @Query('tenant') requested?: string,
    @Query('reason') reason?: string,
  ) {
    const tenant = tenantOfRequest(this.connections.tenants, requested);
    const name = known(topic);
    const entries = await this.read(name, tenant, []);
    const nonce = randomBytes(16).toString('base64');
    await send(
      reply,
      nonce,
      renderDeadLetters({ topic: name, filter: { tenant, reason }, entries, now: new Date(), nonce }),
    );
  }

  @Get(':topic/replay.html')
  async confirm(
    @Param('topic') topic: string,
    @Res() reply: FastifyReply,
    @Query('tenant') requested?: string,
    @Query('id') ids?: string | string[],
  ) {
    const tenant = tenantOfRequest(this.connections.tenants, requested);
    const name = known(topic);
    const wanted = listOf(ids);
    if (wanted.length === 0)
      throw new BadRequestException({ error: 'no id', message: 'give the dead letters as id=…' });
    const { from, to } = this.replayTarget(name, wanted);
    const entries = await this.read(name, tenant, wanted);
    const nonce = randomBytes(16).toString('base64');
    await send(reply, nonce, renderReplayConfirm({ topic: name, tenant, entries, from, to, nonce }));
  }

  @Post(':topic/replay.html')
  @HttpCode(200)
  async replay(
    @Param('topic') topic: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    const name = known(topic);
    const form = postedForm(request, body);
    const actor = actorOf(form);
    const tenant = tenantOfRequest(this.connections.tenants, typeof form.tenant === 'string' ? form.tenant : undefined);
    const wanted = listOf(form.id);
    if (wanted.length === 0)
      throw new BadRequestException({ error: 'no id', message: 'give the dead letters as id=…' });
    const { from, to } = this.replayTarget(name, wanted);
    // Only the tenant's own dead letters, whatever ids were posted: one pass over the DLQ.
    const replayed = await replayDeadLetters(
      this.kafka.kafka,
      this.kafka.producer,
      from,
      to,
      { orders: new Set(), ids: new Set(wanted), tenant },
      { dryRun: false, groupPrefix: 'reconciler-dlq' },
    );
    for (const [orderId, letters] of byOrder(replayed))
      await this.actions.record({
        tenant,
        orderId,
        actor,
        action: 'replay-dead-letter',
        what: `${letters.length} dead letter(s) of ${from}: ${letters.map((entry) => entry.reason ?? 'no reason').join('; ')}`,
        outcome: `replayed to ${to}`,
      });
    const nonce = randomBytes(16).toString('base64');
    await send(reply, nonce, renderReplayDone({ topic: name, tenant, replayed, to, nonce }));
  }

  /** The DLQ and the topic its letters go back to (the reconciler replays the enricher's only). */
  private topicsOf(name: DeadLetterTopic) {
    const { topic, replayTo } = DEAD_LETTER_TOPICS[name];
    return { from: this.kafka.topics[topic], to: replayTo === null ? undefined : this.kafka.topics[replayTo] };
  }

  private replayTarget(name: DeadLetterTopic, ids: string[]): { from: string; to: string } {
    const { from, to } = this.topicsOf(name);
    if (to === undefined)
      throw new ConflictException({
        error: 'replayed by the sink',
        message: `only the enricher writes erp.documents.v1: replay these with the sink's command: ${erpReplayCommand(ids)}`,
      });
    return { from, to };
  }

  /** The tenant's dead letters of a topic (those with the ids given, when some are). */
  private async read(name: DeadLetterTopic, tenant: string, ids: string[]): Promise<DeadLetterEntry[]> {
    const { from } = this.topicsOf(name);
    // A dry run sends nothing: the topic it would send to is not used.
    const entries = await replayDeadLetters(
      this.kafka.kafka,
      this.kafka.producer,
      from,
      from,
      { orders: new Set(), ids: new Set(ids), tenant },
      { dryRun: true, groupPrefix: 'reconciler-dlq' },
    );
    return entries;
  }
}

function known(topic: string): DeadLetterTopic {
  if (!(topic in DEAD_LETTER_TOPICS))
    throw new NotFoundException({
      error: 'no such dead-letter topic',
      message: `"${topic}": ask for /reports/dead-letters/${Object.keys(DEAD_LETTER_TOPICS).join(' or /reports/dead-letters/')}`,
    });
  return topic as DeadLetterTopic;
}

function byOrder(entries: DeadLetterEntry[]): Map<string, DeadLetterEntry[]> {
  const orders = new Map<string, DeadLetterEntry[]>();
  for (const entry of entries) {
    const key = entry.key ?? 'unknown order';
    orders.set(key, [...(orders.get(key) ?? []), entry]);
  }
  return orders;
}
