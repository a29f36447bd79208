import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A cancellation closes lines of its sale's sales order and makes no record of its
 * own (docs/domain.md section 3): its document is a change to the sale, kept apart
 * from the documents that are records, so that the sale is compared with what the
 * ERP books once its cancelled lines are closed.
 */
export class ClosingDocuments1764800000000 implements MigrationInterface {
  name = 'ClosingDocuments1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE erp_documents ADD COLUMN closes_lines boolean NOT NULL DEFAULT false`);
    await queryRunner.query(
      `CREATE INDEX erp_documents_closing ON erp_documents (tenant, document_type, external_id) WHERE closes_lines`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX erp_documents_closing`);
    await queryRunner.query(`ALTER TABLE erp_documents DROP COLUMN closes_lines`);
  }
}
