import type { Fault } from './schedule';

export interface ChaosCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface TopicDuplicates {
  messages: number;
  duplicates: number;
  writtenTwiceByProducer: number;
}

export interface ChaosReport {
  seed: number;
  businessDate: string;
  orders: number;
  /** The orders of each tenant (they add up to `orders`). */
  ordersPerTenant: Record<string, number>;
  eventsOfTheDay: number;
  eventsDelivered: number;
  duplicatesSent: number;
  rawTopicMessages: number;
  rawTopicDistinctEvents: number;
  duplicatesAbsorbed: number;
  /**
   * Per topic: messages, copies of a message already on it (the same event, the same
   * document of the same event), and of those the writes the hub's producer made twice
   * (one send id twice: kafkajs resending after a leader moved). Every copy is absorbed
   * downstream: the enricher skips an event it processed, the sink a document it posted.
   */
  topicDuplicates: Record<string, TopicDuplicates>;
  retriesPerTier: Record<string, number>;
  erp: { records: number; peakConcurrency: number; peakAttempted: number; retriesSeenBySinks: Record<string, number> };
  faults: FiredFault[];
  restartsSurvived: number;
  pushSeconds: number;
  secondsFromLastEventToQuiet: number | null;
  resync1000: { orders: number; seconds: number } | null;
  checks: ChaosCheck[];
  passed: boolean;
  reportFile: string;
}

/** A fault of the schedule as it was carried out: when, and what came of it. */
export type FiredFault = Fault & { firedAtMs: number; outcome: string };

/** The run's checks, each logged as it is made (PASS or FAIL, with what was seen). */
export class Checks {
  readonly list: ChaosCheck[] = [];

  constructor(private readonly log: (line: string) => void) {}

  check(name: string, ok: boolean, detail: string): void {
    this.list.push({ name, ok, detail });
    this.log(`${ok ? 'PASS' : 'FAIL'}  ${name}: ${detail}`);
  }

  get passed(): boolean {
    return this.list.every((item) => item.ok);
  }
}

/** The report as the terminal shows it. */
export function formatChaosReport(report: ChaosReport): string {
  const lines = [
    '',
    `chaos report (${report.passed ? 'PASSED' : 'FAILED'}), seed ${report.seed}, business day ${report.businessDate}`,
    `  orders                         ${report.orders} (${Object.entries(report.ordersPerTenant)
      .map(([tenant, count]) => `${tenant} ${count}`)
      .join(', ')})`,
    `  events of the day              ${report.eventsOfTheDay} (delivered by NewStore: ${report.eventsDelivered})`,
    `  duplicates sent by NewStore    ${report.duplicatesSent}; raw topic ${report.rawTopicMessages} messages, ${report.rawTopicDistinctEvents} distinct events: ${report.duplicatesAbsorbed} duplicates absorbed downstream`,
    ...Object.entries(report.topicDuplicates).map(
      ([topic, counted]) =>
        `  duplicates on ${topic.padEnd(19)} ${counted.duplicates} of ${counted.messages} messages, ${counted.writtenTwiceByProducer} written twice by the producer (absorbed: enriched once, posted once)`,
    ),
    `  enricher retries per tier      ${
      Object.entries(report.retriesPerTier)
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([tier, count]) => `${tier}: ${count}`)
        .join(', ') || 'none'
    }`,
    `  faults                         ${report.faults.length}; restarts survived ${report.restartsSurvived}`,
    `  push lasted                    ${report.pushSeconds.toFixed(0)} s`,
    `  last event to quiet            ${report.secondsFromLastEventToQuiet === null ? 'never' : `${report.secondsFromLastEventToQuiet.toFixed(1)} s`}`,
    `  resync of ${report.resync1000?.orders ?? 1000} orders          ${report.resync1000 ? `${report.resync1000.seconds.toFixed(1)} s` : 'not done'}`,
    `  ERP records                    ${report.erp.records} (requests at once: ${report.erp.peakAttempted} sent, ${report.erp.peakConcurrency} admitted)`,
    `  sink retries by reason         ${
      Object.entries(report.erp.retriesSeenBySinks)
        .map(([reason, count]) => `${reason}: ${count}`)
        .join(', ') || 'none'
    } (counted by the sink instances running at the end)`,
    '  checks:',
    ...report.checks.map((item) => `    ${item.ok ? 'PASS' : 'FAIL'}  ${item.name}: ${item.detail}`),
    `  report file                    ${report.reportFile}`,
    '',
  ];
  return lines.join('\n');
}
