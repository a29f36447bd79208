import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { EventIntake } from './event-intake.service';

/** One line that was not imported, and why. */
export interface RejectedLine {
  source: string;
  line: number;
  reason: string;
  problems: { path: string; message: string }[];
}

export interface ImportSummary {
  files: number;
  lines: number;
  published: number;
  rejected: RejectedLine[];
  seconds: number;
}

export interface ImportOptions {
  /** Events awaiting their Kafka acknowledgement at once; bounds memory on large files. */
  maxInFlight?: number;
  onProgress?: (progress: { lines: number; published: number; rejected: number; eventsPerSecond: number }) => void;
  progressIntervalMs?: number;
}

/** The files of an S3-export path: a file, every file of a folder (sorted), or "-" for standard input. */
export async function listSources(paths: string[]): Promise<string[]> {
  const sources: string[] = [];
  for (const path of paths) {
    if (path === '-') {
      sources.push('-');
      continue;
    }
    const info = await stat(path);
    if (info.isDirectory()) {
      const names = (await readdir(path)).filter((name) => !name.startsWith('.')).sort();
      for (const name of names) if ((await stat(join(path, name))).isFile()) sources.push(join(path, name));
    } else {
      sources.push(path);
    }
  }
  return sources;
}

/**
 * Imports NewStore S3-export files (newline-delimited JSON, one event per line)
 * through the same validation, keying and event ids as the webhook. Importing the
 * same file twice gives the same event ids, which downstream deduplication drops.
 */
export async function importExport(
  sources: string[],
  intake: EventIntake,
  options: ImportOptions = {},
  stdin: Readable = process.stdin,
): Promise<ImportSummary> {
  const started = performance.now();
  const maxInFlight = options.maxInFlight ?? 2_000;
  const summary: ImportSummary = { files: sources.length, lines: 0, published: 0, rejected: [], seconds: 0 };
  const inFlight = new Set<Promise<void>>();
  let failure: Error | undefined;
  const progress = setInterval(() => {
    const seconds = (performance.now() - started) / 1000;
    options.onProgress?.({
      lines: summary.lines,
      published: summary.published,
      rejected: summary.rejected.length,
      eventsPerSecond: Math.round(summary.published / Math.max(seconds, 0.001)),
    });
  }, options.progressIntervalMs ?? 1_000);
  try {
    for (const source of sources) {
      const input = source === '-' ? stdin : createReadStream(source);
      const lines = createInterface({ input, crlfDelay: Infinity });
      let lineNumber = 0;
      for await (const line of lines) {
        lineNumber += 1;
        if (line.trim() === '') continue;
        summary.lines += 1;
        const prepared = intake.prepare(Buffer.from(line, 'utf8'), 'application/x-ndjson');
        if (!prepared.ok) {
          summary.rejected.push({ source, line: lineNumber, reason: prepared.reason, problems: prepared.problems });
          continue;
        }
        const publishing: Promise<void> = intake.publish(prepared).then(
          () => {
            summary.published += 1;
            inFlight.delete(publishing);
          },
          (error: unknown) => {
            failure ??= error instanceof Error ? error : new Error(String(error));
            inFlight.delete(publishing);
          },
        );
        inFlight.add(publishing);
        if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
        if (failure) throw failure;
      }
    }
    await Promise.all(inFlight);
    if (failure) throw failure;
  } finally {
    clearInterval(progress);
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}
