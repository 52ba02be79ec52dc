import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a running migration last showed, on its own row: `progress` (the percent its volume showed,
 * written in the same transaction) and `processed_bytes` (the bytes that percent was taken from).
 * `bytes_done` stays the durable checkpoint a copy resumes from, which trails what the copy
 * processed by up to a second; a reader given the percent of one and the bytes of the other saw
 * "6 % | 0 B". Kept past the volume's own field (cleared on cancel or error) so that the final
 * event shows what was last shown, never less. Null on rows from before, and for driver moves.
 */
export class MigrationShownProgress1764752400000 implements MigrationInterface {
  name = 'MigrationShownProgress1764752400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE volume_migrations ADD COLUMN progress smallint, ADD COLUMN processed_bytes bigint`);
    await q.query(
      `ALTER TABLE volume_migrations ADD CONSTRAINT ck_volume_migrations_progress CHECK (progress BETWEEN 0 AND 100), ADD CONSTRAINT ck_volume_migrations_processed_bytes CHECK (processed_bytes >= 0)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE volume_migrations DROP COLUMN processed_bytes, DROP COLUMN progress`);
  }
}
