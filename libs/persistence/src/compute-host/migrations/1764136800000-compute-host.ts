import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The local compute host of nova-bridge: its servers, their devices (Nova's block device mappings)
 * and the swaps that move a device to a migrating volume's destination. A device's `path` is the
 * commit point of a swap's pivot.
 */
export class ComputeHost1764136800000 implements MigrationInterface {
  name = 'ComputeHost1764136800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE compute_servers (
        id uuid PRIMARY KEY,
        name varchar(255) NOT NULL,
        project_id varchar(255) NOT NULL,
        user_id varchar(255) NOT NULL,
        created_at timestamptz(6) NOT NULL,
        updated_at timestamptz(6) NOT NULL
      )`);
    await q.query(`
      CREATE TABLE compute_devices (
        id uuid PRIMARY KEY,
        server_id uuid NOT NULL REFERENCES compute_servers(id) ON DELETE CASCADE,
        name varchar(16) NOT NULL,
        volume_id uuid NOT NULL,
        attachment_id uuid NOT NULL,
        path text NOT NULL,
        size_bytes bigint NOT NULL,
        created_at timestamptz(6) NOT NULL,
        updated_at timestamptz(6) NOT NULL
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_compute_devices_name ON compute_devices (server_id, name)`);
    await q.query(`CREATE UNIQUE INDEX uq_compute_devices_volume ON compute_devices (server_id, volume_id)`);
    await q.query(`
      CREATE TABLE compute_swaps (
        id uuid PRIMARY KEY,
        server_id uuid NOT NULL REFERENCES compute_servers(id) ON DELETE CASCADE,
        device_id uuid NOT NULL REFERENCES compute_devices(id) ON DELETE CASCADE,
        migration_id uuid NOT NULL,
        old_volume_id uuid NOT NULL,
        new_volume_id uuid NOT NULL,
        old_attachment_id uuid NOT NULL,
        new_attachment_id uuid,
        source_path text NOT NULL,
        target_path text,
        phase varchar(16) NOT NULL,
        progress integer,
        cur bigint,
        "end" bigint,
        error text,
        created_at timestamptz(6) NOT NULL,
        updated_at timestamptz(6) NOT NULL,
        finished_at timestamptz(6)
      )`);
    await q.query(`CREATE INDEX ix_compute_swaps_old_volume ON compute_swaps (old_volume_id, created_at)`);
    // Nova serialises swaps per instance; this makes a racing second swap fail at insert.
    await q.query(
      `CREATE UNIQUE INDEX uq_compute_swaps_active ON compute_swaps (server_id)
        WHERE phase NOT IN ('completed', 'failed', 'cancelled')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE compute_swaps`);
    await q.query(`DROP TABLE compute_devices`);
    await q.query(`DROP TABLE compute_servers`);
  }
}
