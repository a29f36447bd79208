// Lint rules, including the boundaries of the architecture (docs/architecture.md): apps never import each other,
// libraries never import apps, imports go through @hub/<lib> aliases and never
// past a library's index, and domain libraries do not import infrastructure.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const apps = ['ingest', 'enricher', 'erp-sink', 'reconciler'];
const deepLibraryImport = {
  group: ['@hub/*/*', '**/libs/*/src/**', '../../libs/**', '../../../libs/**'],
  message: 'Import a library through its alias (@hub/<lib>), never past its index.ts.',
};
const infrastructure = ['kafkajs', 'typeorm', 'pg', '@nestjs/*', 'graphql-request', 'fastify', '@kafkajs/*'];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'jest.config.js',
      'jest.chaos.config.js',
      'jest.unit.config.js',
      'eslint.config.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      'no-restricted-imports': ['error', { patterns: [deepLibraryImport] }],
      // Fastify and Nest route handlers are async by contract even when they do not await.
      '@typescript-eslint/require-await': 'off',
    },
  },
  ...apps.map((app) => ({
    files: [`apps/${app}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            deepLibraryImport,
            {
              group: apps
                .filter((other) => other !== app)
                .flatMap((other) => [`**/apps/${other}/**`, `../../${other}/**`, `../${other}/**`]),
              message: 'Apps never import each other: move what both need into libs/.',
            },
          ],
        },
      ],
    },
  })),
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [deepLibraryImport, { group: ['**/apps/**'], message: 'Libraries never import apps.' }] },
      ],
    },
  },
  {
    // Domain libraries: what NewStore and our contracts mean, with no infrastructure.
    files: ['libs/newstore/src/**/*.ts', 'libs/contracts/src/**/*.ts', 'libs/reconciliation/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            deepLibraryImport,
            { group: infrastructure, message: 'Domain code does not import infrastructure; receive what you need.' },
            {
              group: ['@hub/kafka', '@hub/persistence', '@hub/platform'],
              message: 'Domain code does not import infrastructure libraries.',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests may use non-null assertions on what they just checked exists.
    files: ['**/*.spec.ts', '**/*.int-spec.ts', 'test/**/*.ts', 'libs/testing/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      // Handlers must return promises even when a test's handler has nothing to await.
      '@typescript-eslint/require-await': 'off',
    },
  },
);
