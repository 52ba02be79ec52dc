import type { EtaState, MigrationModeName } from '@volume/domain';
import { defineCall } from './rpc';

// A domain word, re-exported because RunMigrationRequest carries it.
export type { MigrationModeName };

/**
 * Volume migration across the services. The API accepts and records the migration, the scheduler
 * checks the destination and reserves it, the source host's worker runs it. Every step answers as
 * soon as it owns the work (Cinder casts these); outcomes land on the rows.
 */

export interface ScheduleMigrationRequest {
  migrationId: string;
  volumeId: string;
  /** What the admin asked for: `host@backend` or `host@backend#pool`. */
  destHost: string;
  forceHostCopy: boolean;
}

export interface RunMigrationRequest {
  migrationId: string;
  volumeId: string;
  /** The pool the scheduler chose, `host@backend#pool`. */
  destPoolHost: string;
  mode: MigrationModeName;
  /** The reserved destination row (host-assisted only). */
  destVolumeId: string | null;
}

export interface Accepted {
  accepted: true;
}

/** The destination worker opens its side of a worker-to-worker data stream. */
export interface OpenMigrationTargetRequest {
  migrationId: string;
  destVolumeId: string;
  sizeBytes: number;
  /** Authorises the source's data requests; one per migration, never stored. */
  secret: string;
}
export interface OpenMigrationTargetReply {
  url: string;
}

export interface CloseMigrationTargetRequest {
  migrationId: string;
}

export interface MigrationProgressRequest {
  volumeId: string;
}
/** A host copy's figures as its source worker measures them: the 3.73 volume-migrations resource's. */
export interface MigrationCopyFigures {
  /** Processed bytes, holes included: what the percent goes by. */
  bytesDone: number;
  bytesTotal: number;
  /** The blocks holding data this run reads in all (holes are skipped unread); null until known. */
  bytesToRead: number | null;
  readBytes: number;
  /** Recent read rate (holes excluded); null until measured. */
  rateBytesPerSecond: number | null;
  /** Seconds left at that rate; null when etaState says why not. */
  etaSeconds: number | null;
  etaState: EtaState;
  /** No bytes for MIGRATION_STALL_WARN_S (advisory). */
  stalled: boolean;
  /** ISO time bytes last advanced (the copy's start before its first block). */
  lastProgressAt: string | null;
}

export interface MigrationProgressReply extends Partial<MigrationCopyFigures> {
  /** Cinder's `migration_progress`: "0".."100", "driver-assisted", or null when not migrating here. */
  progress: string | null;
  /** Which migration the figures are of (a host copy's). */
  migrationId?: string;
}

/** Cinder's `migrate_volume_completion` RPC to the source volume's host (a synchronous call). */
export interface MigrationCompletionRequest {
  volumeId: string;
  newVolumeId: string;
  /** The compute side failed: drop the destination, end in `error`, restore the status. */
  error: boolean;
}
export interface MigrationCompletionReply {
  /** The id that now names the data the guest uses: always the original volume id. */
  saveVolumeId: string;
}

/**
 * An admin cancels a migration this host runs (3.73): its row already says `cancelling`. A copy
 * under way stops at its next block, then the failure path removes the destination and ends it
 * `cancelled`; one that does not run here (not taken yet, or lost with a restart) is ended the same way.
 */
export interface CancelMigrationRequest {
  migrationId: string;
  volumeId: string;
}
export interface CancelMigrationReply {
  /** A copy (or move) of this host was running and was told to stop; false: it is ended from its row. */
  stopped: boolean;
}

/** A running migration's own copy limit changes (3.73); null: back to the host's VOLUME_COPY_BPS_LIMIT. */
export interface SetMigrationBandwidthRequest {
  migrationId: string;
  bytesPerSecond: number | null;
}
export interface SetMigrationBandwidthReply {
  /** A copy of this host took the new limit now; false: none runs here, the row's limit applies when one does. */
  applied: boolean;
}

/** What a copy of the volume would read: its source host's extent map (the pre-flight estimate). */
export interface MigrationDataExtentRequest {
  volumeId: string;
}
export interface MigrationDataExtentReply {
  /** Bytes in the blocks a copy reads (holes are skipped unread). */
  allocatedBytes: number;
  totalBytes: number;
  /** The host's VOLUME_COPY_BPS_LIMIT, bytes per second; 0: none. */
  hostLimitBytesPerSecond: number;
}

export const MigrationSubjects = {
  schedule: defineCall<ScheduleMigrationRequest, Accepted>('scheduler.migrate_volume.v1', 5_000, 'volume-scheduler'),
  run: defineCall<RunMigrationRequest, Accepted>('volume.{host}.migrate_volume.v1', 5_000),
  openTarget: defineCall<OpenMigrationTargetRequest, OpenMigrationTargetReply>('volume.{host}.open_migration_target.v1', 10_000),
  completion: defineCall<MigrationCompletionRequest, MigrationCompletionReply>('volume.{host}.migrate_volume_completion.v1', 60_000),
  closeTarget: defineCall<CloseMigrationTargetRequest, { closed: boolean }>('volume.{host}.close_migration_target.v1', 5_000),
  /** Asked on every admin GET of a migrating volume at 3.72, and of a running migration at 3.73: it must answer fast or be skipped. */
  progress: defineCall<MigrationProgressRequest, MigrationProgressReply>('volume.{host}.get_migration_progress.v1', 200),
  cancel: defineCall<CancelMigrationRequest, CancelMigrationReply>('volume.{host}.cancel_migration.v1', 5_000),
  setBandwidth: defineCall<SetMigrationBandwidthRequest, SetMigrationBandwidthReply>('volume.{host}.set_migration_bandwidth.v1', 5_000),
  /** Reads the volume file's extent map: quick on any filesystem, but a disk may be busy. */
  dataExtent: defineCall<MigrationDataExtentRequest, MigrationDataExtentReply>('volume.{host}.migration_data_extent.v1', 10_000),
} as const;
