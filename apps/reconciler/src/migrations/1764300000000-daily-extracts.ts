import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What NewStore and the ERP listed for each reconciled day, the minimal fields, kept
 * so that a month or a year is reported without asking NewStore again (seed 000:
 * queries over long periods time out as data grows; store the responses over time).
 * Partitioned by month (partitions made as days are stored, dropped after
 * RECONCILER_EXTRACT_RETENTION_MONTHS); `extract_days` says which days are stored whole.
 */
export class DailyExtracts1764300000000 implements MigrationInterface {
  name = 'DailyExtracts1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE extract_days (
        tenant text NOT NULL,
        business_date date NOT NULL,
        run_id bigint NOT NULL,
        stored_at timestamptz NOT NULL DEFAULT now(),
        newstore_orders integer NOT NULL,
        erp_transactions integer NOT NULL,
        PRIMARY KEY (tenant, business_date)
      )`);
    await queryRunner.query(`
      CREATE TABLE extract_newstore_orders (
        tenant text NOT NULL,
        business_date date NOT NULL,
        order_id text NOT NULL,
        external_id text,
        total numeric,
        item_count integer,
        is_historical boolean NOT NULL,
        PRIMARY KEY (tenant, business_date, order_id)
      ) PARTITION BY RANGE (business_date)`);
    await queryRunner.query(`
      CREATE TABLE extract_erp_transactions (
        tenant text NOT NULL,
        business_date date NOT NULL,
        internal_id text NOT NULL,
        external_id text,
        document_type text NOT NULL,
        total numeric,
        PRIMARY KEY (tenant, business_date, internal_id)
      ) PARTITION BY RANGE (business_date)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE extract_erp_transactions`);
    await queryRunner.query(`DROP TABLE extract_newstore_orders`);
    await queryRunner.query(`DROP TABLE extract_days`);
  }
}
