import { EntityManager } from 'typeorm';
import { VolumeStatus } from '@volume/domain';
import { CountedVolume, releaseVolumeQuota } from './quota-usage';

// What a volume's host records once its backend has acted (Cinder's volume manager after the driver
// call). Each write expects the status the request left, so that a row that changed meanwhile is
// never overwritten: the caller decides what the refusal means.

const CREATING: VolumeStatus = 'creating';
const DELETING: VolumeStatus = 'deleting';

/**
 * Volumes' files exist: each of them becomes `available`, pointing at its data and at the
 * `cinder-volume` service of `serviceHost` (host@backend; Cinder's service_uuid), read in the same
 * statement. A file on a local pool is never shared between hosts (Cinder's shared_targets).
 * @returns the ids of the volumes that became `available`; the others were no longer `creating`
 *   (or are gone): nothing was written of them.
 */
export async function markBackendsCreated(
  em: EntityManager,
  serviceHost: string,
  volumes: readonly { volumeId: string; providerLocation: string }[],
): Promise<Set<string>> {
  const [rows]: [{ id: string }[], number] = await em.query(
    `UPDATE volumes SET status = 'available', provider_location = c.location, shared_targets = false, updated_at = now(),
            service_uuid = (SELECT uuid FROM services WHERE host = $3 AND "binary" = 'cinder-volume')
       FROM unnest($1::uuid[], $2::varchar[]) AS c(id, location)
      WHERE volumes.id = c.id AND volumes.status = $4
      RETURNING volumes.id`,
    [volumes.map((v) => v.volumeId), volumes.map((v) => v.providerLocation), serviceHost, CREATING],
  );
  return new Set(rows.map((r) => r.id));
}

/** The backend could not remove the volume's file: `error_deleting`, as Cinder, so that a later delete retries. */
export async function markBackendDeleteFailed(em: EntityManager, volumeId: string): Promise<void> {
  await em.query(`UPDATE volumes SET status = 'error_deleting', updated_at = now() WHERE id = $1 AND status = $2`, [volumeId, DELETING]);
}

/**
 * The volume's file is gone: its row goes (metadata and attachments cascade), and with it the
 * volume's share of the project's quota when it still counted (a migration's destination and a
 * failed create never did).
 * @returns false when no `deleting` row was there to remove.
 */
export function destroyBackendDeleted(em: EntityManager, volumeId: string): Promise<boolean> {
  return em.transaction(async (tx) => {
    const [rows]: [(CountedVolume & { counted: boolean })[], number] = await tx.query(
      `DELETE FROM volumes WHERE id = $1 AND status = $2 RETURNING project_id AS "projectId", size, use_quota AS counted`,
      [volumeId, DELETING],
    );
    await releaseVolumeQuota(tx, rows.filter((r) => r.counted));
    return rows.length > 0;
  });
}
