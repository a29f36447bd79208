import { HEADERS, SyncStatus } from '@hub/contracts';
import { createSchemaRegistry, DocumentCodec } from '@hub/kafka';
import { runHubCommand } from '@hub/platform';
import {
  eventRecordOf,
  sampleErpDocument,
  ServiceUnderTest,
  spawnApp,
  startServiceForTest,
  testbed,
  waitFor,
} from '@hub/testing';
import { orderAt } from '../../../tools/emulators/shared/retail-day';
import { eventsOfOrder } from '../../../tools/emulators/shared/newstore-events';
import { reconcilerService } from '../src/reconciler.service-definition';

/**
 * The projections as a pure function of the topics: built incrementally while
 * events arrive, rebuilt by the CLI, and rebuilt after a SIGKILL in the middle of a
 * rebuild, they hold the same rows.
 */
describe('reconciler projections: rebuild equals incremental build, and survives SIGKILL', () => {
  const bed = testbed('reconrebuild', { topics: ['newstoreEvents', 'erpDocuments', 'erpSyncStatus', 'enricherDlq'] });
  const { prefix, schema, settings, kafka } = bed;
  const database = bed.postgres();
  const day = { tenant: 'acme', date: '2024-01-02', orders: 20_000, seed: 5 };
  const env = bed.env({
    KAFKA_TOPIC_PARTITIONS: '3',
    RECONCILER_TENANTS: 'acme',
    RECONCILER_ADMIN_TOKENS: 'test-token',
    RECONCILER_CONSUMER_GROUP: `${prefix}-projections`,
    RECONCILER_SCHEDULE_ENABLED: 'false',
  });
  let service: ServiceUnderTest | undefined;
  bed.closeAfter({ close: async () => service?.close() });

  const query = async <T>(sql: string) => (await database.query(sql.replace(/\bS\./g, `"${schema}".`))).rows as T[];
  /** Every projected row, as one digest per table plus its row count. */
  const snapshot = async () =>
    query<{ name: string; rows: number; digest: string }>(
      `SELECT 'orders' AS name, count(*)::int AS rows, md5(coalesce(string_agg(t::text, '|' ORDER BY tenant, order_id), '')) AS digest FROM S.orders t
       UNION ALL SELECT 'documents', count(*)::int, md5(coalesce(string_agg(t::text, '|' ORDER BY idempotency_key), '')) FROM S.erp_documents t
       UNION ALL SELECT 'dead_letters', count(*)::int, md5(coalesce(string_agg(t::text, '|' ORDER BY topic_partition, topic_offset), '')) FROM S.dead_letters t`,
    );
  const endOffsets = async () => {
    let total = 0n;
    for (const topic of ['newstoreEvents', 'erpDocuments', 'erpSyncStatus', 'enricherDlq'] as const)
      for (const { high } of await kafka.admin.fetchTopicOffsets(kafka.topics[topic])) total += BigInt(high);
    return total;
  };
  const applied = async () => {
    const [row] = await query<{ applied: string | null }>(
      `SELECT sum(next_offset)::text AS applied FROM S.projection_offsets`,
    );
    return BigInt(row?.applied ?? 0);
  };
  const caughtUp = async () => {
    const total = await endOffsets();
    await waitFor(async () => (await applied()) === total, {
      what: 'projections caught up',
      timeoutMs: 120_000,
      intervalMs: 200,
    });
  };

  it('holds the same rows after an incremental build, a CLI rebuild (alone and with helpers), and a rebuild killed with SIGKILL then resumed', async () => {
    service = await startServiceForTest(reconcilerService, env);
    // The events arrive in chunks while the service projects them: an incremental build.
    const codec = new DocumentCodec(createSchemaRegistry(settings), `${kafka.topics.erpDocuments}-value`);
    for (let chunk = 0; chunk < 4; chunk += 1) {
      const records = [];
      for (let index = chunk * 5_000; index < (chunk + 1) * 5_000; index += 1)
        for (const event of eventsOfOrder(orderAt(day, index), day.tenant)) records.push(eventRecordOf(event.envelope));
      for (let start = 0; start < records.length; start += 2_000)
        await kafka.producer.send(kafka.topics.newstoreEvents, records.slice(start, start + 2_000));
      const documents = await Promise.all(
        Array.from({ length: 250 }, async (_, offset) => {
          const document = sampleErpDocument('salesOrder', `SO-${chunk}-${offset}`);
          return { key: document.orderId, value: await codec.encode(document) };
        }),
      );
      await kafka.producer.send(kafka.topics.erpDocuments, documents);
      const statuses = Array.from({ length: 250 }, (_, offset): SyncStatus => {
        const document = sampleErpDocument('salesOrder', `SO-${chunk}-${offset}`);
        return {
          idempotencyKey: document.idempotencyKey,
          tenant: document.tenant,
          orderId: document.orderId,
          documentType: document.documentType,
          externalId: document.externalId,
          status: offset % 10 === 0 ? 'failed' : 'posted',
          erpInternalId: offset % 10 === 0 ? null : String(1000 + offset),
          attempts: 1,
          error: offset % 10 === 0 ? 'inactive item' : null,
          source: { topic: kafka.topics.erpDocuments, partition: 0, offset: String(offset) },
          postedAt: null,
          updatedAt: new Date(Date.UTC(2024, 0, 2, 12, chunk, offset % 60)).toISOString(),
        };
      });
      await kafka.producer.send(
        kafka.topics.erpSyncStatus,
        statuses.map((status) => ({ key: status.idempotencyKey, value: Buffer.from(JSON.stringify(status)) })),
      );
      await kafka.producer.send(kafka.topics.enricherDlq, [
        {
          key: `order-dead-${chunk}`,
          value: Buffer.from('{}'),
          headers: { [HEADERS.tenant]: 'acme', [HEADERS.eventId]: `dead-${chunk}`, [HEADERS.dlqReason]: 'not ready' },
        },
      ]);
    }
    await caughtUp();
    const incremental = await snapshot();
    expect(incremental.find((table) => table.name === 'orders')?.rows).toBe(day.orders);
    expect(incremental.find((table) => table.name === 'documents')?.rows).toBe(1_000);
    expect(incremental.find((table) => table.name === 'dead_letters')?.rows).toBe(4);
    await service.close();
    service = undefined;

    // The CLI rebuild, start to end.
    await runHubCommand(reconcilerService, 'rebuild', [], { ...process.env, ...env, LOG_LEVEL: 'warn' });
    expect(await snapshot()).toEqual(incremental);

    // Again with two helper processes in the group: three consumers share the partitions.
    await runHubCommand(reconcilerService, 'rebuild', [], {
      ...process.env,
      ...env,
      LOG_LEVEL: 'warn',
      RECONCILER_REBUILD_WORKERS: '3',
    });
    expect(await snapshot()).toEqual(incremental);

    // A rebuild killed with SIGKILL once it has applied some batches, then the service resumes it.
    const total = await endOffsets();
    const rebuild = spawnApp('reconciler', ['rebuild'], env);
    await waitFor(
      async () => {
        const [row] = await query<{ partial: boolean }>(
          `SELECT count(*) > 0 AND sum(next_offset) > 0 AS partial FROM S.projection_offsets`,
        );
        return (
          row.partial &&
          (await query<{ orders: number }>(`SELECT count(*)::int AS orders FROM S.orders`))[0].orders < day.orders
        );
      },
      { what: 'rebuild under way', timeoutMs: 60_000, intervalMs: 10 },
    );
    rebuild.child.kill('SIGKILL');
    expect(await rebuild.exited).toBeNull();
    expect(await applied()).toBeLessThan(total);
    service = await startServiceForTest(reconcilerService, env);
    await caughtUp();
    expect(await snapshot()).toEqual(incremental);
  }, 300_000); // Four builds of a 20,000-order day, two of them in child processes under ts-node: minutes on a busy 2-core machine.
});
