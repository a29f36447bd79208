import { HEADERS } from '@hub/contracts';
import { startServiceForTest, testbed, waitFor } from '@hub/testing';
import { reconcilerService } from '../src/reconciler.service-definition';

/**
 * What the projection cannot read does not stall it: an opening event whose
 * creation time is no datetime is recorded with its reason (table and metric)
 * and skipped, the events after it are projected, and a body stored with a UTF-8
 * byte-order mark is read like any other.
 */
describe('reconciler projection with poison events', () => {
  const bed = testbed('recon_poison', { topics: ['newstoreEvents', 'erpDocuments', 'erpSyncStatus', 'enricherDlq'] });
  const { prefix, schema, kafka } = bed;
  const database = bed.postgres();

  const opened = (orderId: string, createdAt: unknown) => ({
    key: orderId,
    value: JSON.stringify({
      tenant: 'acme',
      name: 'order.opened',
      payload: { id: orderId, external_id: `X-${orderId}`, created_at: createdAt, grand_total: 10.5, items: [{}] },
    }),
    headers: { [HEADERS.tenant]: 'acme', [HEADERS.eventName]: 'order.opened', [HEADERS.eventId]: `e-${orderId}` },
  });

  it('records "soon" and 12345 as unprojectable and goes on; a BOM body is projected', async () => {
    const withBom = opened('o-bom', '2024-01-02T10:00:00.000Z');
    // All four on one partition (one key would do; the same partition is what matters): the
    // valid event after the poison ones must be projected too.
    const messages = [
      { ...withBom, value: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(withBom.value)]) },
      opened('o-soon', 'soon'),
      opened('o-number', 12345),
      opened('o-after', '2024-01-02T11:00:00.000Z'),
    ].map((message) => ({ ...message, partition: 0 }));
    await kafka.producer.send(kafka.topics.newstoreEvents, messages);
    const service = bed.closeAfter(
      await startServiceForTest(
        reconcilerService,
        bed.env({
          KAFKA_TOPIC_PARTITIONS: '3',
          RECONCILER_TENANTS: 'acme',
          RECONCILER_ADMIN_TOKENS: 'test-token',
          RECONCILER_CONSUMER_GROUP: `${prefix}-projections`,
          RECONCILER_SCHEDULE_ENABLED: 'false',
        }),
      ),
    );
    const orders = await waitFor(
      async () => {
        const rows = (
          await database.query<{ order_id: string; opened: boolean; total: string }>(
            `SELECT order_id, opened, total::text FROM "${schema}".orders ORDER BY order_id`,
          )
        ).rows;
        return rows.length >= 2 && rows;
      },
      { what: 'the valid orders projected', timeoutMs: 30_000 },
    );
    expect(orders).toEqual([
      { order_id: 'o-after', opened: true, total: '10.5' },
      { order_id: 'o-bom', opened: true, total: '10.5' },
    ]);
    const unprojectable = (
      await database.query<{ message_key: string; reason: string }>(
        `SELECT message_key, reason FROM "${schema}".unprojectable_messages ORDER BY topic_offset`,
      )
    ).rows;
    expect(unprojectable).toEqual([
      { message_key: 'o-soon', reason: 'created_at "soon" is not an ISO 8601 datetime' },
      { message_key: 'o-number', reason: 'created_at 12345 is not an ISO 8601 datetime' },
    ]);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/parity_projection_messages_skipped_total\{topic="newstoreEvents"[^}]*\} 2/);
  });
});
