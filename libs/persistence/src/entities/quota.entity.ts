import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** A limit an admin set for one project and resource (Cinder's `quotas`); others take the defaults. */
@Entity('quotas')
@Unique('uq_quotas_project_resource', ['projectId', 'resource'])
export class QuotaEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'project_id', type: 'varchar', length: 255 })
  projectId: string;

  @Column({ type: 'varchar', length: 255 })
  resource: string;

  /** -1: no limit. */
  @Column({ name: 'hard_limit', type: 'integer' })
  hardLimit: number;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 6 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', precision: 6, nullable: true })
  updatedAt: Date | null;
}

/**
 * What one project uses of a counted resource (Cinder's `quota_usages`), kept by the volume
 * transitions in the transaction that adds or removes a counting volume. Its row is also the lock
 * that serialises the project's creates. No `reserved` column: a reservation is committed in the
 * transaction that makes it, so nothing is ever reserved between two transactions.
 */
@Entity('quota_usages')
@Unique('uq_quota_usages_project_resource', ['projectId', 'resource'])
export class QuotaUsageEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'project_id', type: 'varchar', length: 255 })
  projectId: string;

  @Column({ type: 'varchar', length: 255 })
  resource: string;

  /** bigint arrives as a string from pg; a project's sum of sizes stays far below 2^53. */
  @Column({ name: 'in_use', type: 'bigint', default: 0, transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  inUse: number;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 6 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', precision: 6, nullable: true })
  updatedAt: Date | null;
}
