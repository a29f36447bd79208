import { MigrationInterface, QueryRunner } from 'typeorm';

/** The idempotency ledger: one row per document key, derived from erp.sync-status.v1. */
export class CreateIdempotencyLedger1732270000000 implements MigrationInterface {
  name = 'CreateIdempotencyLedger1732270000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE idempotency_ledger (
        idempotency_key text PRIMARY KEY,
        tenant text NOT NULL,
        document_type text NOT NULL,
        order_id text NOT NULL,
        erp_internal_id text,
        status text NOT NULL CHECK (status IN ('pending', 'posted', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX idempotency_ledger_order ON idempotency_ledger (tenant, order_id)`);
    await queryRunner.query(`CREATE INDEX idempotency_ledger_expiry ON idempotency_ledger (expires_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE idempotency_ledger`);
  }
}
