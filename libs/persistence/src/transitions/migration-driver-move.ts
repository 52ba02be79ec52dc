import { EntityManager } from 'typeorm';
import { VolumeMigrationStatus } from '@volume/domain';
import { DriverMovePhase, VolumeMigrationEntity } from '../entities/volume-migration.entity';
import { RESTORE_LOCKED_STATUS_SQL } from './restored-status';

/**
 * A driver-assisted move (Cinder's `driver.migrate_volume` between two pools of one host), crash
 * consistent: the intent is recorded, the new location made durable beside the old one, the row
 * committed to it, then the old location removed. At every instant the volume's row points at a
 * file that exists; `move_phase` tells a restarted worker which step to finish or undo.
 */

const MIGRATING: VolumeMigrationStatus = 'migrating';
const PLACING: DriverMovePhase = 'placing';
const COMMITTED: DriverMovePhase = 'committed';

/**
 * Step 1, before any file is touched: the move is `placing` its new location. Only a migration the
 * source host has taken (`migrating`) and not committed yet; a repeat (a resumed move) changes nothing.
 * @returns false when the migration is no longer under way: nothing may be moved.
 */
export async function recordDriverMoveIntent(em: EntityManager, migrationId: string): Promise<boolean> {
  const [, marked]: [unknown, number] = await em.query(
    `UPDATE volume_migrations SET move_phase = $2, updated_at = now()
      WHERE id = $1 AND status = $3 AND (move_phase IS NULL OR move_phase = $2)`,
    [migrationId, PLACING, MIGRATING],
  );
  return marked > 0;
}

/** What the commit found: the volume moved, or the migration had ended (nothing changed). */
export type DriverMoveCommit = 'committed' | 'ended';

/**
 * Step 3, once the new location is durable: the volume takes its new pool and location and the
 * migration succeeds, in one transaction, with the old location left to remove (`committed`). A
 * repeat after a commit whose answer was lost (the connection dropped at COMMIT) answers
 * `committed` again.
 * @returns `ended` when the migration ended meanwhile (the watchdog, an admin's reset): the volume
 *   stays where it was, and the new location must go.
 */
export function commitDriverMove(
  em: EntityManager,
  m: { migrationId: string; volumeId: string; destPoolHost: string; providerLocation: string },
): Promise<DriverMoveCommit> {
  return em.transaction(async (tx) => {
    // Locked first, as the watchdog locks it before it ends a migration: one of the two wins.
    const [run]: { status: string; move_phase: string | null }[] = await tx.query(
      `SELECT status, move_phase FROM volume_migrations WHERE id = $1 FOR UPDATE`,
      [m.migrationId],
    );
    if (run?.move_phase === COMMITTED) return 'committed';
    if (!run || run.status !== MIGRATING || run.move_phase !== PLACING) return 'ended';
    const [, moved]: [unknown, number] = await tx.query(
      `UPDATE volumes SET host = $2, provider_location = $3, migration_status = 'success', migration_progress = NULL,
              status = ${RESTORE_LOCKED_STATUS_SQL}, updated_at = now()
        WHERE id = $1 AND migration_status = $4`,
      [m.volumeId, m.destPoolHost, m.providerLocation, MIGRATING],
    );
    if (!moved) return 'ended';
    await tx.query(
      `UPDATE volume_migrations SET status = 'success', move_phase = $2, finished_at = now(), updated_at = now() WHERE id = $1`,
      [m.migrationId, COMMITTED],
    );
    return 'committed';
  });
}

/** Step 5: the old location (or, for a move undone, the new one) is gone; nothing is left to finish. */
export async function clearDriverMove(em: EntityManager, migrationId: string): Promise<void> {
  await em.query(`UPDATE volume_migrations SET move_phase = NULL, updated_at = now() WHERE id = $1`, [migrationId]);
}

/** The driver moves of a host (`host`, the part before '@') that a crash or a failure left unfinished, in any status. */
export function unfinishedDriverMoves(em: EntityManager, host: string): Promise<VolumeMigrationEntity[]> {
  return (
    em
      .getRepository(VolumeMigrationEntity)
      .createQueryBuilder('m')
      .where('m.move_phase IS NOT NULL')
      // starts_with, not LIKE: '_' is both a LIKE wildcard and legal in host names.
      .andWhere('starts_with(m.source_host, :prefix)', { prefix: `${host}@` })
      .orderBy('m.started_at')
      .getMany()
  );
}
