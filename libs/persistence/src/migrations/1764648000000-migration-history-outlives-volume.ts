import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A volume's migrations stay when the volume goes (issue 14 §2): they are the admin's history, and
 * the pre-flight estimate's record of what past copies between two hosts achieved. So the foreign
 * key that deleted them with the volume (ON DELETE CASCADE) goes; `volume_id` stays, naming a volume
 * that may no longer exist. The rows are admin-only and carry their own `project_id`, and
 * MIGRATION_HISTORY_DAYS still purges them.
 *
 * Down: the key comes back, so the history of volumes that are gone is dropped first.
 */
export class MigrationHistoryOutlivesVolume1764648000000 implements MigrationInterface {
  name = 'MigrationHistoryOutlivesVolume1764648000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE volume_migrations DROP CONSTRAINT volume_migrations_volume_id_fkey`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM volume_migrations m WHERE NOT EXISTS (SELECT 1 FROM volumes v WHERE v.id = m.volume_id)`);
    await q.query(
      `ALTER TABLE volume_migrations ADD CONSTRAINT volume_migrations_volume_id_fkey FOREIGN KEY (volume_id) REFERENCES volumes(id) ON DELETE CASCADE`,
    );
  }
}
