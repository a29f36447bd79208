import { ErpError } from './erp-port';
import { deleteWithRetries } from './http-failure';

const notFound = () => new ErpError('permanent', 'That record does not exist.', { status: 404 });

describe('deleteWithRetries', () => {
  it('counts a 404 on a retry as done: the first call deleted the record and its answer was lost', async () => {
    const failures = [new ErpError('temporary', 'ERP unreachable: socket hang up'), notFound()];
    let calls = 0;
    await expect(
      deleteWithRetries(async () => {
        calls += 1;
        const failure = failures.shift();
        if (failure) throw failure;
      }),
    ).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });

  it('refuses a 404 on the first call: the record was never there (a wrong internal id)', async () => {
    await expect(
      deleteWithRetries(async () => {
        throw notFound();
      }),
    ).rejects.toMatchObject({ kind: 'permanent', details: { status: 404 } });
  });
});
