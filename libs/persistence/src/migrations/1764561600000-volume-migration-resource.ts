import { MigrationInterface, QueryRunner } from 'typeorm';

/** The statuses a migration's row may hold; `cancelling` and `cancelled` are for the cancel of issue 14 §2. */
const STATUSES = `('starting', 'migrating', 'completing', 'success', 'error', 'cancelling', 'cancelled')`;
const PHASES = `('scheduling', 'creating-destination', 'copying', 'swapping', 'completing', 'done')`;

/** `(columns)` of the list's indexes, by name: each ends in `started_at, id`, the list's newest-first order. */
const LIST_INDEXES: readonly [string, string][] = [
  ['ix_volume_migrations_started', '(started_at, id)'],
  ['ix_volume_migrations_project_started', '(project_id, started_at, id)'],
  ['ix_volume_migrations_status_started', '(status, started_at, id)'],
  ['ix_volume_migrations_updated', '(updated_at)'],
];

/**
 * Migrations as a resource (microversion 3.73, issue 14 §1): what `GET /volume-migrations` shows
 * that the row cannot derive.
 *
 * - `phase`: the step the runner reported (`creating-destination`, `copying`); the others
 *   (`scheduling`, `swapping`, `completing`, `done`) follow from status and mode, and the rows
 *   already there get theirs from them.
 * - The copy's live figures as of its last checkpoint (`bytes_to_read`, `read_bytes`, the rate, the
 *   ETA) and `last_progress_at`, when bytes last advanced: a reader of a row whose worker does not
 *   answer still sees how fresh they are.
 * - `bandwidth_limit`: a migration's own limit (null: the host's), set by the control of §2.
 * - `project_id`, the volume's, for the list's tenancy and filter without a join: backfilled, and
 *   filled by a trigger on insert, so that no writer (nor a test's fixture) can leave it out.
 * - Indexes for the list: newest first (`started_at, id`, read backwards), per project, per status;
 *   `updated_at` for `changes-since`; `finished_at` for the history purge. The host filters are
 *   rare admin queries over a small table and go without.
 * - `cancelled` ends a migration like `success` and `error`: it no longer holds the volume's one
 *   active migration, and a CHECK keeps the status to the known words.
 */
export class VolumeMigrationResource1764561600000 implements MigrationInterface {
  name = 'VolumeMigrationResource1764561600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE volume_migrations
        ADD COLUMN project_id varchar(255),
        ADD COLUMN phase varchar(32) NOT NULL DEFAULT 'scheduling',
        ADD COLUMN bytes_to_read bigint,
        ADD COLUMN read_bytes bigint NOT NULL DEFAULT 0,
        ADD COLUMN rate_bytes_per_second bigint,
        ADD COLUMN eta_seconds bigint,
        ADD COLUMN last_progress_at timestamptz(6),
        ADD COLUMN bandwidth_limit bigint`);
    await q.query(`UPDATE volume_migrations m SET project_id = v.project_id FROM volumes v WHERE v.id = m.volume_id`);
    await q.query(`
      UPDATE volume_migrations SET phase = CASE
        WHEN status IN ('success', 'error') THEN 'done'
        WHEN status = 'completing' THEN 'completing'
        WHEN status = 'migrating' AND mode = 'compute-swap' THEN 'swapping'
        WHEN status = 'migrating' THEN 'copying'
        ELSE 'scheduling' END`);
    await q.query(`
      CREATE FUNCTION volume_migrations_fill_project_id() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.project_id IS NULL THEN
          SELECT project_id INTO NEW.project_id FROM volumes WHERE id = NEW.volume_id;
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER tr_volume_migrations_project_id BEFORE INSERT ON volume_migrations
        FOR EACH ROW EXECUTE FUNCTION volume_migrations_fill_project_id()`);
    await q.query(`ALTER TABLE volume_migrations ALTER COLUMN project_id SET NOT NULL`);
    await q.query(`ALTER TABLE volume_migrations ADD CONSTRAINT ck_volume_migrations_status CHECK (status IN ${STATUSES})`);
    await q.query(`ALTER TABLE volume_migrations ADD CONSTRAINT ck_volume_migrations_phase CHECK (phase IN ${PHASES})`);
    await q.query(`DROP INDEX uq_volume_migrations_active`);
    await q.query(
      `CREATE UNIQUE INDEX uq_volume_migrations_active ON volume_migrations (volume_id) WHERE status NOT IN ('success', 'error', 'cancelled')`,
    );
    for (const [name, columns] of LIST_INDEXES) await q.query(`CREATE INDEX ${name} ON volume_migrations ${columns}`);
    await q.query(`CREATE INDEX ix_volume_migrations_finished ON volume_migrations (finished_at) WHERE finished_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_volume_migrations_finished`);
    for (const [name] of [...LIST_INDEXES].reverse()) await q.query(`DROP INDEX ${name}`);
    await q.query(`DROP INDEX uq_volume_migrations_active`);
    // A cancelled row would hold its volume's one active migration again: it ends as the error it was.
    await q.query(`UPDATE volume_migrations SET status = 'error' WHERE status = 'cancelled'`);
    await q.query(`CREATE UNIQUE INDEX uq_volume_migrations_active ON volume_migrations (volume_id) WHERE status NOT IN ('success', 'error')`);
    await q.query(`ALTER TABLE volume_migrations DROP CONSTRAINT ck_volume_migrations_phase`);
    await q.query(`ALTER TABLE volume_migrations DROP CONSTRAINT ck_volume_migrations_status`);
    await q.query(`DROP TRIGGER tr_volume_migrations_project_id ON volume_migrations`);
    await q.query(`DROP FUNCTION volume_migrations_fill_project_id()`);
    await q.query(`
      ALTER TABLE volume_migrations
        DROP COLUMN bandwidth_limit, DROP COLUMN last_progress_at, DROP COLUMN eta_seconds, DROP COLUMN rate_bytes_per_second,
        DROP COLUMN read_bytes, DROP COLUMN bytes_to_read, DROP COLUMN phase, DROP COLUMN project_id`);
  }
}
