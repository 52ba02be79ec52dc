import { Column, Entity, PrimaryColumn } from 'typeorm';

const bigintNumber = { to: (v: number) => v, from: (v: string) => Number(v) };

/** A volume attached to a local server (Nova's block device mapping). */
@Entity('compute_devices')
export class ComputeDeviceEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'server_id', type: 'uuid' })
  serverId: string;

  /** The device name without `/dev/`: `vdb`, `vdc`, ... */
  @Column({ type: 'varchar', length: 16 })
  name: string;

  /** The volume as its owner knows it (after a migration: the original id again). */
  @Column({ name: 'volume_id', type: 'uuid' })
  volumeId: string;

  @Column({ name: 'attachment_id', type: 'uuid' })
  attachmentId: string;

  /** The file the guest reads and writes; switching it is a swap's commit point. */
  @Column({ type: 'text' })
  path: string;

  @Column({ name: 'size_bytes', type: 'bigint', transformer: bigintNumber })
  sizeBytes: number;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 6 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', precision: 6 })
  updatedAt: Date;
}
