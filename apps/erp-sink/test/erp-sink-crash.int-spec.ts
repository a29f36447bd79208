import { sampleErpDocument, spawnApp, waitFor } from '@hub/testing';
import { sinkTestbed } from './sink-testbed';

describe('erp-sink killed with SIGKILL mid-stream', () => {
  const bed = sinkTestbed('sinkcrash', {
    erp: { concurrencyLimit: 4 },
    env: { ERP_CONCURRENCY: '3', PORT: '0', SINK_SESSION_TIMEOUT_MS: '6000', LOG_LEVEL: 'warn' },
  });
  const { emulator } = bed;

  it('leaves exactly one ERP record per document after a restart, whatever was in flight', async () => {
    // Slow ERP answers widen the window between the ERP's answer and the ledger write.
    emulator.setFaults({ latencyMs: 15, latencyJitterMs: 15 });
    const documents = Array.from({ length: 150 }, (_, index) =>
      sampleErpDocument('salesOrder', `K-${index}`, { orderId: `order-${index % 25}`, total: `${index}.00` }),
    );
    await bed.send(...documents);
    // The sink as its own process (its main.ts, from source), so SIGKILL kills it whole.
    const env = bed.env;
    const first = spawnApp('erp-sink', [], env);
    await waitFor(() => emulator.records.size >= 40, { timeoutMs: 90_000, what: '40 documents posted' });
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    expect(emulator.records.size).toBeLessThan(150);

    const second = spawnApp('erp-sink', [], env);
    try {
      await waitFor(() => emulator.records.size >= 150, { timeoutMs: 90_000, what: 'all documents posted' });
      for (const document of documents) expect(emulator.recordsWithExternalId(document.externalId)).toHaveLength(1);
      expect(emulator.records.size).toBe(150);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
});
