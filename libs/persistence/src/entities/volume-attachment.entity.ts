import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Relation } from 'typeorm';
import { VolumeEntity } from './volume.entity';

/** A JSON object stored in a jsonb column (connector, connection_info). */
export type JsonDocument = { [key: string]: string | number | boolean | null | JsonDocument | JsonDocument[] | string[] };

@Entity('volume_attachments')
@Index('ix_volume_attachments_volume', ['volumeId'])
export class VolumeAttachmentEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'volume_id', type: 'uuid' })
  volumeId: string;

  @ManyToOne(() => VolumeEntity, (v) => v.attachments, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'volume_id' })
  volume?: Relation<VolumeEntity>;

  @Column({ name: 'project_id', type: 'varchar', length: 255 })
  projectId: string;

  @Column({ name: 'instance_uuid', type: 'uuid', nullable: true })
  instanceUuid: string | null;

  @Column({ name: 'attached_host', type: 'varchar', length: 255, nullable: true })
  attachedHost: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  mountpoint: string | null;

  @Column({ name: 'attach_status', type: 'varchar', length: 255 })
  attachStatus: string;

  @Column({ name: 'attach_mode', type: 'varchar', length: 36, default: 'rw' })
  attachMode: string;

  @Column({ type: 'jsonb', nullable: true })
  connector: JsonDocument | null;

  @Column({ name: 'connection_info', type: 'jsonb', nullable: true })
  connectionInfo: JsonDocument | null;

  @Column({ name: 'attach_time', type: 'timestamptz', precision: 6, nullable: true })
  attachTime: Date | null;

  @Column({ name: 'detach_time', type: 'timestamptz', precision: 6, nullable: true })
  detachTime: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 6 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', precision: 6, nullable: true })
  updatedAt: Date | null;
}
