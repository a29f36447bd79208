import { join } from 'node:path';

/**
 * Every test file's services, commands and test loggers write their log lines to
 * one file per jest worker, not to the console: a green run prints the summary,
 * a red one its failures, and the logs are in node_modules/.cache/test-logs.
 * LOG_FILE set by the caller wins; LOG_FILE= (empty) logs to the console again.
 */
if (process.env.LOG_FILE === undefined)
  process.env.LOG_FILE = join(
    __dirname,
    '..',
    'node_modules',
    '.cache',
    'test-logs',
    `worker-${process.env.JEST_WORKER_ID ?? '1'}.log`,
  );
else if (process.env.LOG_FILE === '') delete process.env.LOG_FILE;
