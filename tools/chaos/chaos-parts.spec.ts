import { fulfilmentsOf } from '../emulators/shared/newstore-events';
import { seededRandom } from '../emulators/shared/random';
import { FAULT_KINDS, faultSchedule } from './schedule';
import { documentIdentity, duplicatesOn } from './topic-audit';
import { Workload } from './workload';

describe('the chaos run: its parts', () => {
  describe('the fault schedule', () => {
    const options = { seed: 7, windowMs: 150_000, erpOutageMs: 120_000 };

    it('is drawn from the seed alone: the same seed, the same schedule; another seed, another', () => {
      expect(faultSchedule(options)).toEqual(faultSchedule(options));
      expect(faultSchedule({ ...options, seed: 8 })).not.toEqual(faultSchedule(options));
    });

    it('strikes every kind inside the push, every instance killed once, in time order', () => {
      const schedule = faultSchedule(options);
      expect(FAULT_KINDS.filter((kind) => !schedule.some((fault) => fault.kind === kind))).toEqual([]);
      expect(
        schedule
          .filter((fault) => fault.target)
          .map((fault) => fault.target)
          .sort(),
      ).toEqual(['enricher-1', 'enricher-2', 'erp-sink-1', 'erp-sink-2', 'ingest-1', 'reconciler-1']);
      expect(schedule.every((fault) => fault.atMs > 0 && fault.atMs < options.windowMs)).toBe(true);
      expect(schedule.map((fault) => fault.atMs)).toEqual(
        [...schedule.map((fault) => fault.atMs)].sort((a, b) => a - b),
      );
    });
  });

  describe('the topic audit', () => {
    it('counts copies of one identity, and of those the sends the producer made twice', () => {
      expect(
        duplicatesOn([
          { identity: 'e1', sendId: 's1' },
          { identity: 'e1', sendId: 's1' },
          { identity: 'e1', sendId: 's2' },
          { identity: 'e2' },
        ]),
      ).toEqual({ messages: 4, duplicates: 2, writtenTwiceByProducer: 1 });
    });

    it("reads a document's identity from the registry's wire format and from plain JSON alike; a replay apart", () => {
      const json = JSON.stringify({ idempotencyKey: 'k1', source: { eventId: 'ev1' } });
      const wire = Buffer.concat([Buffer.from([0, 0, 0, 0, 42]), Buffer.from(json)]);
      expect(documentIdentity(wire, undefined)).toBe('k1|ev1|');
      expect(documentIdentity(Buffer.from(json), undefined)).toBe('k1|ev1|');
      expect(documentIdentity(Buffer.from(json), '2026-12-03T10:00:00Z')).toBe('k1|ev1|replay');
      expect(documentIdentity(null, undefined)).toBe('tombstone');
    });
  });

  describe('the workload', () => {
    const plantedOf = ({ planted }: Workload) => [
      planted.neverDelivered,
      planted.removed,
      planted.changed,
      planted.duplicated,
    ];
    const workload = (seed: number) =>
      new Workload({ orders: 200, seed, pushSeconds: 60, businessDate: '2026-12-02', random: seededRandom(seed) });

    it('splits the orders between two tenants and plants four distinct plain orders of the first', async () => {
      const day = workload(11);
      try {
        expect(day.first.orders.length + day.second.orders.length).toBe(200);
        expect(day.second.orders.length).toBe(60);
        const planted = plantedOf(day);
        expect(new Set(planted.map((order) => order.id)).size).toBe(4);
        for (const order of planted) {
          expect(day.first.orders).toContain(order);
          expect([order.isHistorical, !!order.cancellation, !!order.return, !!order.appeasement]).toEqual([
            false,
            false,
            false,
            false,
          ]);
        }
        // Its events are dropped on the way; a resync can rebuild its sale only, so it has no fulfilment.
        expect(fulfilmentsOf(day.planted.neverDelivered)).toEqual([]);
        expect(day.first.newStore.pusher.droppedOrderIds.has(day.planted.neverDelivered.id)).toBe(true);
        expect(day.ingestKeys).toBe('chaos:chaos-webhook-key,chaos-b:chaos-b-webhook-key');
      } finally {
        await day.close();
      }
    });

    it('plants the same orders for the same seed', async () => {
      const [one, two] = [workload(5), workload(5)];
      try {
        expect(plantedOf(one).map((order) => order.id)).toEqual(plantedOf(two).map((order) => order.id));
      } finally {
        await Promise.all([one.close(), two.close()]);
      }
    });
  });
});
