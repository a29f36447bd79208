import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Topic offsets of the projections, committed in the same transaction as the
 * projection rows, so a crash neither re-applies nor skips an event.
 */
export class CreateProjectionOffsets1732270000000 implements MigrationInterface {
  name = 'CreateProjectionOffsets1732270000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE projection_offsets (
        projection text NOT NULL,
        topic text NOT NULL,
        partition integer NOT NULL,
        next_offset bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (projection, topic, partition)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE projection_offsets`);
  }
}
