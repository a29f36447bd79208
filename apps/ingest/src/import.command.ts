import 'reflect-metadata';
import { describeConfig, kafkaEnv, loadConfig, serviceEnv, env } from '@hub/config';
import { BatchingPublisher, KafkaInfrastructure } from '@hub/kafka';
import { createLogger } from '@hub/observability';
import { runMain } from '@hub/platform';
import { EventIntake } from './event-intake.service';
import { importExport, listSources } from './export-import';

const importEnv = {
  ...serviceEnv,
  ...kafkaEnv,
  IMPORT_PRODUCE_DEADLINE_MS: env.integer(30_000, 100, 600_000),
  IMPORT_MAX_IN_FLIGHT: env.integer(2_000, 1, 100_000),
};

const USAGE = `usage: npm run ingest:import -- <file | folder | -> [...]
Imports NewStore S3-export files (newline-delimited JSON, one event per line) into
newstore.events.v1 with the webhook's validation, keys and event ids. Exit code 0 when
every line was imported, 2 when some lines were rejected (the others are imported).`;

runMain(async () => {
  const paths = process.argv.slice(2);
  if (paths.length === 0 || paths.includes('--help')) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(paths.length === 0 ? 64 : 0);
  }
  const config = loadConfig('ingest-import', importEnv);
  const logger = createLogger({
    service: 'ingest-import',
    level: config.LOG_LEVEL,
    format: config.LOG_FORMAT,
    file: config.LOG_FILE,
  });
  logger.debug({ config: describeConfig(importEnv, config) }, 'configuration valid');
  const sources = await listSources(paths);
  const kafka = new KafkaInfrastructure(config, logger);
  await kafka.connect(['newstoreEvents']);
  const publisher = new BatchingPublisher(kafka.producer, {
    topic: kafka.topics.newstoreEvents,
    lingerMs: 5,
    maxBatchSize: 1_000,
    sendTimeoutMs: config.IMPORT_PRODUCE_DEADLINE_MS,
  });
  const intake = new EventIntake(publisher, config.IMPORT_PRODUCE_DEADLINE_MS);
  try {
    const summary = await importExport(sources, intake, {
      maxInFlight: config.IMPORT_MAX_IN_FLIGHT,
      onProgress: (progress) =>
        process.stderr.write(
          `[import] ${progress.lines} lines, ${progress.published} published, ${progress.rejected} rejected, ${progress.eventsPerSecond} events/s\n`,
        ),
    });
    process.stdout.write(
      `Imported ${summary.published} of ${summary.lines} events from ${summary.files} file(s) in ${summary.seconds.toFixed(1)} s into ${kafka.topics.newstoreEvents}.\n`,
    );
    if (summary.rejected.length > 0) {
      process.stdout.write(`${summary.rejected.length} line(s) rejected:\n`);
      for (const rejected of summary.rejected.slice(0, 100)) {
        const problems = rejected.problems.map((problem) => `${problem.path} ${problem.message}`).join('; ');
        process.stdout.write(`  ${rejected.source}:${rejected.line} ${rejected.reason}: ${problems}\n`);
      }
      if (summary.rejected.length > 100) process.stdout.write(`  ... and ${summary.rejected.length - 100} more\n`);
      process.exitCode = 2;
    }
  } finally {
    await intake.drain();
    await kafka.close();
  }
});
