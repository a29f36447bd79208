import { ConfigError, loadConfig } from '@hub/config';
import { dependencyMaxWaitMs, dependencyWaitProblems, erpSinkEnv } from './erp-sink.config';

/**
 * A refund waits for its sale at least as long as the enricher may still be retrying
 * that sale (issue 26, item 8: 10 minutes against about 17 dead-lettered such refunds).
 */
describe('the sink waits for a dependency as long as the enricher retries it', () => {
  const load = (source: Record<string, string>) => loadConfig('erp-sink', erpSinkEnv, source, [dependencyWaitProblems]);

  it("derives the wait from the enricher's retry tiers when it is not set", () => {
    // 2 + 4 + … + 512 s = 1,022 s, and two minutes more.
    expect(dependencyMaxWaitMs(load({}))).toBe(1_142_000);
    expect(dependencyMaxWaitMs(load({ ENRICHER_RETRY_TIERS_MS: '1000,2000' }))).toBe(123_000);
    expect(dependencyMaxWaitMs(load({ SINK_DEPENDENCY_MAX_WAIT_MS: '2000000' }))).toBe(2_000_000);
  });

  it('refuses to start with a wait shorter than the retry span, naming both', () => {
    expect(() => load({ SINK_DEPENDENCY_MAX_WAIT_MS: '600000' })).toThrow(ConfigError);
    expect(() => load({ SINK_DEPENDENCY_MAX_WAIT_MS: '600000' })).toThrow(
      /SINK_DEPENDENCY_MAX_WAIT_MS.*600000 ms, shorter than the enricher's retry span of 1022000 ms/,
    );
  });
});
