import { MigrationInterface, QueryRunner } from 'typeorm';

/** `(columns)` of each new index on volumes, by name; the first replaces `(project_id, created_at)`. */
const VOLUME_INDEXES: readonly [string, string][] = [
  ['ix_volumes_project_created', '(project_id, created_at, id) INCLUDE (migration_status)'],
  ['ix_volumes_project_name', `(project_id, (display_name IS NOT NULL), COALESCE(display_name, ''), created_at, id) INCLUDE (display_name, migration_status)`],
  ['ix_volumes_project_size', '(project_id, size, created_at, id) INCLUDE (migration_status)'],
  ['ix_volumes_project_status', '(project_id, status, created_at, id) INCLUDE (migration_status)'],
  ['ix_volumes_created', '(created_at, id)'],
  ['ix_volumes_name', `((display_name IS NOT NULL), COALESCE(display_name, ''), created_at, id) INCLUDE (display_name)`],
  ['ix_volumes_size', '(size, created_at, id)'],
  ['ix_volumes_status_created', '(status, created_at, id)'],
  ['ix_volumes_status', '(status)'],
];

/**
 * Indexes for `GET /volumes(/detail)` at scale (100,000 volumes in a project, millions in all), so
 * that a page is a range of an index in the page's order, never a sequential scan and a sort.
 *
 * - One per sort key the API is expected to serve (created_at, the default; name; size; status),
 *   led by `project_id` for a project's own list and once more without it for `all_tenants=1`.
 *   Each ends in `created_at, id`: the list breaks ties by those (Cinder appends them to any
 *   sort), and the rows after a `marker` are one row comparison over all of them.
 * - The name as the list orders it, without NULL (`display_name IS NOT NULL`, then
 *   `COALESCE(display_name, '')`: Cinder's nulls-first order), so that the row comparison holds for
 *   volumes without a name; `display_name` itself rides along, or PostgreSQL could not answer
 *   those expressions from the index alone.
 * - The project indexes carry `migration_status`, the one more column a member's list filters on
 *   (no migration's destination rows): a member's page and count come from the index alone.
 * - `(status, created_at, id)` serves `status=` filters in the default order; `(status)` alone is
 *   small (deduplicated), which is what makes a `with_count` over every project cheaper to count
 *   from than the table.
 * - Metadata filters: `(key, value, volume_id)` finds the volumes with a pair in id order, and the
 *   unique `(volume_id, key)` carries `value` so that checking one volume reads the index alone.
 */
export class VolumeListIndexes1764388800000 implements MigrationInterface {
  name = 'VolumeListIndexes1764388800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_volumes_project_created`);
    for (const [name, columns] of VOLUME_INDEXES) await q.query(`CREATE INDEX ${name} ON volumes ${columns}`);
    await q.query(`CREATE INDEX ix_volume_metadata_key_value ON volume_metadata (key, value, volume_id)`);
    await q.query(`ALTER TABLE volume_metadata DROP CONSTRAINT uq_volume_metadata_key`);
    await q.query(`ALTER TABLE volume_metadata ADD CONSTRAINT uq_volume_metadata_key UNIQUE (volume_id, key) INCLUDE (value)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE volume_metadata DROP CONSTRAINT uq_volume_metadata_key`);
    await q.query(`ALTER TABLE volume_metadata ADD CONSTRAINT uq_volume_metadata_key UNIQUE (volume_id, key)`);
    await q.query(`DROP INDEX ix_volume_metadata_key_value`);
    for (const [name] of [...VOLUME_INDEXES].reverse()) await q.query(`DROP INDEX ${name}`);
    await q.query(`CREATE INDEX ix_volumes_project_created ON volumes (project_id, created_at)`);
  }
}
