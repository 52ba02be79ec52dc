import { CodedError, ErrorCode } from './errors';

// Volume, attach and migration statuses as Cinder's cinder/objects/fields.py spells them, and the
// state preconditions Cinder's cinder/volume/api.py and admin_actions.py enforce with conditional
// updates. The tuples keep Cinder's order because some error texts print them.

export const VOLUME_STATUSES = [
  'creating',
  'available',
  'deleting',
  'error',
  'error_deleting',
  'error_managing',
  'managing',
  'attaching',
  'in-use',
  'detaching',
  'maintenance',
  'restoring-backup',
  'error_restoring',
  'reserved',
  'awaiting-transfer',
  'backing-up',
  'error_backing-up',
  'error_extending',
  'downloading',
  'uploading',
  'retyping',
  'extending',
] as const;
export type VolumeStatus = (typeof VOLUME_STATUSES)[number];

/** The attach statuses os-reset_status accepts. */
export const RESETTABLE_ATTACH_STATUSES = ['attached', 'detached'] as const;

/** The migration statuses os-reset_status accepts; 'none' is stored as null. */
export const RESETTABLE_MIGRATION_STATUSES = ['migrating', 'error', 'success', 'completing', 'none', 'starting'] as const;

/**
 * A stored migration_status. `target:<source id>` marks the temporary destination row, `deleting`
 * the row left behind for the old backend volume after the swap. `cancelling` and `cancelled` are
 * an admin's cancel (3.73, not in Cinder): on the way out of a migration, then out of it.
 */
export type VolumeMigrationStatus =
  | 'starting'
  | 'migrating'
  | 'completing'
  | 'success'
  | 'error'
  | 'deleting'
  | 'cancelling'
  | 'cancelled'
  | `target:${string}`;

/**
 * Migration statuses that mean "not migrating now" (Cinder's AVAILABLE_MIGRATION_STATUS): what every
 * operation a migration blocks (delete, migrate, reserve, begin detaching) reads, through isMigrating
 * or as its guard. Only the last detach reads another set, as Cinder's db does (volumeAfterDetach).
 */
export const AVAILABLE_MIGRATION_STATUSES: readonly (string | null)[] = [null, 'deleting', 'error', 'success', 'cancelled'];

/**
 * Migration statuses of a source volume whose migration is under way (the complement, less
 * targets): a migration being cancelled is still under way until its destination is gone.
 */
export const ACTIVE_MIGRATION_STATUSES: readonly string[] = ['starting', 'migrating', 'completing', 'cancelling'];

/** Migration statuses a source host may run the copy from: placed and waiting, or resumed mid-copy. */
export const RUNNABLE_MIGRATION_STATUSES: readonly string[] = ['starting', 'migrating'];

/** What an admin's os-migrate_volume_cancel does to the volume's migration, as its migration_status says. */
export type MigrationCancelVerdict =
  /** Before the commit point (placed and waiting, or copying): it stops, and the source stays. */
  | 'cancel'
  /** Asked before: the repeat changes nothing and is accepted again. */
  | 'already-cancelled'
  /** The rows swapped (or are swapping): the volume is on its destination, nothing to undo. */
  | 'past-switch-over'
  /** No migration to cancel. */
  | 'not-migrating';

/**
 * The cancel's rule on the source volume's locked row (the commit points, the row swap of a host
 * copy and the commit of a driver move, take the same lock). A compute swap's pivot is the compute
 * side's to judge: `cancel` here only means the volume service has not committed.
 */
export function migrationCancelVerdict(migrationStatus: string | null): MigrationCancelVerdict {
  if (migrationStatus !== null && RUNNABLE_MIGRATION_STATUSES.includes(migrationStatus)) return 'cancel';
  if (migrationStatus === 'cancelling' || migrationStatus === 'cancelled') return 'already-cancelled';
  if (migrationStatus === 'completing' || migrationStatus === 'success') return 'past-switch-over';
  return 'not-migrating';
}

/**
 * The refusals of os-migrate_volume_cancel, in Cinder's words for an invalid volume.
 * @throws CodedError(InvalidVolume) for `past-switch-over` and `not-migrating`.
 */
export function checkMigrationCancel(volumeId: string, verdict: MigrationCancelVerdict): void {
  if (verdict === 'past-switch-over') {
    throw new CodedError(
      ErrorCode.InvalidVolume,
      `Invalid volume: The migration of volume ${volumeId} is past its switch-over to the destination and cannot be cancelled.`,
    );
  }
  if (verdict === 'not-migrating') {
    throw new CodedError(ErrorCode.InvalidVolume, `Invalid volume: Volume ${volumeId} is not being migrated; there is nothing to cancel.`);
  }
}

const TARGET_PREFIX = 'target:';

export function migrationTargetStatus(sourceVolumeId: string): VolumeMigrationStatus {
  return `${TARGET_PREFIX}${sourceVolumeId}`;
}

export function isMigrationTarget(migrationStatus: string | null): boolean {
  return migrationStatus !== null && migrationStatus.startsWith(TARGET_PREFIX);
}

export function isMigrating(migrationStatus: string | null): boolean {
  return !AVAILABLE_MIGRATION_STATUSES.includes(migrationStatus);
}

// ---------------------------------------------------------------- delete

/** What the delete rule reads of a volume (this service has no snapshots, transfers or manage). */
export interface DeletableVolume {
  status: string;
  /** Null when scheduling never placed the volume: then only the row exists. */
  host: string | null;
  attachStatus: string | null;
  migrationStatus: string | null;
  consistencygroupId: string | null;
  groupId: string | null;
}

/** What a permitted delete does: drop the row at once, or mark it `deleting` for its host's backend. */
export type VolumeDeletePlan = { kind: 'destroy-row' } | { kind: 'delete-on-backend'; host: string };

/** Statuses from which a volume may be deleted (Cinder's delete without force). */
export const DELETABLE_STATUSES: readonly string[] = ['available', 'error', 'error_restoring', 'error_extending', 'error_managing'];

/**
 * Cinder's volume API delete preconditions.
 * @throws CodedError(InvalidVolume) with Cinder's "Invalid volume: Volume status must be ..." text.
 */
export function planVolumeDelete(volume: DeletableVolume): VolumeDeletePlan {
  // Cinder destroys a never-scheduled volume before looking at any condition.
  if (volume.host === null) return { kind: 'destroy-row' };
  const deletable =
    DELETABLE_STATUSES.includes(volume.status) &&
    volume.attachStatus !== 'attached' &&
    !isMigrating(volume.migrationStatus) &&
    volume.consistencygroupId === null &&
    volume.groupId === null;
  if (!deletable) {
    throw new CodedError(
      ErrorCode.InvalidVolume,
      `Invalid volume: Volume status must be ${DELETABLE_STATUSES.join(' or ')} and must not be migrating, attached, ` +
        'belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.',
    );
  }
  return { kind: 'delete-on-backend', host: volume.host };
}

// ---------------------------------------------------------------- update

/**
 * Cinder's volume API update refuses a volume in maintenance, the status a locked migration sets.
 * @throws CodedError(InvalidVolume) "Invalid volume: The volume cannot be updated during maintenance."
 */
export function checkVolumeUpdatable(status: string): void {
  if (status === 'maintenance') {
    throw new CodedError(ErrorCode.InvalidVolume, 'Invalid volume: The volume cannot be updated during maintenance.');
  }
}

// ---------------------------------------------------------------- os-migrate_volume

/** What the migrate rule reads of a volume (this service has no snapshots: Cinder's snapshot clause never applies). */
export interface MigratableVolume {
  id: string;
  status: string;
  migrationStatus: string | null;
  replicationStatus: string | null;
  consistencygroupId: string | null;
  groupId: string | null;
  host: string | null;
  clusterName: string | null;
}

/** Where the volume goes: the requested host string, or the cluster its service belongs to. */
export type MigrationDestination = { host: string } | { clusterName: string };

export interface MigrationStartUpdate {
  status: string;
  previousStatus: string;
  migrationStatus: 'starting';
}

const MIGRATABLE_STATUSES = ['available', 'in-use'];
const MIGRATABLE_REPLICATION_STATUSES: readonly (string | null)[] = [null, 'disabled', 'not-capable'];

/** The conditional update of Cinder's volume API migrate_volume, as a predicate. */
export function canStartMigration(volume: MigratableVolume, destination: MigrationDestination): boolean {
  const inGroup = (id: string | null): boolean => id !== null && id !== '';
  // Cinder's db.Not() also accepts NULL, so a volume without host or cluster is "different".
  const sameDestination =
    'clusterName' in destination
      ? volume.clusterName === destination.clusterName
      : volume.host === destination.host;
  return (
    MIGRATABLE_STATUSES.includes(volume.status) &&
    !isMigrating(volume.migrationStatus) &&
    MIGRATABLE_REPLICATION_STATUSES.includes(volume.replicationStatus) &&
    !inGroup(volume.consistencygroupId) &&
    !inGroup(volume.groupId) &&
    !sameDestination
  );
}

/** Cinder's refusal text when canStartMigration() is false. */
export function migrationRefusalMessage(volumeId: string): string {
  return (
    `Invalid volume: Volume ${volumeId} status must be available or in-use, must not be migrating, ` +
    'have snapshots, be replicated, be part of a group and destination host/cluster must be different ' +
    'than the current one'
  );
}

/**
 * The fields os-migrate_volume sets when it is accepted. `lockVolume` puts only an available
 * volume into maintenance; an in-use one stays in-use.
 * @throws CodedError(InvalidVolume) when canStartMigration() is false.
 */
export function startMigration(
  volume: MigratableVolume,
  destination: MigrationDestination,
  lockVolume: boolean,
): MigrationStartUpdate {
  if (!canStartMigration(volume, destination)) {
    throw new CodedError(ErrorCode.InvalidVolume, migrationRefusalMessage(volume.id));
  }
  return {
    status: lockVolume && volume.status === 'available' ? 'maintenance' : volume.status,
    previousStatus: volume.status,
    migrationStatus: 'starting',
  };
}

// ---------------------------------------------------------------- os-reset_status

/** A validated os-reset_status body: lower-cased values, migration 'none' already null. */
export interface ResetStatusUpdate {
  status?: string;
  attachStatus?: string;
  migrationStatus?: string | null;
}

/**
 * The checks Cinder's _reset_status makes after schema validation and volume lookup.
 * @throws CodedError(BadRequest) with Cinder's "Cannot reset-state to ..." texts.
 */
export function checkResetStatus(update: ResetStatusUpdate, volume: { hasAttachments: boolean }): void {
  // Cinder's blocked tuple lacks a comma ('error_deleting' 'detaching'), so only deleting is refused.
  if (update.status === 'deleting' || update.status === 'error_deletingdetaching') {
    throw new CodedError(ErrorCode.BadRequest, `Cannot reset-state to ${update.status}`);
  }
  if (update.status === 'in-use' && !volume.hasAttachments) {
    throw new CodedError(
      ErrorCode.BadRequest,
      'Cannot reset-state to in-use because volume does not have any attachments.',
    );
  }
}
