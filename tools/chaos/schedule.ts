import { seededRandom } from '../emulators/shared/random';

/** Every kind of fault a run strikes at least once. */
export const FAULT_KINDS = [
  'kill-service',
  'kill-partner',
  'broker-restart',
  'broker-kill-leader',
  'registry-restart',
  'postgres-cut',
  'erp-outage',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  /** Milliseconds after the push started. */
  atMs: number;
  kind: FaultKind;
  /** The instance killed, for the kills. */
  target?: string;
  description: string;
}

export interface ScheduleOptions {
  seed: number;
  /** How long NewStore pushes the day: the faults land inside it. */
  windowMs: number;
  erpOutageMs: number;
}

/**
 * The faults of a run, drawn from the seed alone (the same seed gives the same
 * schedule): each of the four services killed with SIGKILL once (the enricher and
 * the sink while their partner instance keeps running, so their partitions move
 * mid-batch), the other instance of each of those two later, a graceful broker
 * restart, a SIGKILL of the broker leading most partitions, a registry restart, a
 * cut of the apps' Postgres connections, and one ERP outage. Faults take turns in
 * slots spread over the push, so at most one broker is down at a time.
 */
export function faultSchedule(options: ScheduleOptions): Fault[] {
  const random = seededRandom(options.seed);
  const discrete: Omit<Fault, 'atMs'>[] = [
    { kind: 'kill-service', target: 'ingest-1', description: 'kill -9 ingest (the only instance), restart' },
    { kind: 'kill-service', target: 'reconciler-1', description: 'kill -9 reconciler, restart' },
    {
      kind: 'kill-partner',
      target: 'enricher-1',
      description: 'kill -9 enricher-1 while enricher-2 runs (rebalance mid-batch), restart',
    },
    {
      kind: 'kill-partner',
      target: 'erp-sink-2',
      description: 'kill -9 erp-sink-2 while erp-sink-1 runs (rebalance mid-batch), restart',
    },
    { kind: 'kill-partner', target: 'enricher-2', description: 'kill -9 enricher-2 while enricher-1 runs, restart' },
    { kind: 'kill-partner', target: 'erp-sink-1', description: 'kill -9 erp-sink-1 while erp-sink-2 runs, restart' },
    { kind: 'broker-restart', description: 'graceful restart of one broker' },
    { kind: 'broker-kill-leader', description: 'kill -9 of the broker leading most partitions, restart after 15 s' },
    { kind: 'registry-restart', description: 'schema registry stopped and started' },
    { kind: 'postgres-cut', description: "pg_terminate_backend of every connection of the run's apps" },
  ];
  // Shuffle (Fisher-Yates) with the seeded source, then one fault per slot, jittered inside it.
  for (let index = discrete.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    [discrete[index], discrete[other]] = [discrete[other], discrete[index]];
  }
  const start = options.windowMs * 0.05;
  const slot = (options.windowMs * 0.9 - start) / discrete.length;
  const faults: Fault[] = discrete.map((fault, index) => ({
    ...fault,
    atMs: Math.round(start + slot * index + random() * slot * 0.5),
  }));
  faults.push({
    kind: 'erp-outage',
    atMs: Math.round(options.windowMs * (0.15 + random() * 0.2)),
    description: `ERP answers 503 to everything for ${Math.round(options.erpOutageMs / 1000)} s`,
  });
  return faults.sort((a, b) => a.atMs - b.atMs);
}
