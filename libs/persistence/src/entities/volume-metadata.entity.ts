import { Column, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique, Relation } from 'typeorm';
import { VolumeEntity } from './volume.entity';

/**
 * One key/value of a volume. The table also holds copies of the volume's `project_id` and
 * `created_at` (`volume_created_at`) for the list's indexes, which its triggers write
 * (VolumeMetadataListOrder migration): the application neither reads nor writes them.
 */
@Entity('volume_metadata')
@Unique('uq_volume_metadata_key', ['volumeId', 'key'])
export class VolumeMetadataEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'volume_id', type: 'uuid' })
  volumeId: string;

  @ManyToOne(() => VolumeEntity, (v) => v.metadata, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'volume_id' })
  volume?: Relation<VolumeEntity>;

  @Column({ type: 'varchar', length: 255 })
  key: string;

  @Column({ type: 'varchar', length: 255 })
  value: string;
}
