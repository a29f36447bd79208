import { MigrationInterface, QueryRunner } from 'typeorm';

/** What people did to orders from the order page (who, when, what, result), kept for audit. */
export class OperatorActions1765000001000 implements MigrationInterface {
  name = 'OperatorActions1765000001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE operator_actions (
        id bigserial PRIMARY KEY,
        tenant text NOT NULL,
        order_id text NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        actor text NOT NULL,
        action text NOT NULL,
        what text NOT NULL,
        outcome text NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX operator_actions_order ON operator_actions (tenant, order_id, id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE operator_actions`);
  }
}
