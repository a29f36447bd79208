/**
 * The unit tier alone (`npm run test:unit`): the *.spec.ts files beside the code,
 * pure logic with fakes, no Kafka, registry or Postgres, so no global set-up. The
 * full run (jest.config.js) runs them again together with the integration tier.
 */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testRegex: '(apps|libs|tools|test)/.*\\.spec\\.ts$',
  globalSetup: undefined,
  globalTeardown: undefined,
  testTimeout: 30_000,
};
