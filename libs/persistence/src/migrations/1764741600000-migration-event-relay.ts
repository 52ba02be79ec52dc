import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The session advisory lock (two int4 keys) that makes one API replica the relay of migration
 * events: only the holder LISTENs and publishes, and PostgreSQL frees it when the holder's
 * connection ends, however it ends, for another replica to take. Keyed here, beside the schema
 * the relay depends on, so that every replica and the tests name the same lock.
 */
export const MIGRATION_RELAY_LOCK = [0x766f6c75, 0x6d696772] as const;

/**
 * Which finished migrations' final events (`.end`, `.error`, `.cancel`) are on the notification
 * stream: `end_relayed`, set by the relay once the stream has it. A replica taking over the relay
 * publishes the unmarked ones, however long no replica relayed (beyond the stream's duplicate
 * window too), so that a consumer waiting for the end never waits for good. The partial index holds
 * only the running and the unrelayed rows, so that looking for them stays cheap as history grows.
 *
 * The history already there counts as relayed (the column comes with `true` for every row, without
 * rewriting the table); rows written later start unrelayed. Setting the mark is no change to
 * announce: the trigger now ignores a write that changes only it.
 */
export class MigrationEventRelay1764741600000 implements MigrationInterface {
  name = 'MigrationEventRelay1764741600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE volume_migrations ADD COLUMN end_relayed boolean NOT NULL DEFAULT true`);
    await q.query(`ALTER TABLE volume_migrations ALTER COLUMN end_relayed SET DEFAULT false`);
    await q.query(`DROP TRIGGER tr_volume_migrations_announce_update ON volume_migrations`);
    await q.query(`
      CREATE TRIGGER tr_volume_migrations_announce_update AFTER UPDATE ON volume_migrations
        FOR EACH ROW WHEN ((to_jsonb(OLD) - 'end_relayed') IS DISTINCT FROM (to_jsonb(NEW) - 'end_relayed'))
        EXECUTE FUNCTION volume_migrations_announce()`);
    await q.query(`UPDATE volume_migrations SET end_relayed = false WHERE status NOT IN ('success', 'error', 'cancelled')`);
    await q.query(`CREATE INDEX ix_volume_migrations_end_unrelayed ON volume_migrations (id) WHERE NOT end_relayed`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_volume_migrations_end_unrelayed`);
    await q.query(`DROP TRIGGER tr_volume_migrations_announce_update ON volume_migrations`);
    await q.query(`
      CREATE TRIGGER tr_volume_migrations_announce_update AFTER UPDATE ON volume_migrations
        FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION volume_migrations_announce()`);
    await q.query(`ALTER TABLE volume_migrations DROP COLUMN end_relayed`);
  }
}
