import { Column, Entity, PrimaryColumn } from 'typeorm';

export type MigrationMode = 'driver-assisted' | 'host-assisted' | 'compute-swap';
/** Where a driver-assisted move is (see the migration that adds it); null when nothing is left to finish. */
export type DriverMovePhase = 'placing' | 'committed';
/** `starting` (API) → `migrating` (worker copies) → `completing` (rows swap) → `success`, or `error`. */
export type MigrationRunStatus = 'starting' | 'migrating' | 'completing' | 'success' | 'error';

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

  /** bigint arrives as a string from pg; these stay below 2^53 for any real volume. */
  @Column({ name: 'bytes_total', type: 'bigint', default: 0, transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  bytesTotal: number;

  /** Checkpoint: bytes from offset 0 that the destination holds durably. */
  @Column({ name: 'bytes_done', type: 'bigint', default: 0, transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
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
}
