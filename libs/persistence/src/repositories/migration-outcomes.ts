import { EntityManager } from 'typeorm';

/** migration_status values of a volume whose migration is under way. */
export const ACTIVE_MIGRATION_STATUSES = ['starting', 'migrating', 'completing'];

/**
 * Ends a migration as failed, whichever service notices: the volume keeps its data and its host,
 * `migration_status` becomes `error`, and a volume the migration locked (`maintenance`) gets its
 * status back. The destination's cleanup is the caller's. Without a `migrationId` (a completion for
 * a migration nobody recorded) only the volume changes.
 */
export async function endMigrationWithError(
  em: EntityManager,
  m: { migrationId: string | null; volumeId: string; error: string },
): Promise<void> {
  await em.query(
    `UPDATE volumes
        SET migration_status = 'error', migration_progress = NULL, updated_at = now(),
            status = CASE WHEN status = 'maintenance' THEN COALESCE(previous_status, 'available') ELSE status END
      WHERE id = $1 AND migration_status = ANY($2)`,
    [m.volumeId, ACTIVE_MIGRATION_STATUSES],
  );
  if (m.migrationId === null) return;
  await em.query(
    `UPDATE volume_migrations SET status = 'error', error = $2, finished_at = now(), updated_at = now()
      WHERE id = $1 AND status NOT IN ('success', 'error')`,
    [m.migrationId, m.error],
  );
}
