import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { createTestDatabase, freePort, testNatsUrl, TestDatabase } from '@volume/testing';
import { createDataSource, MIGRATIONS } from '@volume/persistence';
import { ConfigError } from './config';
import { HealthServer, ReadinessReport } from './health-server';
import { PlatformModule } from './platform.module';

const log = pino({ level: 'silent' });

async function get(port: number, path: string, method = 'GET'): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('HealthServer', () => {
  let report: ReadinessReport;
  let health: HealthServer;

  beforeEach(async () => {
    report = { ok: true, checks: { postgres: true, nats: true }, details: { app: 'unit', host: 'h1' } };
    health = await HealthServer.start({ port: 0, host: '127.0.0.1', readiness: async () => report, readinessTimeoutMs: 200 });
  });

  afterEach(async () => {
    await health.close();
  });

  it('when /healthz is asked, then it answers 200 ok', async () => {
    await expect(get(health.port, '/healthz')).resolves.toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('when every readiness check passes, then /readyz answers 200 with the checks', async () => {
    await expect(get(health.port, '/readyz')).resolves.toEqual({
      status: 200,
      body: { status: 'ok', app: 'unit', host: 'h1', checks: { postgres: true, nats: true } },
    });
  });

  it('when a check fails, then /readyz answers 503 with the checks and /healthz still 200', async () => {
    report = { ok: false, checks: { postgres: false, nats: true } };
    await expect(get(health.port, '/readyz')).resolves.toEqual({
      status: 503,
      body: { status: 'unavailable', checks: { postgres: false, nats: true } },
    });
    expect((await get(health.port, '/healthz')).status).toBe(200);
  });

  it('when the readiness check hangs or throws, then /readyz answers 503 within the bound', async () => {
    const hanging = await HealthServer.start({ port: 0, host: '127.0.0.1', readiness: () => new Promise(() => {}), readinessTimeoutMs: 100 });
    const throwing = await HealthServer.start({ port: 0, host: '127.0.0.1', readiness: () => Promise.reject(new Error('x')) });
    try {
      const started = Date.now();
      await expect(get(hanging.port, '/readyz')).resolves.toEqual({ status: 503, body: { status: 'unavailable', checks: { answered: false } } });
      expect(Date.now() - started).toBeLessThan(2_000);
      expect((await get(throwing.port, '/readyz')).status).toBe(503);
    } finally {
      await hanging.close();
      await throwing.close();
    }
  });

  it('when shutdown has begun, then /readyz answers 503 stopping while /healthz answers 200', async () => {
    health.markStopping();
    await expect(get(health.port, '/readyz')).resolves.toMatchObject({ status: 503, body: { status: 'stopping' } });
    expect((await get(health.port, '/healthz')).status).toBe(200);
  });

  it('when another path or method is asked, then 404 or 405', async () => {
    expect((await get(health.port, '/metrics')).status).toBe(404);
    expect((await get(health.port, '/healthz', 'POST')).status).toBe(405);
    expect((await get(health.port, '/healthz', 'HEAD')).status).toBe(200);
  });

  it('when closed, then the port no longer answers, even with a keep-alive connection open', async () => {
    await get(health.port, '/healthz'); // fetch keeps the connection alive
    const port = health.port;
    const started = Date.now();
    await health.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(get(port, '/healthz')).rejects.toThrow();
    await expect(health.close()).resolves.toBeUndefined();
  });

  it('when the app reports metrics, then /metrics serves them as Prometheus text; without, 404', async () => {
    expect((await get(health.port, '/metrics')).status).toBe(404);
    let calls = 0;
    const withMetrics = await HealthServer.start({
      port: 0,
      host: '127.0.0.1',
      readiness: async () => report,
      metrics: () => `# TYPE scrapes_total counter\nscrapes_total ${++calls}\n`,
    });
    try {
      const first = await fetch(`http://127.0.0.1:${withMetrics.port}/metrics`);
      expect(first.status).toBe(200);
      expect(first.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(await first.text()).toBe('# TYPE scrapes_total counter\nscrapes_total 1\n');
      // Collected on every scrape, never cached.
      expect(await (await fetch(`http://127.0.0.1:${withMetrics.port}/metrics`)).text()).toContain('scrapes_total 2');
      expect((await get(withMetrics.port, '/metrics', 'POST')).status).toBe(405);
    } finally {
      await withMetrics.close();
    }
  });

  it('when collecting metrics throws, then /metrics answers 500 and the probes still answer', async () => {
    const broken = await HealthServer.start({
      port: 0,
      host: '127.0.0.1',
      readiness: async () => report,
      metrics: () => {
        throw new Error('collector bug');
      },
    });
    try {
      expect((await get(broken.port, '/metrics')).status).toBe(500);
      expect((await get(broken.port, '/healthz')).status).toBe(200);
    } finally {
      await broken.close();
    }
  });

  it('when no address is given, then it listens on loopback only; 0.0.0.0 must be asked for', async () => {
    const unspecified = await HealthServer.start({ port: 0, readiness: async () => report });
    const everywhere = await HealthServer.start({ port: 0, host: '0.0.0.0', readiness: async () => report });
    try {
      expect([unspecified.address, everywhere.address]).toEqual(['127.0.0.1', '0.0.0.0']);
      expect((await get(unspecified.port, '/healthz')).status).toBe(200);
    } finally {
      await unspecified.close();
      await everywhere.close();
    }
  });

  it('when the port is taken, then start fails', async () => {
    await expect(HealthServer.start({ port: health.port, host: '127.0.0.1', readiness: async () => report })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('PlatformModule health server (real PostgreSQL and NATS)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('health');
  });

  afterAll(async () => {
    await db?.drop();
  });

  async function platformApp(healthPort: number, url = db.url, opts: { healthHost?: string; logger?: pino.Logger } = {}): Promise<INestApplicationContext> {
    @Module({
      imports: [
        PlatformModule.forRoot({
          identity: { app: 'health-test', host: 'h1' },
          config: {
            DATABASE_URL: url,
            NATS_URL: testNatsUrl(),
            NATS_SUBJECT_PREFIX: `t${randomBytes(6).toString('hex')}`,
            HEALTH_PORT: healthPort,
            HEALTH_HOST: opts.healthHost,
          },
          logger: opts.logger ?? log,
        }),
      ],
    })
    class RootModule {}
    return NestFactory.createApplicationContext(RootModule, { logger: false, abortOnError: false });
  }

  it('when HEALTH_PORT is set, then /readyz reports PostgreSQL and NATS, degrades with them, and the port closes with the app', async () => {
    const port = await freePort();
    const app = await platformApp(port);
    let closed = false;
    try {
      await expect(get(port, '/healthz')).resolves.toEqual({ status: 200, body: { status: 'ok' } });
      await expect(get(port, '/readyz')).resolves.toEqual({
        status: 200,
        body: { status: 'ok', app: 'health-test', host: 'h1', checks: { postgres: true, nats: true } },
      });

      await app.get(DataSource).destroy();
      await expect(get(port, '/readyz')).resolves.toMatchObject({ status: 503, body: { checks: { postgres: false, nats: true } } });

      await app.close();
      closed = true;
      await expect(get(port, '/healthz')).rejects.toThrow();
    } finally {
      if (!closed) await app.close();
    }
  });

  it.each([
    [undefined, '127.0.0.1'],
    ['0.0.0.0', '0.0.0.0'],
  ])('when HEALTH_HOST is %s, then the health server listens on %s', async (healthHost, address) => {
    const lines: { msg: string; address?: string }[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const app = await platformApp(await freePort(), db.url, { healthHost, logger: pino({ level: 'info' }, sink) });
    await app.close();
    expect(lines.filter((l) => l.msg === 'health server listening').map((l) => l.address)).toEqual([address]);
  });

  it('when the database lacks a migration, then the app does not start and says which and how to apply it', async () => {
    const behind = await createTestDatabase('behind');
    try {
      const ds = createDataSource({ url: behind.url });
      await ds.initialize();
      await ds.undoLastMigration();
      await ds.destroy();
      const failed = await platformApp(0, behind.url).then(
        async (app) => {
          await app.close();
          return null;
        },
        (err: unknown) => err,
      );
      expect(failed).toBeInstanceOf(ConfigError);
      const last = MIGRATIONS[MIGRATIONS.length - 1].name;
      expect((failed as Error).message).toContain(`lacks 1 migration(s) (${last}): apply them first with \`npm run migrate\``);
    } finally {
      await behind.drop();
    }
  });
});
