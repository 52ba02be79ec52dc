import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { CodedError, ErrorCode } from '@volume/contracts';
import { migrationTargetStatus, VolumeMigrationStatus } from '@volume/domain';
import { VolumeEntity } from '../entities/volume.entity';
import { MigrationMode } from '../entities/volume-migration.entity';
import { endMigrationWithError } from './migration-failure';

/** The migration status the API leaves for the scheduler to place. */
const AWAITING_PLACEMENT: VolumeMigrationStatus = 'starting';

/**
 * Locks the volume of an accepted migration for its placement, in the caller's transaction (the one
 * that also locks the pools), so that the destination is reserved against what the volume is now.
 * @throws CodedError(InvalidVolume) when the volume is gone, has no host, or is not waiting for a placement.
 */
export async function lockMigrationSource(em: EntityManager, volumeId: string): Promise<VolumeEntity & { host: string }> {
  return awaitingPlacement(await em.getRepository(VolumeEntity).findOne({ where: { id: volumeId }, lock: { mode: 'pessimistic_write' } }), volumeId);
}

function awaitingPlacement(volume: VolumeEntity | null, volumeId: string): VolumeEntity & { host: string } {
  if (!volume || volume.migrationStatus !== AWAITING_PLACEMENT || !volume.host) {
    throw new CodedError(ErrorCode.InvalidVolume, `Volume ${volumeId} is not waiting for a migration`);
  }
  return volume as VolumeEntity & { host: string };
}

/** An accepted migration whose placement a scheduler took: its volume, and what the API recorded. */
export interface PlacementClaim {
  volume: VolumeEntity & { host: string };
  /** The destination as requested (`host@backend[#pool]`). */
  requestedDest: string;
  forceHostCopy: boolean;
}

/**
 * Takes a migration's placement in the caller's transaction, the one that reserves its destination
 * and records the placement: the volume's row, then the migration's, stay locked until it ends
 * (the order every transition locks them in). The locks are the claim: of the scheduler that got
 * the request and a sweep after a crash, or two replicas' sweeps, one places and the other finds it
 * placed. A scheduler that dies mid-placement loses its locks with its connection, and everything
 * its transaction did, a reserved destination included, rolls back with it: a later claim starts
 * from the migration as the API accepted it, and no destination is left behind.
 * @param wait false for a sweep: a volume that another transaction holds (a placement under way, a
 *   reset) is left alone, and null comes back.
 * @returns null when the migration is placed already, over, or (without wait) its volume is busy.
 * @throws CodedError(InvalidVolume) when the volume is gone or no longer waits for a migration.
 */
export async function claimPlacement(em: EntityManager, m: { migrationId: string; volumeId: string }, wait: boolean): Promise<PlacementClaim | null> {
  // The volume is read once, under its lock; it is checked only once the migration is known unplaced.
  const volume = await em.getRepository(VolumeEntity).findOne({
    where: { id: m.volumeId },
    lock: wait ? { mode: 'pessimistic_write' } : { mode: 'pessimistic_write', onLocked: 'skip_locked' },
  });
  if (!volume) {
    const [exists]: unknown[] = await em.query(`SELECT 1 FROM volumes WHERE id = $1`, [m.volumeId]);
    if (exists) return null;
  }
  const [row]: { dest_host: string; force_host_copy: boolean }[] = await em.query(
    `SELECT dest_host, force_host_copy FROM volume_migrations WHERE id = $1 AND status = $2 AND mode IS NULL FOR UPDATE`,
    [m.migrationId, AWAITING_PLACEMENT],
  );
  if (!row) return null;
  return { volume: awaitingPlacement(volume, m.volumeId), requestedDest: row.dest_host, forceHostCopy: row.force_host_copy };
}

/**
 * Migrations the API accepted that no placement holds or recorded: a scheduler died in their
 * placement (or before it). Read without locks: each is claimed in a transaction of its own.
 */
export async function unplacedMigrations(em: EntityManager): Promise<{ migrationId: string; volumeId: string }[]> {
  const rows: { id: string; volume_id: string }[] = await em.query(
    `SELECT id, volume_id FROM volume_migrations WHERE status = $1 AND mode IS NULL ORDER BY started_at`,
    [AWAITING_PLACEMENT],
  );
  return rows.map((r) => ({ migrationId: r.id, volumeId: r.volume_id }));
}

export interface UntakenMigration {
  migrationId: string;
  volumeId: string;
  sourceHost: string;
  destPoolHost: string;
  mode: MigrationMode;
  destVolumeId: string | null;
}

/**
 * Migrations placed longer than `olderThanS` ago that their source host never took (a scheduler
 * died between the placement's commit and its call to the host, or gave up on a host that was
 * away): the call is due again. A host that took one already ignores it (it marks it `migrating`).
 */
export async function untakenMigrations(em: EntityManager, olderThanS: number): Promise<UntakenMigration[]> {
  const rows: { id: string; volume_id: string; source_host: string; dest_host: string; mode: MigrationMode; dest_volume_id: string | null }[] =
    await em.query(
      `SELECT id, volume_id, source_host, dest_host, mode, dest_volume_id FROM volume_migrations
        WHERE status = $1 AND mode IS NOT NULL AND updated_at < now() - make_interval(secs => $2)
        ORDER BY started_at`,
      [AWAITING_PLACEMENT, olderThanS],
    );
  return rows.map((r) => ({
    migrationId: r.id,
    volumeId: r.volume_id,
    sourceHost: r.source_host,
    destPoolHost: r.dest_host,
    mode: r.mode,
    destVolumeId: r.dest_volume_id,
  }));
}

/**
 * A migration nobody can place (no valid backend, the volume left it) ends in error, unless a
 * placement got there first: under the claim's locks, so that an error never lands on a migration
 * another scheduler placed meanwhile.
 * @returns whether it ended here.
 */
export function endUnplacedMigration(em: EntityManager, m: { migrationId: string; volumeId: string; error: string }): Promise<boolean> {
  return em.transaction(async (tx) => {
    if (!(await lockStartingMigration(tx, m, { unplacedOnly: true }))) return false;
    await endMigrationWithError(tx, m);
    return true;
  });
}

/**
 * The source host did not take a placed migration (it stayed away past the scheduler's bound): the
 * migration ends in error and its reserved destination, which nobody started to make, goes. Only
 * while the migration is still `starting`: a host that took it after all (a late answer) runs it.
 * @returns whether it ended here.
 */
export function abandonUntakenMigration(
  em: EntityManager,
  m: { migrationId: string; volumeId: string; destVolumeId: string | null; error: string },
): Promise<boolean> {
  return em.transaction(async (tx) => {
    if (!(await lockStartingMigration(tx, m, { unplacedOnly: false }))) return false;
    if (m.destVolumeId) await dropUnusedDestination(tx, m.destVolumeId);
    await endMigrationWithError(tx, m);
    return true;
  });
}

/**
 * Takes the claim's locks (the volume's row, then the migration's, the order every transition
 * locks them in) and tells whether the migration is still `starting`; `unplacedOnly`: and not placed.
 */
async function lockStartingMigration(tx: EntityManager, m: { migrationId: string; volumeId: string }, o: { unplacedOnly: boolean }): Promise<boolean> {
  await tx.query(`SELECT id FROM volumes WHERE id = $1 FOR UPDATE`, [m.volumeId]);
  const rows: unknown[] = await tx.query(
    `SELECT 1 FROM volume_migrations WHERE id = $1 AND status = $2${o.unplacedOnly ? ' AND mode IS NULL' : ''} FOR UPDATE`,
    [m.migrationId, AWAITING_PLACEMENT],
  );
  return rows.length > 0;
}

/**
 * A host-assisted migration's destination row (Cinder's `_migrate_volume_generic` creates it as a
 * copy of the source): `creating` on the chosen pool, `migration_status = target:<source id>`, not
 * counted in quotas. Its host's worker makes the file when the source host asks for it.
 * @returns the destination's id.
 */
export async function reserveDestination(
  em: EntityManager,
  source: VolumeEntity,
  dest: { poolHost: string; availabilityZone: string },
): Promise<string> {
  const destVolumeId = randomUUID();
  await em.query(
    `INSERT INTO volumes (id, project_id, user_id, display_name, display_description, size, status, attach_status,
                          migration_status, host, availability_zone, volume_type_id, shared_targets, use_quota, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'creating', 'detached', $7, $8, $9, $10, true, false, now())`,
    [
      destVolumeId,
      source.projectId,
      source.userId,
      source.displayName,
      source.displayDescription,
      source.size,
      migrationTargetStatus(source.id),
      dest.poolHost,
      dest.availabilityZone,
      source.volumeTypeId,
    ],
  );
  return destVolumeId;
}

/** What the scheduler decided, on the migration's row: the source host's worker runs it from there. */
export async function recordPlacement(
  em: EntityManager,
  m: { migrationId: string; mode: MigrationMode; destPoolHost: string; destVolumeId: string | null; sourceHost: string },
): Promise<void> {
  await em.query(
    `UPDATE volume_migrations SET mode = $2, dest_host = $3, dest_volume_id = $4, source_host = $5, updated_at = now() WHERE id = $1`,
    [m.migrationId, m.mode, m.destPoolHost, m.destVolumeId, m.sourceHost],
  );
}

/** A reserved destination nobody started to make (its source host never took the migration) simply goes. */
export async function dropUnusedDestination(em: EntityManager, destVolumeId: string): Promise<void> {
  await em.query(`DELETE FROM volumes WHERE id = $1 AND status = 'creating'`, [destVolumeId]);
}
