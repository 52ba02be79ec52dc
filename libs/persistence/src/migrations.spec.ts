import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '@volume/testing';
import { createDataSource, MIGRATIONS } from './data-source';

describe('database migrations (real PostgreSQL)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('migrations');
  });

  afterAll(async () => {
    await db?.drop();
  });

  async function tables(): Promise<string[]> {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      const r = await c.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`);
      return r.rows.map((row) => row.tablename as string);
    } finally {
      await c.end();
    }
  }

  it('when migrated, then every table exists and the __DEFAULT__ type is there', async () => {
    expect(await tables()).toEqual(
      expect.arrayContaining(['volumes', 'volume_metadata', 'volume_types', 'volume_type_extra_specs', 'volume_attachments', 'services', 'pools']),
    );
    const c = new Client({ connectionString: db.url });
    await c.connect();
    const r = await c.query(`SELECT name FROM volume_types`);
    await c.end();
    expect(r.rows).toEqual([{ name: '__DEFAULT__' }]);
  });

  it('when every migration is reverted, then only the migrations table is left, and they apply again', async () => {
    const ds = createDataSource({ url: db.url });
    await ds.initialize();
    try {
      for (let i = 0; i < MIGRATIONS.length; i++) await ds.undoLastMigration();
      expect(await tables()).toEqual(['migrations']);
      const applied = await ds.runMigrations();
      expect(applied.map((m) => m.name)).toEqual(MIGRATIONS.map((m) => new m().name));
    } finally {
      await ds.destroy();
    }
  });
});
