import { ErpDocument } from '@hub/contracts';
import { sampleErpDocument } from '@hub/testing';
import { CircuitBreakingErpPort, CircuitState } from './circuit-breaker';
import { ErpError, ErpPort } from './erp-port';

/** An ERP whose next answers the test decides, and a clock the test moves. */
function setUp(settings = { failureThreshold: 3, openMs: 10_000 }) {
  const answers: (Error | undefined)[] = [];
  const upsert = jest.fn(async (document: ErpDocument) => {
    const failure = answers.shift();
    if (failure) throw failure;
    return { internalId: `erp-${document.externalId}` };
  });
  const inner: ErpPort = {
    name: 'fake',
    upsert,
    deleteTransaction: jest.fn(),
    listTransactions: jest.fn(),
  };
  let now = 1_000_000;
  const states: CircuitState[] = [];
  const port = new CircuitBreakingErpPort(
    inner,
    settings,
    (state) => states.push(state),
    () => now,
  );
  return {
    port,
    upsert,
    states,
    fail: (times: number, error = new ErpError('temporary', 'HTTP 503')) =>
      answers.push(...Array.from({ length: times }, () => error)),
    advance: (ms: number) => (now += ms),
  };
}

const document = sampleErpDocument('cashSale', 'CB1');

describe('CircuitBreakingErpPort', () => {
  it('opens after the threshold of temporary failures in a row and refuses calls without reaching the ERP', async () => {
    const { port, upsert, states, fail } = setUp();
    fail(3);
    for (let i = 0; i < 3; i += 1) await expect(port.upsert(document)).rejects.toThrow('HTTP 503');
    expect(states).toEqual(['open']);
    const refused = await port.upsert(document).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ErpError);
    expect((refused as ErpError).kind).toBe('temporary');
    expect((refused as ErpError).details.retryAfterMs).toBe(10_000);
    expect(upsert).toHaveBeenCalledTimes(3);
  });

  it('lets one probe through after openMs and closes on its success', async () => {
    const { port, states, fail, advance } = setUp();
    fail(3);
    for (let i = 0; i < 3; i += 1) await port.upsert(document).catch(() => undefined);
    advance(10_000);
    await expect(port.upsert(document)).resolves.toEqual({ internalId: 'erp-CB1' });
    expect(states).toEqual(['open', 'half-open', 'closed']);
  });

  it('reopens when the probe fails', async () => {
    const { port, states, fail, advance } = setUp();
    fail(4);
    for (let i = 0; i < 3; i += 1) await port.upsert(document).catch(() => undefined);
    advance(10_000);
    await expect(port.upsert(document)).rejects.toThrow('HTTP 503');
    expect(states).toEqual(['open', 'half-open', 'open']);
    expect(port.state).toBe('open');
  });

  it('does not count a permanent refusal: the ERP answered, the document is at fault', async () => {
    const { port, states, fail } = setUp({ failureThreshold: 2, openMs: 1_000 });
    fail(1);
    fail(1, new ErpError('permanent', 'HTTP 400'));
    fail(1);
    for (let i = 0; i < 3; i += 1) await port.upsert(document).catch(() => undefined);
    expect(states).toEqual([]);
    expect(port.state).toBe('closed');
  });

  it("does not open on 429s: the ERP's concurrency limit answered, it is up", async () => {
    const { port, states, fail, upsert } = setUp({ failureThreshold: 2, openMs: 1_000 });
    fail(5, new ErpError('temporary', 'HTTP 429', { status: 429, retryAfterMs: 1_000 }));
    for (let i = 0; i < 5; i += 1) await expect(port.upsert(document)).rejects.toThrow('HTTP 429');
    expect(states).toEqual([]);
    expect(port.state).toBe('closed');
    // Every call reached the ERP, and the next one succeeds.
    await expect(port.upsert(document)).resolves.toEqual({ internalId: 'erp-CB1' });
    expect(upsert).toHaveBeenCalledTimes(6);
  });
});
