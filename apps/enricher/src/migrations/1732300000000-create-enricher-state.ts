import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The enricher's state (schema enricher), in Postgres rather than a compacted topic
 * because parking and releasing must be atomic per order key across instances:
 * processed event ids (deduplication), orders whose head event is in retry, and the
 * later events parked behind it in arrival order.
 */
export class CreateEnricherState1732300000000 implements MigrationInterface {
  name = 'CreateEnricherState1732300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE processed_events (
        event_id text PRIMARY KEY,
        order_key text NOT NULL,
        outcome text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX processed_events_age ON processed_events (processed_at)`);
    await queryRunner.query(`
      CREATE TABLE retrying_keys (
        order_key text PRIMARY KEY,
        event_id text NOT NULL,
        since timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE parked_events (
        seq bigserial PRIMARY KEY,
        order_key text NOT NULL,
        message_value bytea NOT NULL,
        message_headers jsonb NOT NULL,
        parked_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX parked_events_key ON parked_events (order_key, seq)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE parked_events`);
    await queryRunner.query(`DROP TABLE retrying_keys`);
    await queryRunner.query(`DROP TABLE processed_events`);
  }
}
