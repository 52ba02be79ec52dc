import { Column, Entity, PrimaryColumn } from 'typeorm';

/** As ComputeSubjects' SwapPhase (persistence does not depend on contracts). */
export type ComputeSwapPhase = 'accepted' | 'copying' | 'ready' | 'pivoting' | 'completing' | 'completed' | 'failed' | 'cancelled';

const bigintOrNull = { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) };

/**
 * One swap of a local device to a migrating volume's destination. Phases up to `pivoting` are
 * before the commit point (a restart rolls them back); `completing` is after it (a restart finishes).
 */
@Entity('compute_swaps')
export class ComputeSwapEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'server_id', type: 'uuid' })
  serverId: string;

  @Column({ name: 'device_id', type: 'uuid' })
  deviceId: string;

  @Column({ name: 'migration_id', type: 'uuid' })
  migrationId: string;

  @Column({ name: 'old_volume_id', type: 'uuid' })
  oldVolumeId: string;

  @Column({ name: 'new_volume_id', type: 'uuid' })
  newVolumeId: string;

  @Column({ name: 'old_attachment_id', type: 'uuid' })
  oldAttachmentId: string;

  @Column({ name: 'new_attachment_id', type: 'uuid', nullable: true })
  newAttachmentId: string | null;

  @Column({ name: 'source_path', type: 'text' })
  sourcePath: string;

  @Column({ name: 'target_path', type: 'text', nullable: true })
  targetPath: string | null;

  @Column({ type: 'varchar', length: 16 })
  phase: ComputeSwapPhase;

  /** The last percent reported, so that reports stay monotonic across restarts. */
  @Column({ type: 'integer', nullable: true })
  progress: number | null;

  @Column({ type: 'bigint', nullable: true, transformer: bigintOrNull })
  cur: number | null;

  @Column({ type: 'bigint', nullable: true, transformer: bigintOrNull })
  end: number | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 6 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', precision: 6 })
  updatedAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', precision: 6, nullable: true })
  finishedAt: Date | null;
}
