import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Parity of every document, line by line (docs/domain.md sections 3 and 4): each
 * projected document keeps the lines it posts, and a run stages what it compares
 * them with: the cancelled items and the returns NewStore lists for the day, and
 * the ERP's lines of the day's transactions.
 */
export class DocumentParity1765000000000 implements MigrationInterface {
  name = 'DocumentParity1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Null for a document projected before lines were kept: its lines are not compared until a rebuild.
    await queryRunner.query(`ALTER TABLE erp_documents ADD COLUMN lines jsonb`);
    // A return's records are found by their external ids (an order is too, by any of its documents').
    await queryRunner.query(`CREATE INDEX erp_documents_external_id ON erp_documents (external_id)`);
    await queryRunner.query(
      `ALTER TABLE run_newstore_orders ADD COLUMN cancelled_items text[] NOT NULL DEFAULT '{}'::text[]`,
    );
    // Whether the ERP listing gave the transaction's lines (an adapter may not): only then are they compared.
    await queryRunner.query(`ALTER TABLE run_erp_transactions ADD COLUMN lines_listed boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`
      CREATE UNLOGGED TABLE run_newstore_returns (
        run_id bigint NOT NULL,
        return_id text NOT NULL,
        order_id text,
        total numeric,
        -- The external ids the hub gives the return's records (with and without a tenant token).
        external_ids text[] NOT NULL,
        PRIMARY KEY (run_id, return_id)
      )`);
    await queryRunner.query(`
      CREATE UNLOGGED TABLE run_erp_lines (
        run_id bigint NOT NULL,
        internal_id text NOT NULL,
        line integer NOT NULL,
        item text,
        item_names text[],
        item_type text,
        quantity numeric,
        amount numeric,
        is_closed boolean NOT NULL,
        PRIMARY KEY (run_id, internal_id, line)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE run_erp_lines`);
    await queryRunner.query(`DROP TABLE run_newstore_returns`);
    await queryRunner.query(`ALTER TABLE run_newstore_orders DROP COLUMN cancelled_items`);
    await queryRunner.query(`ALTER TABLE run_erp_transactions DROP COLUMN lines_listed`);
    await queryRunner.query(`DROP INDEX erp_documents_external_id`);
    await queryRunner.query(`ALTER TABLE erp_documents DROP COLUMN lines`);
  }
}
