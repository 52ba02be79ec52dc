import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A driver-assisted move records where it is before it touches a file (issue 17 §2): `placing`
 * (the new location is being made, the volume still on its old pool), `committed` (the volume is on
 * its new pool, the old location still to remove), NULL (no move under way or left to finish). The
 * two pools are the row's `source_host` and `dest_host`; a restarted worker finishes or undoes the
 * move from this phase and what it finds on disk.
 */
export class DriverMovePhase1764216000000 implements MigrationInterface {
  name = 'DriverMovePhase1764216000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE volume_migrations ADD COLUMN move_phase varchar(16)`);
    await q.query(`ALTER TABLE volume_migrations ADD CONSTRAINT ck_volume_migrations_move_phase CHECK (move_phase IN ('placing', 'committed'))`);
    // What a starting worker looks for: few rows, and only these.
    await q.query(`CREATE INDEX ix_volume_migrations_move_phase ON volume_migrations (source_host) WHERE move_phase IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_volume_migrations_move_phase`);
    await q.query(`ALTER TABLE volume_migrations DROP COLUMN move_phase`);
  }
}
