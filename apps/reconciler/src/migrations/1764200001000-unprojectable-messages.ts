import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Messages the projections could not read (an opening event whose creation time
 * is no datetime, a value that is not JSON, a document that breaks its contract),
 * kept with the reason so that a person can find them; the projection goes on.
 */
export class UnprojectableMessages1764200001000 implements MigrationInterface {
  name = 'UnprojectableMessages1764200001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE unprojectable_messages (
        topic text NOT NULL,
        topic_partition integer NOT NULL,
        topic_offset bigint NOT NULL,
        message_key text,
        reason text NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (topic, topic_partition, topic_offset)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE unprojectable_messages`);
  }
}
