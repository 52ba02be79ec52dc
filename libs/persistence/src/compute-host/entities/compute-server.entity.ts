import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A guest of nova-bridge's local compute host. */
@Entity('compute_servers')
export class ComputeServerEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 255 })
  name: string;

  /** The project of the request that created it; volume-api is called in this project for its volumes. */
  @Column({ name: 'project_id', type: 'varchar', length: 255 })
  projectId: string;

  @Column({ name: 'user_id', type: 'varchar', length: 255 })
  userId: string;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 6 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', precision: 6 })
  updatedAt: Date;
}
