import { DataSource } from 'typeorm';
import { SwapProgressReply } from '@volume/contracts';
import { completionForPhase, swapPercent } from '@volume/domain';
import { CopyFiguresRecord, recordSwapProgress } from '@volume/persistence';
import { ComputeSwapEntity } from '@volume/persistence/compute-host';

/** What the compute side reports for a swap row, in memory or from the database. */
export function progressReply(row: ComputeSwapEntity): SwapProgressReply {
  const percent = swapPercent(row.phase, row.progress, row.cur, row.end);
  return {
    progress: percent === null ? null : String(percent),
    phase: row.phase,
    cur: row.cur,
    end: row.end,
    updatedAt: row.updatedAt.toISOString(),
    completion: completionForPhase(row.phase),
    source: 'local',
  };
}

/**
 * The swap's commit point in the database: the device record points at the target and the swap is
 * completing, in one transaction that fails unless the swap is still pivoting (or this very commit
 * already went through and only its answer was lost: it is repeated while the database is away).
 */
export async function commitPivot(ds: DataSource, row: ComputeSwapEntity, progress: number | null): Promise<void> {
  await ds.transaction(async (em) => {
    await em.query(`UPDATE compute_devices SET path = $2, volume_id = $3, attachment_id = $4, updated_at = now() WHERE id = $1`, [
      row.deviceId,
      row.targetPath,
      row.newVolumeId,
      row.newAttachmentId,
    ]);
    const [, affected]: [unknown, number] = await em.query(
      `UPDATE compute_swaps SET phase = 'completing', progress = $2, cur = $3, "end" = $4, updated_at = now()
          WHERE id = $1 AND phase IN ('pivoting', 'completing')`,
      [row.id, progress, row.cur, row.end],
    );
    if (!affected) throw new Error(`swap ${row.id} is no longer pivoting`);
  });
}

/** The device record on the volume the migration completion named, and the swap completed. */
export async function recordSwapCompleted(ds: DataSource, row: ComputeSwapEntity, volumeId: string, attachmentId: string): Promise<void> {
  await ds.transaction(async (em) => {
    await em.query(`UPDATE compute_devices SET volume_id = $2, attachment_id = $3, updated_at = now() WHERE id = $1`, [
      row.deviceId,
      volumeId,
      attachmentId,
    ]);
    await em.query(`UPDATE compute_swaps SET phase = 'completed', updated_at = now(), finished_at = now() WHERE id = $1`, [row.id]);
  });
}

/** The percent on the volume (for GET when the bridge does not answer) and the migration's counters. */
export async function persistSwapProgress(ds: DataSource, row: ComputeSwapEntity, live?: CopyFiguresRecord): Promise<void> {
  const { id, oldVolumeId, migrationId, progress, cur, end } = row;
  await ds.transaction(async (em) => {
    await em.query(`UPDATE compute_swaps SET progress = $2, cur = $3, "end" = $4, updated_at = now() WHERE id = $1`, [id, progress, cur, end]);
    const percent = progress === null ? null : String(progress);
    await recordSwapProgress(em, { migrationId, volumeId: oldVolumeId, percent, bytesDone: cur ?? 0, bytesTotal: end ?? 0, live });
  });
}

export async function saveSwap(ds: DataSource, id: string, changes: Partial<ComputeSwapEntity>): Promise<void> {
  await ds.getRepository(ComputeSwapEntity).update({ id }, { ...changes, updatedAt: new Date() });
}

/**
 * The own copy limit an admin gave the swap's migration (3.73's `bandwidth_bytes_per_second`), bytes
 * per second; 0 when none. The mirror goes at the tighter of it and SWAP_COPY_BPS_LIMIT.
 */
export async function migrationBandwidth(ds: DataSource, migrationId: string): Promise<number> {
  const [row]: { bandwidth_limit: string | null }[] = await ds.query(`SELECT bandwidth_limit FROM volume_migrations WHERE id::text = $1`, [migrationId]);
  return Number(row?.bandwidth_limit ?? 0);
}
