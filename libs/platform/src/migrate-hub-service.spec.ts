import { migrateHubService } from './hub-service';

describe('migrate', () => {
  it('fails with the database\'s own error when it cannot connect, not TypeORM\'s "not connected"', async () => {
    const definition = { service: 'erp-sink', database: { schema: 'erp_sink', migrations: [] } };
    // Nothing listens on port 1: the connection is refused.
    await expect(
      migrateHubService(definition as never, { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }),
    ).rejects.toThrow(/ECONNREFUSED/);
  });
});
