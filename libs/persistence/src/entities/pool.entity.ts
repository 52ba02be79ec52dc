import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A backend pool as its worker last reported it. Kept in PostgreSQL so that a restarted scheduler
 * places correctly at once; allocated capacity is not stored but summed from volumes when placing.
 */
@Entity('pools')
@Index('ix_pools_service_host', ['serviceHost'])
export class PoolEntity {
  /** `host@backend#pool`, the value a volume's `host` column takes. */
  @PrimaryColumn({ type: 'varchar', length: 255 })
  name: string;

  /** The worker (service) host that owns the pool. */
  @Column({ name: 'service_host', type: 'varchar', length: 255 })
  serviceHost: string;

  @Column({ name: 'availability_zone', type: 'varchar', length: 255 })
  availabilityZone: string;

  @Column({ name: 'total_capacity_gb', type: 'double precision' })
  totalCapacityGb: number;

  @Column({ name: 'free_capacity_gb', type: 'double precision' })
  freeCapacityGb: number;

  /** Everything else the driver reported (reserved_percentage, ratios, backend name, protocol...). */
  @Column({ type: 'jsonb' })
  capabilities: Record<string, unknown>;

  @Column({ name: 'updated_at', type: 'timestamptz', precision: 6 })
  updatedAt: Date;
}
