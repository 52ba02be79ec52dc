import { Client, Pool, PoolClient } from 'pg';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { createTestDatabase, TestDatabase } from '@volume/testing';
import { createDataSource } from './data-source';

describe('the pool of a data source when PostgreSQL ends its connections (real PostgreSQL)', () => {
  let db: TestDatabase;
  let admin: Client;

  beforeAll(async () => {
    db = await createTestDatabase('pool_errors');
    admin = new Client({ connectionString: db.url });
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.end();
    await db?.drop();
  });

  /** What a server's shutdown does to each backend: FATAL 57P01 (admin_shutdown), then the socket closes. */
  async function terminate(client: PoolClient): Promise<void> {
    const [{ pid }] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
  }

  it('when a connection checked out with no error listener of its own (as TypeORM holds one while it starts) is ended by the server, then no error goes unhandled and the pool serves again', async () => {
    const ds = createDataSource({ url: db.url, poolSize: 2 });
    await ds.initialize();
    try {
      const pool = (ds.driver as PostgresDriver).master as Pool;
      const client = await pool.connect();
      const ended = new Promise((resolve) => client.once('end', resolve));
      const uncaught: Error[] = [];
      const onUncaught = (err: Error) => uncaught.push(err);
      // Jest's own handler would fail the run rather than this test: listen first.
      process.prependListener('uncaughtException', onUncaught);
      try {
        await terminate(client);
        await ended;
      } finally {
        process.removeListener('uncaughtException', onUncaught);
      }
      client.release(new Error('ended by the server'));
      expect(uncaught.map((e) => e.message)).toEqual([]);
      expect(await ds.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await ds.destroy();
    }
  });
});
