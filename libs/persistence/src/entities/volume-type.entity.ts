import { Column, Entity, JoinColumn, ManyToOne, OneToMany, PrimaryColumn, PrimaryGeneratedColumn, Unique, Relation } from 'typeorm';

@Entity('volume_types')
export class VolumeTypeEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 255, unique: true })
  name: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  description: string | null;

  @Column({ name: 'is_public', type: 'boolean', default: true })
  isPublic: boolean;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 6 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', precision: 6, nullable: true })
  updatedAt: Date | null;

  @OneToMany(() => VolumeTypeExtraSpecEntity, (s) => s.volumeType)
  extraSpecs?: Relation<VolumeTypeExtraSpecEntity[]>;
}

@Entity('volume_type_extra_specs')
@Unique('uq_volume_type_extra_specs_key', ['volumeTypeId', 'key'])
export class VolumeTypeExtraSpecEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'volume_type_id', type: 'uuid' })
  volumeTypeId: string;

  @ManyToOne(() => VolumeTypeEntity, (t) => t.extraSpecs, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'volume_type_id' })
  volumeType?: Relation<VolumeTypeEntity>;

  @Column({ type: 'varchar', length: 255 })
  key: string;

  @Column({ type: 'varchar', length: 255 })
  value: string;
}
