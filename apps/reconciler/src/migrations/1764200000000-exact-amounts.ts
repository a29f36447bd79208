import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Amounts kept exactly, whatever the currency: numeric(14, 2) rounded a
 * three-decimal currency (KWD, BHD) to cents. Unconstrained numeric keeps every
 * digit NewStore, the hub and the ERP wrote. A run also keeps how many hub
 * orders it left to the next run (created within the settle window), so that a
 * report can say why NewStore's and the hub's counts differ.
 */
export class ExactAmounts1764200000000 implements MigrationInterface {
  name = 'ExactAmounts1764200000000';

  private readonly columns: [string, string][] = [
    ['orders', 'total'],
    ['erp_documents', 'amount'],
    ['reconciliation_runs', 'amount_delta'],
    ['discrepancies', 'expected'],
    ['discrepancies', 'found'],
    ['discrepancies', 'delta'],
    ['run_newstore_orders', 'total'],
    ['run_erp_transactions', 'total'],
  ];

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const [table, column] of this.columns)
      await queryRunner.query(`ALTER TABLE ${table} ALTER COLUMN ${column} TYPE numeric`);
    await queryRunner.query(`ALTER TABLE reconciliation_runs ADD COLUMN hub_orders_unsettled integer`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE reconciliation_runs DROP COLUMN hub_orders_unsettled`);
    for (const [table, column] of this.columns)
      await queryRunner.query(`ALTER TABLE ${table} ALTER COLUMN ${column} TYPE numeric(14, 2)`);
  }
}
