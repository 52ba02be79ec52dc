import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-project quotas (Cinder's `quotas` and `quota_usages`): the limits an admin set, and what each
 * project uses of its counted resources. The usage starts from the volumes already there that count
 * (`use_quota`: not a migration's destination), so that it equals a recount from the first day.
 */
export class Quotas1764302400000 implements MigrationInterface {
  name = 'Quotas1764302400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE quotas (
        id serial PRIMARY KEY,
        project_id varchar(255) NOT NULL,
        resource varchar(255) NOT NULL,
        hard_limit integer NOT NULL,
        created_at timestamptz(6) NOT NULL,
        updated_at timestamptz(6),
        CONSTRAINT uq_quotas_project_resource UNIQUE (project_id, resource)
      )`);
    // bigint: a sum of sizes may pass the largest integer a single volume can have.
    await q.query(`
      CREATE TABLE quota_usages (
        id serial PRIMARY KEY,
        project_id varchar(255) NOT NULL,
        resource varchar(255) NOT NULL,
        in_use bigint NOT NULL DEFAULT 0,
        created_at timestamptz(6) NOT NULL,
        updated_at timestamptz(6),
        CONSTRAINT uq_quota_usages_project_resource UNIQUE (project_id, resource)
      )`);
    await q.query(`
      INSERT INTO quota_usages (project_id, resource, in_use, created_at)
      SELECT project_id, r.resource, CASE r.resource WHEN 'volumes' THEN count(*) ELSE sum(size) END, now()
        FROM volumes CROSS JOIN (VALUES ('gigabytes'), ('volumes')) AS r(resource)
       WHERE use_quota
       GROUP BY project_id, r.resource`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE quota_usages`);
    await q.query(`DROP TABLE quotas`);
  }
}
