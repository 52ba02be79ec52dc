import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { HealthSubjects, healthTarget } from '@volume/contracts';
import { createDataSource } from '@volume/persistence';
import { NatsService } from '@volume/platform';
import { createTestDatabase, testNatsUrl, TestDatabase } from '@volume/testing';
import { createNovaBridgeApp } from './bootstrap';

describe('nova-bridge (real PostgreSQL and NATS)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let client: NatsService;
  const prefix = `t${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    db = await createTestDatabase('nova');
    ds = await createDataSource({ url: db.url }).initialize();
    client = await NatsService.connect(testNatsUrl(), 'test', pino({ level: 'silent' }), prefix);
  });

  afterAll(async () => {
    await client?.drain();
    await ds?.destroy();
    await db?.drop();
  });

  it('when started, then it registers as a service and answers its health request; when closed, it stops answering', async () => {
    const app = await createNovaBridgeApp({
      DATABASE_URL: db.url,
      NATS_URL: testNatsUrl(),
      NATS_SUBJECT_PREFIX: prefix,
      LOG_LEVEL: 'silent',
      NOVA_BRIDGE_HOST: 'bridge-1',
      COMPUTE_API_PORT: '0',
    });
    const rows = await ds.query(`SELECT host, "binary" FROM services`);
    expect(rows).toEqual([{ host: 'bridge-1', binary: 'nova-bridge' }]);
    const target = healthTarget('nova-bridge', 'bridge-1');
    await expect(client.call(HealthSubjects.health, { probe: 'ready' }, { host: target })).resolves.toEqual({
      app: 'nova-bridge',
      host: 'bridge-1',
      status: 'ok',
      checks: { postgres: true, nats: true },
    });
    await app.close();
    await expect(client.call(HealthSubjects.health, { probe: 'ready' }, { host: target })).rejects.toMatchObject({ code: 'RPC.UNAVAILABLE' });
  });
});
