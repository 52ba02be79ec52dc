import { Column, Entity, Index, JoinColumn, ManyToOne, OneToMany, PrimaryColumn, Relation } from 'typeorm';
import { VolumeAttachmentEntity } from './volume-attachment.entity';
import { VolumeMetadataEntity } from './volume-metadata.entity';
import { VolumeTypeEntity } from './volume-type.entity';

/** One Cinder volume. Column names follow Cinder's `volumes` table where the views read them. */
@Entity('volumes')
@Index('ix_volumes_project_created', ['projectId', 'createdAt'])
@Index('ix_volumes_host', ['host'])
export class VolumeEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'project_id', type: 'varchar', length: 255 })
  projectId: string;

  @Column({ name: 'user_id', type: 'varchar', length: 255 })
  userId: string;

  @Column({ name: 'display_name', type: 'varchar', length: 255, nullable: true })
  displayName: string | null;

  @Column({ name: 'display_description', type: 'varchar', length: 255, nullable: true })
  displayDescription: string | null;

  /** GiB. */
  @Column({ type: 'integer' })
  size: number;

  @Column({ type: 'varchar', length: 255 })
  status: string;

  @Column({ name: 'previous_status', type: 'varchar', length: 255, nullable: true })
  previousStatus: string | null;

  @Column({ name: 'attach_status', type: 'varchar', length: 255, default: 'detached' })
  attachStatus: string;

  @Column({ name: 'migration_status', type: 'varchar', length: 255, nullable: true })
  migrationStatus: string | null;

  /** Cinder's `_name_id`: after a generic migration the data is named after the destination row's id. */
  @Column({ name: 'name_id', type: 'uuid', nullable: true })
  nameId: string | null;

  /** `host@backend#pool`, null until placed. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  host: string | null;

  @Column({ name: 'cluster_name', type: 'varchar', length: 255, nullable: true })
  clusterName: string | null;

  @Column({ name: 'availability_zone', type: 'varchar', length: 255 })
  availabilityZone: string;

  @Column({ name: 'volume_type_id', type: 'uuid' })
  volumeTypeId: string;

  @ManyToOne(() => VolumeTypeEntity, { eager: false })
  @JoinColumn({ name: 'volume_type_id' })
  volumeType?: Relation<VolumeTypeEntity>;

  @Column({ name: 'provider_id', type: 'varchar', length: 255, nullable: true })
  providerId: string | null;

  @Column({ name: 'provider_location', type: 'varchar', length: 1024, nullable: true })
  providerLocation: string | null;

  @Column({ type: 'boolean', default: false })
  bootable: boolean;

  @Column({ type: 'boolean', default: false })
  multiattach: boolean;

  @Column({ name: 'replication_status', type: 'varchar', length: 255, nullable: true })
  replicationStatus: string | null;

  @Column({ name: 'consistencygroup_id', type: 'uuid', nullable: true })
  consistencygroupId: string | null;

  @Column({ name: 'group_id', type: 'uuid', nullable: true })
  groupId: string | null;

  @Column({ name: 'snapshot_id', type: 'uuid', nullable: true })
  snapshotId: string | null;

  @Column({ name: 'source_volid', type: 'uuid', nullable: true })
  sourceVolid: string | null;

  @Column({ name: 'encryption_key_id', type: 'varchar', length: 255, nullable: true })
  encryptionKeyId: string | null;

  @Column({ name: 'service_uuid', type: 'uuid', nullable: true })
  serviceUuid: string | null;

  @Column({ name: 'shared_targets', type: 'boolean', nullable: true })
  sharedTargets: boolean | null;

  @Column({ name: 'use_quota', type: 'boolean', default: true })
  useQuota: boolean;

  /** Last progress the copying worker persisted (at most once a second); the fallback of GET. */
  @Column({ name: 'migration_progress', type: 'varchar', length: 255, nullable: true })
  migrationProgress: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 6 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', precision: 6, nullable: true })
  updatedAt: Date | null;

  @OneToMany(() => VolumeMetadataEntity, (m) => m.volume)
  metadata?: Relation<VolumeMetadataEntity[]>;

  @OneToMany(() => VolumeAttachmentEntity, (a) => a.volume)
  attachments?: Relation<VolumeAttachmentEntity[]>;
}

/** The name of a volume's data: after a migration it keeps the name of the row it was copied to (Cinder's `name_id`). */
export function volumeName(volume: Pick<VolumeEntity, 'id' | 'nameId'>): string {
  return volume.nameId ?? volume.id;
}
