import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { MigrationPhase, MigrationRowStatus } from '@volume/domain';

export type MigrationMode = 'driver-assisted' | 'host-assisted' | 'compute-swap';
/** Where a driver-assisted move is (see the migration that adds it); null when nothing is left to finish. */
export type DriverMovePhase = 'placing' | 'committed';
/**
 * `starting` (API) → `migrating` (worker copies) → `completing` (rows swap) → `success`, or `error`;
 * `cancelling` → `cancelled` when an admin stops it before its commit point (issue 14 §2).
 */
export type MigrationRunStatus = MigrationRowStatus;

/** bigint arrives as a string from pg; these stay below 2^53 for any real volume. */
const BIGINT = { to: (v: number) => v, from: (v: string) => Number(v) };
const NULLABLE_BIGINT = { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) };

/** One volume migration, from the API's acceptance to its end; the worker's copy checkpoint lives here. */
@Entity('volume_migrations')
export class VolumeMigrationEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'volume_id', type: 'uuid' })
  volumeId: string;

  /** The temporary destination row (`migration_status = target:<volume_id>`) of a host-assisted copy. */
  @Column({ name: 'dest_volume_id', type: 'uuid', nullable: true })
  destVolumeId: string | null;

  /** `host@backend#pool` the data leaves. */
  @Column({ name: 'source_host', type: 'varchar', length: 255 })
  sourceHost: string;

  /** As requested first (`host@backend[#pool]`), then the pool the scheduler chose. */
  @Column({ name: 'dest_host', type: 'varchar', length: 255 })
  destHost: string;

  @Column({ type: 'varchar', length: 32, nullable: true })
  mode: MigrationMode | null;

  @Column({ type: 'varchar', length: 32 })
  status: MigrationRunStatus;

  @Column({ name: 'force_host_copy', type: 'boolean', default: false })
  forceHostCopy: boolean;

  @Column({ name: 'lock_volume', type: 'boolean', default: false })
  lockVolume: boolean;

  @Column({ name: 'bytes_total', type: 'bigint', default: 0, transformer: BIGINT })
  bytesTotal: number;

  /** Checkpoint: bytes from offset 0 that the destination holds durably. */
  @Column({ name: 'bytes_done', type: 'bigint', default: 0, transformer: BIGINT })
  bytesDone: number;

  @Column({ name: 'started_at', type: 'timestamptz', precision: 6 })
  startedAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', precision: 6 })
  updatedAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', precision: 6, nullable: true })
  finishedAt: Date | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  /** A driver-assisted move's step, recorded before each file operation, for a restart to finish or undo it. */
  @Column({ name: 'move_phase', type: 'varchar', length: 16, nullable: true })
  movePhase: DriverMovePhase | null;

  /** The volume's project, copied on insert by a trigger (see the migration that adds it): the list's tenancy. */
  @Column({ name: 'project_id', type: 'varchar', length: 255 })
  projectId: string;

  /** The step the runner last reported; status and mode decide the others (migrationPhase). */
  @Column({ type: 'varchar', length: 32, default: 'scheduling' })
  phase: MigrationPhase;

  /** The blocks holding data that the copy reads in all (holes are skipped unread); null until its map is taken. */
  @Column({ name: 'bytes_to_read', type: 'bigint', nullable: true, transformer: NULLABLE_BIGINT })
  bytesToRead: number | null;

  @Column({ name: 'read_bytes', type: 'bigint', default: 0, transformer: BIGINT })
  readBytes: number;

  /** The copy's recent read rate and time left, as of the last checkpoint. */
  @Column({ name: 'rate_bytes_per_second', type: 'bigint', nullable: true, transformer: NULLABLE_BIGINT })
  rateBytesPerSecond: number | null;

  @Column({ name: 'eta_seconds', type: 'bigint', nullable: true, transformer: NULLABLE_BIGINT })
  etaSeconds: number | null;

  /** When bytes last advanced (not when the row was last written). */
  @Column({ name: 'last_progress_at', type: 'timestamptz', precision: 6, nullable: true })
  lastProgressAt: Date | null;

  /** The percent last shown for it (its volume's, in the same write), and the bytes it was taken from. */
  @Column({ type: 'smallint', nullable: true })
  progress: number | null;

  @Column({ name: 'processed_bytes', type: 'bigint', nullable: true, transformer: NULLABLE_BIGINT })
  processedBytes: number | null;

  /** This migration's own copy limit, bytes per second; null: the host's VOLUME_COPY_BPS_LIMIT. */
  @Column({ name: 'bandwidth_limit', type: 'bigint', nullable: true, transformer: NULLABLE_BIGINT })
  bandwidthLimit: number | null;
}
