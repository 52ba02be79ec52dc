import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** A running service (one row per host and binary), kept fresh by its heartbeat. */
@Entity('services')
@Unique('uq_services_host_binary', ['host', 'binary'])
export class ServiceEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'uuid' })
  uuid: string;

  @Column({ type: 'varchar', length: 255 })
  host: string;

  @Column({ type: 'varchar', length: 255 })
  binary: string;

  @Column({ type: 'varchar', length: 255 })
  topic: string;

  @Column({ name: 'availability_zone', type: 'varchar', length: 255 })
  availabilityZone: string;

  @Column({ type: 'boolean', default: false })
  disabled: boolean;

  @Column({ name: 'disabled_reason', type: 'varchar', length: 255, nullable: true })
  disabledReason: string | null;

  @Column({ name: 'report_count', type: 'integer', default: 0 })
  reportCount: number;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 6 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', precision: 6, nullable: true })
  updatedAt: Date | null;
}
