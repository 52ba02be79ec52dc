import { EntityManager, QueryFailedError } from 'typeorm';
import { MigrationCancelVerdict, migrationCancelVerdict, RUNNABLE_MIGRATION_STATUSES } from '@volume/domain';
import { MigrationMode } from '../entities/volume-migration.entity';
import { lockVolume } from './locked-volume';
import { RESTORE_LOCKED_STATUS_SQL } from './restored-status';

/** The migration a cancel or a bandwidth change is about, as its runner needs it. */
export interface ControlledMigration {
  id: string;
  sourceHost: string;
  destHost: string;
  mode: MigrationMode | null;
  destVolumeId: string | null;
}

/**
 * What os-migrate_volume_cancel found: the verdict on the volume's row, and the migration. `ended`:
 * nobody held it yet (not placed), so it is over here; otherwise a `cancel` leaves it `cancelling`
 * for its runner (the source host, or the compute side) to stop and clean up.
 */
export interface CancelRequest {
  verdict: MigrationCancelVerdict;
  migration: ControlledMigration | null;
  ended: boolean;
}

/** PostgreSQL's deadlock_detected: one of two transactions locking the same two rows is chosen to fail. */
const DEADLOCK = '40P01';

/**
 * An admin cancels the volume's migration (3.73): on the volume's locked row, which the commit
 * points also lock (the row swap of a host copy, the commit of a driver move), so that one of the
 * cancel and the commit wins, never both. Before the commit the volume and its migration become
 * `cancelling`: the copy's next write finds the volume no longer `migrating` even if its host never
 * hears of the cancel. A migration no scheduler placed ends `cancelled` at once.
 * @throws CodedError(NotFound) when the volume is gone.
 */
export async function requestMigrationCancel(em: EntityManager, volumeId: string): Promise<CancelRequest> {
  // A driver move's commit locks the migration's row before the volume's; the loser of that race retries.
  for (let attempt = 1; ; attempt++) {
    try {
      return await em.transaction((tx) => cancelOnLockedVolume(tx, volumeId));
    } catch (err) {
      if (attempt >= 3 || !(err instanceof QueryFailedError) || (err.driverError as { code?: string })?.code !== DEADLOCK) throw err;
    }
  }
}

async function cancelOnLockedVolume(tx: EntityManager, volumeId: string): Promise<CancelRequest> {
  const volume = await lockVolume(tx, volumeId);
  const verdict = migrationCancelVerdict(volume.migrationStatus);
  const [row]: (ControlledMigration & { status: string })[] = await tx.query(
    `SELECT id, source_host AS "sourceHost", dest_host AS "destHost", mode, dest_volume_id AS "destVolumeId", status
       FROM volume_migrations WHERE volume_id = $1 ORDER BY started_at DESC LIMIT 1 FOR UPDATE`,
    [volumeId],
  );
  const migration = row ? { id: row.id, sourceHost: row.sourceHost, destHost: row.destHost, mode: row.mode, destVolumeId: row.destVolumeId } : null;
  if (verdict !== 'cancel' || !row || !RUNNABLE_MIGRATION_STATUSES.includes(row.status)) {
    return { verdict: verdict === 'cancel' ? 'past-switch-over' : verdict, migration, ended: false };
  }
  const ended = row.mode === null;
  await tx.query(
    `UPDATE volumes SET migration_status = $2, updated_at = now()${ended ? `, migration_progress = NULL, status = ${RESTORE_LOCKED_STATUS_SQL}` : ''}
      WHERE id = $1`,
    [volumeId, ended ? 'cancelled' : 'cancelling'],
  );
  await tx.query(`UPDATE volume_migrations SET status = $2, updated_at = now()${ended ? ', finished_at = now()' : ''} WHERE id = $1`, [
    row.id,
    ended ? 'cancelled' : 'cancelling',
  ]);
  return { verdict, migration, ended };
}

/**
 * The compute side refused the cancel (past its pivot, or a real Nova that cannot cancel): the
 * migration goes on as it was, and its completion is accepted again.
 */
export function withdrawMigrationCancel(em: EntityManager, m: { migrationId: string; volumeId: string }): Promise<void> {
  return em.transaction(async (tx) => {
    await tx.query(`UPDATE volumes SET migration_status = 'migrating', updated_at = now() WHERE id = $1 AND migration_status = 'cancelling'`, [m.volumeId]);
    await tx.query(`UPDATE volume_migrations SET status = 'migrating', updated_at = now() WHERE id = $1 AND status = 'cancelling'`, [m.migrationId]);
  });
}

/**
 * A running migration's own bandwidth limit (null: the host's default), kept on its row so that a
 * resumed copy keeps it.
 * @returns the migration, or null when the volume has none that runs (nothing was written).
 */
export async function setMigrationBandwidth(em: EntityManager, volumeId: string, bytesPerSecond: number | null): Promise<ControlledMigration | null> {
  const [rows]: [ControlledMigration[], number] = await em.query(
    `UPDATE volume_migrations SET bandwidth_limit = $2, updated_at = now() WHERE volume_id = $1 AND status = ANY($3)
      RETURNING id, source_host AS "sourceHost", dest_host AS "destHost", mode, dest_volume_id AS "destVolumeId"`,
    [volumeId, bytesPerSecond, RUNNABLE_MIGRATION_STATUSES],
  );
  return rows[0] ?? null;
}
