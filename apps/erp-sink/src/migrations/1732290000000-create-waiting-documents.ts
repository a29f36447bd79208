import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Documents waiting for their dependency (a credit memo for its sales order). They
 * are parked here durably before their offset is committed, so the partition is not
 * blocked behind them, and released when the dependency is posted.
 */
export class CreateWaitingDocuments1732290000000 implements MigrationInterface {
  name = 'CreateWaitingDocuments1732290000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE waiting_documents (
        idempotency_key text PRIMARY KEY,
        depends_on text NOT NULL,
        order_id text NOT NULL,
        message_key text,
        message_value bytea NOT NULL,
        message_headers jsonb NOT NULL,
        source_topic text NOT NULL,
        source_partition integer NOT NULL,
        source_offset bigint NOT NULL,
        first_seen_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX waiting_documents_depends_on ON waiting_documents (depends_on)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE waiting_documents`);
  }
}
