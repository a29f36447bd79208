import { ErpEmulator } from './erp-emulator';

/** npm run emulator:erp: ERP_EMULATOR_PORT (4002), ERP_CLIENT_ID / ERP_CLIENT_SECRET, ERP_CONCURRENCY_LIMIT (5). */
async function main() {
  const emulator = new ErpEmulator({
    clientId: process.env.ERP_CLIENT_ID,
    clientSecret: process.env.ERP_CLIENT_SECRET,
    concurrencyLimit: process.env.ERP_CONCURRENCY_LIMIT ? Number(process.env.ERP_CONCURRENCY_LIMIT) : undefined,
  });
  const url = await emulator.listen(
    Number(process.env.ERP_EMULATOR_PORT ?? 4002),
    process.env.ERP_EMULATOR_HOST ?? '127.0.0.1',
  );
  process.stdout.write(`ERP emulator (NetSuite-like) on ${url}/services/rest\n`);
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
