import { NewStoreEmulator } from './newstore-emulator';
import { writeS3Export } from './s3-export';

/**
 * npm run emulator:newstore                 serve (NEWSTORE_EMULATOR_PORT 4001)
 * npm run emulator:newstore -- export DIR   write the day as S3-export files
 * Day: NEWSTORE_TENANT (demo), NEWSTORE_DAY (today, UTC), NEWSTORE_ORDERS (1000), NEWSTORE_SEED (1).
 * Client: NEWSTORE_CLIENT_ID (hub), NEWSTORE_CLIENT_SECRET (hub-secret).
 * Lag: NEWSTORE_VISIBILITY=published shows orders only after their event plus lag; NEWSTORE_LAG_SCALE (1) shrinks it.
 */
async function main() {
  const emulator = new NewStoreEmulator({
    day: {
      tenant: process.env.NEWSTORE_TENANT ?? 'demo',
      date: process.env.NEWSTORE_DAY ?? new Date().toISOString().slice(0, 10),
      orders: Number(process.env.NEWSTORE_ORDERS ?? 1000),
      seed: Number(process.env.NEWSTORE_SEED ?? 1),
    },
    clientId: process.env.NEWSTORE_CLIENT_ID,
    clientSecret: process.env.NEWSTORE_CLIENT_SECRET,
    visibility: process.env.NEWSTORE_VISIBILITY === 'published' ? 'published' : 'all',
    lag: { timeScale: Number(process.env.NEWSTORE_LAG_SCALE ?? 1) },
  });
  if (process.argv[2] === 'export') {
    const folder = process.argv[3] ?? 'newstore-export';
    const files = await writeS3Export(emulator.store, folder);
    process.stdout.write(`wrote ${files.length} S3-export files to ${folder}\n`);
    return;
  }
  const url = await emulator.listen(
    Number(process.env.NEWSTORE_EMULATOR_PORT ?? 4001),
    process.env.NEWSTORE_EMULATOR_HOST ?? '127.0.0.1',
  );
  process.stdout.write(
    `NewStore emulator: tenant ${emulator.store.day.tenant}, ${emulator.store.size} orders on ${emulator.store.day.date}, at ${url}\n`,
  );
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
