import { hubCommand, HubCommandContext } from '@hub/platform';
import { EventIntake } from './event-intake.service';
import { importExport, listSources } from './export-import';
import { IngestConfig } from './ingest.config';

const IMPORT_HELP = `import <file | folder | -> [...]
    imports NewStore S3-export files (newline-delimited JSON, one event per line) into newstore.events.v1
    with the webhook's validation, keys and event ids; exit code 2 when some lines were rejected
    (the others are imported)`;

/**
 * `node main.js import <file | folder | ->...`: the S3-export import, through the
 * webhook's own intake (the same validation, keys, event ids and batching
 * publisher), at most INGEST_IMPORT_MAX_IN_FLIGHT events waiting for Kafka.
 */
export const importCommand = hubCommand<IngestConfig, string[]>({
  usage: IMPORT_HELP,
  parse(args) {
    if (args.length === 0) throw new Error('give the files or folders to import (or - for standard input)');
    const flag = args.find((arg) => arg.startsWith('--'));
    if (flag) throw new Error(`import takes no option ("${flag}"): give the files or folders to import (or -)`);
    return args;
  },
  run: importFiles,
});

async function importFiles({ app, config, kafka }: HubCommandContext<IngestConfig>, args: string[]): Promise<void> {
  const sources = await listSources(args);
  const summary = await importExport(sources, app.get(EventIntake, { strict: false }), {
    maxInFlight: config.INGEST_IMPORT_MAX_IN_FLIGHT,
    onProgress: (progress) =>
      process.stderr.write(
        `[import] ${progress.lines} lines, ${progress.published} published, ${progress.rejected} rejected, ${progress.eventsPerSecond} events/s\n`,
      ),
  });
  process.stdout.write(
    `Imported ${summary.published} of ${summary.lines} events from ${summary.files} file(s) in ${summary.seconds.toFixed(1)} s into ${kafka.topics.newstoreEvents}.\n`,
  );
  if (summary.rejected.length === 0) return;
  process.stdout.write(`${summary.rejected.length} line(s) rejected:\n`);
  for (const rejected of summary.rejected.slice(0, 100)) {
    const problems = rejected.problems.map((problem) => `${problem.path} ${problem.message}`).join('; ');
    process.stdout.write(`  ${rejected.source}:${rejected.line} ${rejected.reason}: ${problems}\n`);
  }
  if (summary.rejected.length > 100) process.stdout.write(`  ... and ${summary.rejected.length - 100} more\n`);
  process.exitCode = 2;
}
