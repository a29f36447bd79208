import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each move of an event to one of the enricher's retry tiers, projected from the tier's
 * topic (rebuildable by replay, as long as the tiers' retention holds it): the order's
 * page shows its retries with their tier and reason, and a day's `stuck_in_retry` names
 * the last one.
 */
export class EnrichmentRetries1765100000000 implements MigrationInterface {
  name = 'EnrichmentRetries1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE enrichment_retries (
        tier_delay_ms integer NOT NULL,
        topic_partition integer NOT NULL,
        topic_offset bigint NOT NULL,
        tenant text,
        order_id text,
        event_id text,
        event_name text,
        attempt integer,
        reason text,
        moved_at timestamptz NOT NULL,
        due_at timestamptz,
        first_seen_at timestamptz,
        PRIMARY KEY (tier_delay_ms, topic_partition, topic_offset)
      )`);
    await queryRunner.query(`CREATE INDEX enrichment_retries_order ON enrichment_retries (tenant, order_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE enrichment_retries`);
  }
}
