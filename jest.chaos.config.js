/**
 * The chaos run's CI variant alone (test/chaos.int-spec.ts): it starts its own
 * 3-broker cluster and registry (infra/local.sh, KAFKA_INSTANCE=chaos) and the
 * machine's Postgres, so no global set-up; scripts/test.sh runs it after the rest.
 */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testRegex: 'test/chaos\\.int-spec\\.ts$',
  testPathIgnorePatterns: ['/node_modules/'],
  globalSetup: undefined,
  globalTeardown: undefined,
  testTimeout: 30 * 60_000,
  maxWorkers: 1,
};
