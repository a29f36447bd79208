import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The reconciler's projections (schema reconciler): derived state, rebuilt by
 * replaying the topics. Every row is written in the same transaction as the
 * offset of the message it came from (projection_offsets).
 */
export class CreateProjections1732400000000 implements MigrationInterface {
  name = 'CreateProjections1732400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE orders (
        tenant text NOT NULL,
        order_id text NOT NULL,
        external_id text,
        channel text,
        channel_type text,
        created_at timestamptz,
        business_date date,
        currency text,
        total numeric(14, 2),
        item_count integer,
        is_historical boolean NOT NULL DEFAULT false,
        opened boolean NOT NULL DEFAULT false,
        status text NOT NULL,
        status_rank smallint NOT NULL,
        event_count integer NOT NULL,
        event_partition integer NOT NULL,
        event_offsets bigint[] NOT NULL,
        PRIMARY KEY (tenant, order_id)
      )`);
    await queryRunner.query(`CREATE INDEX orders_business_day ON orders (tenant, business_date, order_id)`);
    await queryRunner.query(`
      CREATE TABLE erp_documents (
        idempotency_key text PRIMARY KEY,
        tenant text,
        order_id text,
        document_type text,
        external_id text,
        tran_date date,
        amount numeric(14, 2),
        line_count integer,
        source_event_id text,
        source_event_name text,
        document_partition integer,
        document_offset bigint,
        status text,
        erp_internal_id text,
        attempts integer,
        error text,
        status_updated_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX erp_documents_day ON erp_documents (tenant, tran_date, idempotency_key)`);
    await queryRunner.query(`CREATE INDEX erp_documents_order ON erp_documents (tenant, order_id)`);
    await queryRunner.query(`CREATE INDEX erp_documents_source_event ON erp_documents (source_event_id)`);
    await queryRunner.query(`
      CREATE TABLE dead_letters (
        topic_partition integer NOT NULL,
        topic_offset bigint NOT NULL,
        tenant text,
        order_id text,
        event_id text,
        event_name text,
        reason text,
        PRIMARY KEY (topic_partition, topic_offset)
      )`);
    await queryRunner.query(`CREATE INDEX dead_letters_order ON dead_letters (tenant, order_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE dead_letters`);
    await queryRunner.query(`DROP TABLE erp_documents`);
    await queryRunner.query(`DROP TABLE orders`);
  }
}
