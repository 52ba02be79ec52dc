import type { MigrationModeName } from '@volume/domain';
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
export interface MigrationProgressReply {
  /** Cinder's `migration_progress`: "0".."100", "driver-assisted", or null when not migrating here. */
  progress: string | null;
  bytesDone?: number;
  bytesTotal?: number;
  /** Seconds left at the recent copy rate, when there is one. */
  etaSeconds?: number | null;
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

export const MigrationSubjects = {
  schedule: defineCall<ScheduleMigrationRequest, Accepted>('scheduler.migrate_volume.v1', 5_000, 'volume-scheduler'),
  run: defineCall<RunMigrationRequest, Accepted>('volume.{host}.migrate_volume.v1', 5_000),
  openTarget: defineCall<OpenMigrationTargetRequest, OpenMigrationTargetReply>('volume.{host}.open_migration_target.v1', 10_000),
  completion: defineCall<MigrationCompletionRequest, MigrationCompletionReply>('volume.{host}.migrate_volume_completion.v1', 60_000),
  closeTarget: defineCall<CloseMigrationTargetRequest, { closed: boolean }>('volume.{host}.close_migration_target.v1', 5_000),
  /** Asked on every admin GET of a migrating volume at 3.72: it must answer fast or be skipped. */
  progress: defineCall<MigrationProgressRequest, MigrationProgressReply>('volume.{host}.get_migration_progress.v1', 200),
} as const;
