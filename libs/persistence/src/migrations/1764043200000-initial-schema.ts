import { MigrationInterface, QueryRunner } from 'typeorm';

/** Volumes, their metadata, types and extra specs, attachments, services and pools. */
export class InitialSchema1764043200000 implements MigrationInterface {
  name = 'InitialSchema1764043200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE volume_types (
        id uuid PRIMARY KEY,
        name varchar(255) NOT NULL UNIQUE,
        description varchar(255),
        is_public boolean NOT NULL DEFAULT true,
        created_at timestamptz(6) NOT NULL,
        updated_at timestamptz(6)
      )`);
    await q.query(`
      CREATE TABLE volume_type_extra_specs (
        id serial PRIMARY KEY,
        volume_type_id uuid NOT NULL REFERENCES volume_types(id) ON DELETE CASCADE,
        key varchar(255) NOT NULL,
        value varchar(255) NOT NULL,
        CONSTRAINT uq_volume_type_extra_specs_key UNIQUE (volume_type_id, key)
      )`);
    await q.query(`
      CREATE TABLE volumes (
        id uuid PRIMARY KEY,
        project_id varchar(255) NOT NULL,
        user_id varchar(255) NOT NULL,
        display_name varchar(255),
        display_description varchar(255),
        size integer NOT NULL,
        status varchar(255) NOT NULL,
        previous_status varchar(255),
        attach_status varchar(255) NOT NULL DEFAULT 'detached',
        migration_status varchar(255),
        name_id uuid,
        host varchar(255),
        cluster_name varchar(255),
        availability_zone varchar(255) NOT NULL,
        volume_type_id uuid NOT NULL REFERENCES volume_types(id),
        provider_id varchar(255),
        provider_location varchar(1024),
        bootable boolean NOT NULL DEFAULT false,
        multiattach boolean NOT NULL DEFAULT false,
        replication_status varchar(255),
        consistencygroup_id uuid,
        group_id uuid,
        snapshot_id uuid,
        source_volid uuid,
        encryption_key_id varchar(255),
        service_uuid uuid,
        shared_targets boolean,
        use_quota boolean NOT NULL DEFAULT true,
        created_at timestamptz(6) NOT NULL,
        updated_at timestamptz(6)
      )`);
    await q.query(`CREATE INDEX ix_volumes_project_created ON volumes (project_id, created_at)`);
    await q.query(`CREATE INDEX ix_volumes_host ON volumes (host)`);
    await q.query(`
      CREATE TABLE volume_metadata (
        id serial PRIMARY KEY,
        volume_id uuid NOT NULL REFERENCES volumes(id) ON DELETE CASCADE,
        key varchar(255) NOT NULL,
        value varchar(255) NOT NULL,
        CONSTRAINT uq_volume_metadata_key UNIQUE (volume_id, key)
      )`);
    await q.query(`
      CREATE TABLE volume_attachments (
        id uuid PRIMARY KEY,
        volume_id uuid NOT NULL REFERENCES volumes(id) ON DELETE CASCADE,
        project_id varchar(255) NOT NULL,
        instance_uuid uuid,
        attached_host varchar(255),
        mountpoint varchar(255),
        attach_status varchar(255) NOT NULL,
        attach_mode varchar(36) NOT NULL DEFAULT 'rw',
        connector jsonb,
        connection_info jsonb,
        attach_time timestamptz(6),
        detach_time timestamptz(6),
        created_at timestamptz(6) NOT NULL,
        updated_at timestamptz(6)
      )`);
    await q.query(`CREATE INDEX ix_volume_attachments_volume ON volume_attachments (volume_id)`);
    await q.query(`
      CREATE TABLE services (
        id serial PRIMARY KEY,
        uuid uuid NOT NULL,
        host varchar(255) NOT NULL,
        "binary" varchar(255) NOT NULL,
        topic varchar(255) NOT NULL,
        availability_zone varchar(255) NOT NULL,
        disabled boolean NOT NULL DEFAULT false,
        disabled_reason varchar(255),
        report_count integer NOT NULL DEFAULT 0,
        created_at timestamptz(6) NOT NULL,
        updated_at timestamptz(6),
        CONSTRAINT uq_services_host_binary UNIQUE (host, "binary")
      )`);
    await q.query(`
      CREATE TABLE pools (
        name varchar(255) PRIMARY KEY,
        service_host varchar(255) NOT NULL,
        availability_zone varchar(255) NOT NULL,
        total_capacity_gb double precision NOT NULL,
        free_capacity_gb double precision NOT NULL,
        capabilities jsonb NOT NULL,
        updated_at timestamptz(6) NOT NULL
      )`);
    await q.query(`CREATE INDEX ix_pools_service_host ON pools (service_host)`);
    // Cinder always has a default type; every volume created without a type gets it.
    await q.query(
      `INSERT INTO volume_types (id, name, description, is_public, created_at)
       VALUES (gen_random_uuid(), '__DEFAULT__', 'Default Volume Type', true, now())`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['pools', 'services', 'volume_attachments', 'volume_metadata', 'volumes', 'volume_type_extra_specs', 'volume_types']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
