import { EntityManager } from 'typeorm';
import { ACTIVE_MIGRATION_STATUSES, RUNNABLE_MIGRATION_STATUSES, VolumeMigrationStatus } from '@volume/domain';
import { MigrationMode } from '../entities/volume-migration.entity';

/** The one migration status under which a migration's progress is recorded. */
const MIGRATING: VolumeMigrationStatus = 'migrating';

/**
 * The source host takes the migration (Cinder's manager sets `migration_status = migrating`): only a
 * volume still waiting for it, or interrupted mid-copy, moves; the migration's row follows.
 * @returns false when the volume left the migration (reset, ended) before this host took it.
 */
export function markMigrating(em: EntityManager, m: { migrationId: string; volumeId: string }): Promise<boolean> {
  return em.transaction(async (tx) => {
    const [, affected]: [unknown, number] = await tx.query(
      `UPDATE volumes SET migration_status = $2, updated_at = now() WHERE id = $1 AND migration_status = ANY($3)`,
      [m.volumeId, MIGRATING, RUNNABLE_MIGRATION_STATUSES],
    );
    if (affected) {
      await tx.query(`UPDATE volume_migrations SET status = $2, updated_at = now() WHERE id = $1`, [m.migrationId, MIGRATING]);
    }
    return affected > 0;
  });
}

/**
 * A host copy's progress: the percent an admin sees on the volume, the same percent with the bytes it
 * was taken from on the migration (`processedBytes`: one observation, so that no reader pairs the
 * percent of one moment with the bytes of another), and the durable checkpoint the copy resumes from
 * (`bytesDone`, which trails them). Written only while the volume is `migrating`, so that a volume an
 * admin reset meanwhile shows nothing stale.
 * @returns false when the volume is no longer `migrating` (nothing was written): the copy must stop.
 */
export function recordCopyProgress(
  em: EntityManager,
  m: { migrationId: string; volumeId: string; percent: string; processedBytes: number; bytesDone: number; live?: CopyFiguresRecord },
): Promise<boolean> {
  return em.transaction(async (tx) => {
    const [, affected]: [unknown, number] = await tx.query(
      `UPDATE volumes SET migration_progress = $2 WHERE id = $1 AND migration_status = $3`,
      [m.volumeId, m.percent, MIGRATING],
    );
    if (!affected) return false;
    const f = m.live;
    await tx.query(
      `UPDATE volume_migrations SET bytes_done = $2, progress = $3, processed_bytes = $4, updated_at = now(),
              phase = CASE WHEN $5::boolean THEN 'copying' ELSE phase END,
              bytes_to_read = CASE WHEN $5::boolean THEN $6 ELSE bytes_to_read END, read_bytes = CASE WHEN $5::boolean THEN $7 ELSE read_bytes END,
              rate_bytes_per_second = CASE WHEN $5::boolean THEN $8 ELSE rate_bytes_per_second END,
              eta_seconds = CASE WHEN $5::boolean THEN $9 ELSE eta_seconds END, last_progress_at = COALESCE($10, last_progress_at)
        WHERE id = $1`,
      [m.migrationId, m.bytesDone, Number(m.percent), m.processedBytes, !!f, f?.bytesToRead ?? null, f?.readBytes ?? 0, f?.rateBytesPerSecond ?? null, f?.etaSeconds ?? null, f?.lastProgressAt ?? null],
    );
    return true;
  });
}

/**
 * A copy's figures as of its checkpoint (3.73's volume-migrations resource shows them when its
 * worker does not answer). `lastProgressAt` is when bytes last advanced, as the copy measured it,
 * so a checkpoint of a copy that stands still leaves it where it was.
 */
export interface CopyFiguresRecord {
  bytesToRead: number | null;
  readBytes: number;
  rateBytesPerSecond: number | null;
  etaSeconds: number | null;
  lastProgressAt: Date | null;
}

/** A host copy makes its destination (issue 14's `creating-destination` phase); `copying` comes with its first checkpoint. */
export async function recordCreatingDestination(em: EntityManager, migrationId: string): Promise<void> {
  await em.query(`UPDATE volume_migrations SET phase = 'creating-destination', updated_at = now() WHERE id = $1 AND phase = 'scheduling'`, [migrationId]);
}

/**
 * A compute swap's progress, as the compute side measures it: the percent on the volume (what GET
 * shows when the compute side does not answer) while it is `migrating`, and the mirror's counters on
 * the migration while it is under way, which also tell the watchdog that the swap is alive. `live`:
 * the mirror's rate and time left (3.73's persisted figures), read as a host copy's: QEMU's `cur`
 * of `end` are its bytes read of bytes to read.
 */
export function recordSwapProgress(
  em: EntityManager,
  m: { migrationId: string; volumeId: string; percent: string | null; bytesDone: number; bytesTotal: number; live?: CopyFiguresRecord },
): Promise<void> {
  return em.transaction(async (tx) => {
    if (m.percent !== null) {
      await tx.query(`UPDATE volumes SET migration_progress = $2 WHERE id = $1 AND migration_status = $3`, [m.volumeId, m.percent, MIGRATING]);
    }
    const f = m.live;
    // The swap's percent ratchets over a mirror whose `end` may grow: it is shown with the `cur`
    // of the same report, as is (it may lead floor(100 * cur / end), never trail it).
    await tx.query(
      `UPDATE volume_migrations SET bytes_done = $2, bytes_total = $3, progress = COALESCE($11, progress), processed_bytes = $2, bytes_to_read = COALESCE($5, bytes_to_read), read_bytes = COALESCE($6, read_bytes),
              rate_bytes_per_second = CASE WHEN $7::boolean THEN $8 ELSE rate_bytes_per_second END, eta_seconds = CASE WHEN $7::boolean THEN $9 ELSE eta_seconds END,
              last_progress_at = COALESCE($10, last_progress_at), updated_at = now()
        WHERE id = $1 AND status = ANY($4)`,
      [m.migrationId, m.bytesDone, m.bytesTotal, ACTIVE_MIGRATION_STATUSES, f?.bytesToRead ?? null, f?.readBytes ?? null, !!f, f?.rateBytesPerSecond ?? null, f?.etaSeconds ?? null, f?.lastProgressAt ?? null, m.percent === null ? null : Number(m.percent)],
    );
  });
}

/**
 * The migration is the compute side's from now on: set before the first swap is asked for, so that
 * neither a restart of the source host (a copy over the destination) nor the watchdog's plain path
 * (deleting the destination under a guest) touches it without asking the compute side first. Only
 * a migration still under way: one an admin is cancelling is never handed over.
 * @returns false when the migration is no longer under way (nothing was marked).
 */
export async function markComputeSwap(em: EntityManager, migrationId: string): Promise<boolean> {
  const mode: MigrationMode = 'compute-swap';
  const [, marked]: [unknown, number] = await em.query(
    `UPDATE volume_migrations SET mode = $2, updated_at = now() WHERE id = $1 AND status = ANY($3)`,
    [migrationId, mode, RUNNABLE_MIGRATION_STATUSES],
  );
  return marked > 0;
}
