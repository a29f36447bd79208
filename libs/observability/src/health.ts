/** A dependency whose reachability decides readiness (Kafka, Postgres, an upstream API). */
export interface ReadinessCheck {
  name: string;
  /** Resolves when the dependency answers; rejects or returns false otherwise. */
  check(): Promise<boolean>;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; error?: string }>;
}

const CHECK_TIMEOUT_MS = 3_000;

/** Runs every check in parallel, each bounded by a timeout, and reports which failed. */
export async function runReadinessChecks(checks: ReadinessCheck[], draining: boolean): Promise<ReadinessReport> {
  const report: ReadinessReport = { ready: !draining, checks: {} };
  if (draining) report.checks['shutdown'] = { ok: false, error: 'shutting down' };
  await Promise.all(
    checks.map(async (readiness) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const ok = await Promise.race([
          readiness.check(),
          new Promise<boolean>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
          }),
        ]);
        report.checks[readiness.name] = { ok };
        if (!ok) report.ready = false;
      } catch (error) {
        report.ready = false;
        report.checks[readiness.name] = { ok: false, error: error instanceof Error ? error.message : String(error) };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return report;
}
