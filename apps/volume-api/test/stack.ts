import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import { Client } from 'pg';
import { ApiApp, createApiApp } from '@volume/api-app';
import { createSchedulerApp } from '@volume/scheduler-app';
import { createTestDatabase, testNatsUrl, TestDatabase } from '@volume/testing';
import { createWorkerApp } from '@volume/worker-app';

// The captures' project, so that recorded requests replay unchanged.
export const PROJECT = '7f3c1e2d4b5a69788796a5b4c3d2e1f0';
export const OTHER_PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
export const ADMIN = { 'x-auth-token': `admin:${PROJECT}` };
export const MEMBER = { 'x-auth-token': `demo:${PROJECT}` };
export const OTHER_MEMBER = { 'x-auth-token': `other:${OTHER_PROJECT}` };

export interface Reply {
  status: number;
  headers: Record<string, unknown>;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

/**
 * The real apps, in this process, against a database of their own and NATS subjects of their own:
 * the API, one scheduler and two workers (`host-a`, `host-b`, each a `file` backend with two pools).
 */
export class TestStack {
  private constructor(
    readonly db: TestDatabase,
    readonly api: ApiApp,
    readonly scheduler: INestApplicationContext,
    readonly workers: Map<string, INestApplicationContext>,
    readonly dataDir: string,
    readonly env: Record<string, string>,
  ) {}

  static async start(): Promise<TestStack> {
    const db = await createTestDatabase('stack');
    const dataDir = await mkdtemp(join(tmpdir(), 'volstack-'));
    const env = {
      DATABASE_URL: db.url,
      NATS_URL: testNatsUrl(),
      NATS_SUBJECT_PREFIX: `t${randomBytes(6).toString('hex')}`,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      REPORT_INTERVAL_S: '1',
    };
    const scheduler = await createSchedulerApp({ ...env, SCHEDULER_HOST: 'scheduler-1' });
    const workers = new Map<string, INestApplicationContext>();
    for (const host of ['host-a', 'host-b']) {
      workers.set(
        host,
        await createWorkerApp({ ...env, VOLUME_HOST: host, VOLUME_DATA_DIR: join(dataDir, host), VOLUME_POOL_CAPACITY_GB: '100' }),
      );
    }
    const api = await createApiApp({ ...env, API_PORT: '0' });
    const stack = new TestStack(db, api, scheduler, workers, dataDir, env);
    await stack.waitFor(async () => (await stack.sql(`SELECT count(*)::int AS n FROM pools`))[0].n === 4, 'pool reports');
    return stack;
  }

  async request(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    opts: { headers?: Record<string, string>; body?: unknown; rawBody?: string; version?: string } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.version) headers['openstack-api-version'] = `volume ${opts.version}`;
    let payload: string | undefined;
    if (opts.rawBody !== undefined) payload = opts.rawBody;
    else if (opts.body !== undefined) payload = JSON.stringify(opts.body);
    if (payload !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const res = await this.api.app.inject({ method, url, headers: { host: 'localhost:8776', ...headers }, payload });
    let body: unknown = undefined;
    if (res.body && String(res.headers['content-type'] ?? '').includes('json')) body = JSON.parse(res.body);
    return { status: res.statusCode, headers: res.headers, body, text: res.body };
  }

  async sql<T = any>(query: string, params: unknown[] = []): Promise<T[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const c = new Client({ connectionString: this.db.url });
    await c.connect();
    try {
      return (await c.query(query, params)).rows as T[];
    } finally {
      await c.end();
    }
  }

  async waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  /** Creates a volume through the API and waits until it is available. */
  async createVolume(body: Record<string, unknown> = { size: 1 }, headers: Record<string, string> = ADMIN): Promise<string> {
    const res = await this.request('POST', `/v3/${PROJECT}/volumes`, { headers, body: { volume: body } });
    if (res.status !== 202) throw new Error(`create failed: ${res.status} ${res.text}`);
    const id = res.body.volume.id as string;
    await this.waitFor(
      async () => (await this.sql(`SELECT status FROM volumes WHERE id = $1`, [id]))[0]?.status === 'available',
      `volume ${id} available`,
    );
    return id;
  }

  async stop(): Promise<void> {
    await this.api.app.close();
    for (const w of this.workers.values()) await w.close();
    await this.scheduler.close();
    await this.db.drop();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
