import { EntityManager } from 'typeorm';
import { ACTIVE_MIGRATION_STATUSES, migrationTargetStatus } from '@volume/domain';
import { RESTORE_LOCKED_STATUS_SQL } from './restored-status';

/** A migration an admin is cancelling ends `cancelled` whatever stops it: its destination goes the same way. */
const ERROR_UNLESS_CANCELLING = (column: string) => `CASE WHEN ${column} = 'cancelling' THEN 'cancelled' ELSE 'error' END`;

/**
 * Ends a migration as failed, whichever service notices: the volume keeps its data and its host,
 * `migration_status` becomes `error` (`cancelled` for one an admin is cancelling), and a volume the
 * migration locked (`maintenance`) gets its status back. Only a migration still under way changes, and a
 * late failure of one that is over leaves the volume alone when another migration of it runs now.
 * The destination's cleanup is the caller's (markDestinationDeleting). Without a `migrationId` (a completion for a migration nobody recorded)
 * only the volume changes.
 */
export function endMigrationWithError(em: EntityManager, m: { migrationId: string | null; volumeId: string; error: string }): Promise<void> {
  return em.transaction(async (tx) => {
    // The volume first, as every transition locks it: then its migration.
    await tx.query(`SELECT 1 FROM volumes WHERE id = $1 FOR UPDATE`, [m.volumeId]);
    if (m.migrationId !== null) {
      const [, ended]: [unknown, number] = await tx.query(
        `UPDATE volume_migrations
            SET status = ${ERROR_UNLESS_CANCELLING('status')}, error = CASE WHEN status = 'cancelling' THEN NULL ELSE $2 END,
                finished_at = now(), updated_at = now()
          WHERE id = $1 AND status = ANY($3)`,
        [m.migrationId, m.error, ACTIVE_MIGRATION_STATUSES],
      );
      // A late failure of a migration that is over must not end the volume's next one.
      if (!ended) {
        const next: unknown[] = await tx.query(`SELECT 1 FROM volume_migrations WHERE volume_id = $1 AND id <> $2 AND status = ANY($3) LIMIT 1`, [
          m.volumeId,
          m.migrationId,
          ACTIVE_MIGRATION_STATUSES,
        ]);
        if (next.length) return;
      }
    }
    await tx.query(
      `UPDATE volumes
          SET migration_status = ${ERROR_UNLESS_CANCELLING('migration_status')}, migration_progress = NULL, updated_at = now(),
              status = ${RESTORE_LOCKED_STATUS_SQL}
        WHERE id = $1 AND migration_status = ANY($2)`,
      [m.volumeId, ACTIVE_MIGRATION_STATUSES],
    );
  });
}

/**
 * A failed or abandoned migration's destination goes `deleting`, for its host to remove (now, or at
 * its next start). Only a row that is still this volume's destination: never one the rows' swap
 * already gave the volume's data to.
 * @returns false when the row is not (or no longer) the destination: nothing may be deleted then.
 */
export async function markDestinationDeleting(em: EntityManager, m: { volumeId: string; destVolumeId: string }): Promise<boolean> {
  const [, marked]: [unknown, number] = await em.query(
    `UPDATE volumes SET status = 'deleting', updated_at = now() WHERE id = $1 AND migration_status = $2`,
    [m.destVolumeId, migrationTargetStatus(m.volumeId)],
  );
  return marked > 0;
}

/**
 * The watchdog looked at these silent compute swaps: each is looked at again one full stall bound
 * later, not on every sweep (the compute side decides whether a swap ends).
 */
export async function postponeStallCheck(em: EntityManager, migrationIds: readonly string[]): Promise<void> {
  if (migrationIds.length === 0) return;
  await em.query(`UPDATE volume_migrations SET updated_at = now() WHERE id = ANY($1)`, [migrationIds]);
}
