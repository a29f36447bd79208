import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reconciliation results: one row per run, the discrepancies it found (kept
 * across runs of the same day, so first seen and resolved at are known), and
 * unlogged staging tables that hold NewStore's and the ERP's side of a run while
 * it is compared (flat memory whatever the size of the day).
 */
export class CreateReconciliationRuns1732400001000 implements MigrationInterface {
  name = 'CreateReconciliationRuns1732400001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE reconciliation_runs (
        id bigserial PRIMARY KEY,
        tenant text NOT NULL,
        business_date date NOT NULL,
        time_zone text NOT NULL,
        trigger text NOT NULL,
        status text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        newstore_orders integer,
        hub_orders integer,
        hub_documents integer,
        erp_transactions integer,
        open_discrepancies integer,
        resolved_discrepancies integer,
        parity_ratio double precision,
        amount_delta numeric(14, 2),
        error text
      )`);
    await queryRunner.query(`CREATE INDEX reconciliation_runs_day ON reconciliation_runs (tenant, business_date, id)`);
    await queryRunner.query(`
      CREATE TABLE discrepancies (
        id bigserial PRIMARY KEY,
        tenant text NOT NULL,
        business_date date NOT NULL,
        kind text NOT NULL,
        subject text NOT NULL,
        order_id text NOT NULL,
        document_type text,
        external_id text,
        expected numeric(14, 2),
        found numeric(14, 2),
        delta numeric(14, 2),
        erp_internal_ids text[] NOT NULL DEFAULT '{}',
        detail text NOT NULL,
        first_seen_run bigint NOT NULL,
        last_seen_run bigint NOT NULL,
        first_seen_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        resolved_at timestamptz,
        resync_requested_at timestamptz,
        UNIQUE (tenant, business_date, kind, subject)
      )`);
    await queryRunner.query(
      `CREATE INDEX discrepancies_open ON discrepancies (tenant, business_date) WHERE resolved_at IS NULL`,
    );
    await queryRunner.query(`
      CREATE UNLOGGED TABLE run_newstore_orders (
        run_id bigint NOT NULL,
        order_id text NOT NULL,
        external_id text NOT NULL,
        total numeric(14, 2) NOT NULL,
        item_count integer NOT NULL,
        is_historical boolean NOT NULL,
        PRIMARY KEY (run_id, order_id)
      )`);
    await queryRunner.query(`
      CREATE UNLOGGED TABLE run_erp_transactions (
        run_id bigint NOT NULL,
        internal_id text NOT NULL,
        external_id text,
        document_type text NOT NULL,
        total numeric(14, 2) NOT NULL,
        PRIMARY KEY (run_id, internal_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX run_erp_transactions_document ON run_erp_transactions (run_id, document_type, external_id)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE run_erp_transactions`);
    await queryRunner.query(`DROP TABLE run_newstore_orders`);
    await queryRunner.query(`DROP TABLE discrepancies`);
    await queryRunner.query(`DROP TABLE reconciliation_runs`);
  }
}
