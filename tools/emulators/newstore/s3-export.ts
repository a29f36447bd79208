import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { publicationOrder } from './event-stream-pusher';
import { RetailDayStore } from './retail-day-store';

/**
 * Writes the day as NewStore's S3 export does: newline-delimited JSON, one event
 * per line, one file per window (about every 5 minutes). Returns the files written.
 */
export async function writeS3Export(store: RetailDayStore, folder: string, windowMinutes = 5): Promise<string[]> {
  await mkdir(folder, { recursive: true });
  const files: string[] = [];
  let current: { window: number; stream: ReturnType<typeof createWriteStream> } | undefined;
  for (const event of publicationOrder(store)) {
    const window = Math.floor(event.at / (windowMinutes * 60_000));
    if (!current || current.window !== window) {
      if (current) {
        current.stream.end();
        await once(current.stream, 'finish');
      }
      const name = `${new Date(window * windowMinutes * 60_000).toISOString().replace(/[:.]/g, '-')}.ndjson`;
      files.push(join(folder, name));
      current = { window, stream: createWriteStream(join(folder, name)) };
    }
    if (!current.stream.write(`${JSON.stringify(event.envelope)}\n`)) await once(current.stream, 'drain');
  }
  if (current) {
    current.stream.end();
    await once(current.stream, 'finish');
  }
  return files;
}
