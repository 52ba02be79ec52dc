import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Migration progress (microversion 3.72): the progress string the worker persists on the volume,
 * and one `volume_migrations` row per migration with its copy checkpoint.
 */
export class VolumeMigrations1764050400000 implements MigrationInterface {
  name = 'VolumeMigrations1764050400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE volumes ADD COLUMN migration_progress varchar(255)`);
    await q.query(`
      CREATE TABLE volume_migrations (
        id uuid PRIMARY KEY,
        volume_id uuid NOT NULL REFERENCES volumes(id) ON DELETE CASCADE,
        dest_volume_id uuid,
        source_host varchar(255) NOT NULL,
        dest_host varchar(255) NOT NULL,
        mode varchar(32),
        status varchar(32) NOT NULL,
        force_host_copy boolean NOT NULL DEFAULT false,
        lock_volume boolean NOT NULL DEFAULT false,
        bytes_total bigint NOT NULL DEFAULT 0,
        bytes_done bigint NOT NULL DEFAULT 0,
        started_at timestamptz(6) NOT NULL,
        updated_at timestamptz(6) NOT NULL,
        finished_at timestamptz(6),
        error text
      )`);
    await q.query(`CREATE INDEX ix_volume_migrations_volume ON volume_migrations (volume_id, started_at)`);
    // At most one migration under way per volume, whatever races the API loses.
    await q.query(
      `CREATE UNIQUE INDEX uq_volume_migrations_active ON volume_migrations (volume_id)
        WHERE status NOT IN ('success', 'error')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE volume_migrations`);
    await q.query(`ALTER TABLE volumes DROP COLUMN migration_progress`);
  }
}
