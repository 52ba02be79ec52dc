import { MigrationInterface, QueryRunner } from 'typeorm';

/** The PostgreSQL channel a migration's changes are announced on (issue 14 §3). */
export const MIGRATION_CHANGE_CHANNEL = 'volume_migration_changes';

/**
 * Every change of a `volume_migrations` row is announced on `volume_migration_changes`, at commit,
 * whoever wrote it: the API accepting, the scheduler placing, a worker copying or completing,
 * nova-bridge swapping, the watchdog or an admin's reset. The API relays the announcements to
 * NATS; no writer needs to know about events, and one added later is covered too.
 *
 * The payload is small (NOTIFY allows 8000 bytes) and the same for every listener, which is what
 * lets any number of relays agree on a message's de-duplication id: the row's id, the writing
 * transaction, the clock at the write, the old and new status, and whether more than the figures
 * changed (status, phase, mode, destination, bandwidth limit or error).
 */
export class VolumeMigrationEvents1764651600000 implements MigrationInterface {
  name = 'VolumeMigrationEvents1764651600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION volume_migrations_announce() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('${MIGRATION_CHANGE_CHANNEL}', json_build_object(
          'id', NEW.id,
          'txid', txid_current()::text,
          'at', floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint,
          'status', NEW.status,
          'old_status', CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.status END,
          'state_changed', TG_OP = 'INSERT'
            OR (NEW.status, NEW.phase, NEW.mode, NEW.dest_host, NEW.bandwidth_limit, NEW.error)
               IS DISTINCT FROM (OLD.status, OLD.phase, OLD.mode, OLD.dest_host, OLD.bandwidth_limit, OLD.error)
        )::text);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER tr_volume_migrations_announce_insert AFTER INSERT ON volume_migrations
        FOR EACH ROW EXECUTE FUNCTION volume_migrations_announce()`);
    // An update that changes nothing (a guarded write that found the row as it wanted it) announces nothing.
    await q.query(`
      CREATE TRIGGER tr_volume_migrations_announce_update AFTER UPDATE ON volume_migrations
        FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION volume_migrations_announce()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER tr_volume_migrations_announce_update ON volume_migrations`);
    await q.query(`DROP TRIGGER tr_volume_migrations_announce_insert ON volume_migrations`);
    await q.query(`DROP FUNCTION volume_migrations_announce()`);
  }
}
