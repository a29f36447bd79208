/**
 * One jest run for every tier: unit specs (*.spec.ts) beside the code, and
 * integration tests (*.int-spec.ts) against a real Kafka, schema registry and
 * Postgres that test/global-setup.ts provides (see README, "Tests").
 */
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.base.json');

/** @type {import('jest').Config} */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  testRegex: '(apps|libs|tools|test)/.*\\.(spec|int-spec)\\.ts$',
  // The chaos run has its own pass (jest.chaos.config.js, run by scripts/test.sh after this one).
  testPathIgnorePatterns: ['/node_modules/', '/test/chaos\\.int-spec\\.ts$'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  testTimeout: 120000,
  // Integration files share one broker; two workers keep the 2-core machine responsive.
  maxWorkers: 2,
  // A green run prints one line per file and the summary; logs go to node_modules/.cache/test-logs (test/setup-env.ts).
  verbose: false,
};
