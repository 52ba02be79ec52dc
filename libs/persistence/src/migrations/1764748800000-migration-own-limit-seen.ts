import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Whether a migration ever ran under a limit of its own (issue 14 §2's estimate): `bandwidth_limit`
 * says only the last one, and an admin may have throttled a copy for hours and then returned it to
 * the host's default (`null`). Such a copy's rate is partly its limit's, not the hosts', so the
 * pre-flight estimate leaves it out; `own_limit_seen` remembers it.
 *
 * Set by a trigger whoever writes the limit (the API at the start, os-migrate_volume_set_bandwidth,
 * nova-bridge's swap): a limit seen stays seen. Rows before it are seen as their limit shows.
 */
export class MigrationOwnLimitSeen1764748800000 implements MigrationInterface {
  name = 'MigrationOwnLimitSeen1764748800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE volume_migrations ADD COLUMN own_limit_seen boolean NOT NULL DEFAULT false`);
    await q.query(`UPDATE volume_migrations SET own_limit_seen = true WHERE bandwidth_limit IS NOT NULL`);
    await q.query(`
      CREATE FUNCTION volume_migrations_own_limit_seen() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.own_limit_seen := NEW.own_limit_seen OR NEW.bandwidth_limit IS NOT NULL
          OR (TG_OP = 'UPDATE' AND OLD.own_limit_seen);
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER tr_volume_migrations_own_limit_seen BEFORE INSERT OR UPDATE ON volume_migrations
        FOR EACH ROW EXECUTE FUNCTION volume_migrations_own_limit_seen()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER tr_volume_migrations_own_limit_seen ON volume_migrations`);
    await q.query(`DROP FUNCTION volume_migrations_own_limit_seen()`);
    await q.query(`ALTER TABLE volume_migrations DROP COLUMN own_limit_seen`);
  }
}
