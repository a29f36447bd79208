/**
 * node dist/tools/emulators/newstore/push-day.js: docker compose's demo step. Registers a
 * NewStore event-stream integration on the emulator (NEWSTORE_URL) whose callback is ingest's
 * webhook (WEBHOOK_URL, api_key WEBHOOK_KEY), starts it, waits until the day is delivered
 * and prints the integration's status; `npm run up` runs it too. Seed 004 names the calls
 * used ("Get integration", "Start integration"); the path and the registration body are the
 * emulator's (assumed, no seed prints them), and `_day_delivered` is the emulator's own.
 */
async function main(): Promise<void> {
  const newStore = process.env.NEWSTORE_URL ?? 'http://127.0.0.1:4001';
  const tenant = process.env.NEWSTORE_TENANT ?? 'demo';
  const tokenResponse = await fetch(`${newStore}/auth/realms/${tenant}/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: process.env.NEWSTORE_CLIENT_ID ?? 'hub',
      client_secret: process.env.NEWSTORE_CLIENT_SECRET ?? 'hub-secret',
    }),
  });
  if (!tokenResponse.ok) throw new Error(`token: HTTP ${tokenResponse.status}`);
  const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
  const headers = { authorization: `Bearer ${token}` };
  const created = await fetch(`${newStore}/api/v1/org/integrations/eventstream`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({
      callback_parameters: {
        callback_url: process.env.WEBHOOK_URL ?? 'http://127.0.0.1:3000/webhooks/newstore',
        api_key: process.env.WEBHOOK_KEY ?? 'local-dev-key',
      },
    }),
  });
  if (!created.ok) throw new Error(`integration: HTTP ${created.status} ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  const started = await fetch(`${newStore}/api/v1/org/integrations/eventstream/${id}/_start`, {
    method: 'POST',
    headers,
  });
  if (!started.ok) throw new Error(`start: HTTP ${started.status}`);
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const response = await fetch(`${newStore}/api/v1/org/integrations/eventstream/${id}`, { headers });
    const status = (await response.json()) as { status?: string; delivered?: number; _day_delivered?: boolean };
    if (status.status !== 'running' || status._day_delivered) {
      process.stdout.write(
        `integration ${id}: ${status.status ?? 'unknown'}, ${status.delivered ?? 0} events delivered\n`,
      );
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  process.stdout.write(`integration ${id}: still delivering after 5 minutes\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`push-day: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
