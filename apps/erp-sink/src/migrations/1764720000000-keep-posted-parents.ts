import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A posted sale is kept in the ledger for as long as its ERP record lives: a return
 * or appeasement 30 to 90 days later (normal return windows) asks whether its sale is
 * posted, and a 30-day TTL answered "no" and dead-lettered it. Existing rows of posted
 * sales lose their expiry; the ledger writes them without one from now on.
 */
export class KeepPostedParents1764720000000 implements MigrationInterface {
  name = 'KeepPostedParents1764720000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `UPDATE idempotency_ledger SET expires_at = 'infinity'
       WHERE status = 'posted' AND document_type IN ('salesOrder', 'cashSale')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `UPDATE idempotency_ledger SET expires_at = updated_at + interval '30 days' WHERE expires_at = 'infinity'`,
    );
  }
}
