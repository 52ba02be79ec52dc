import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import { Client } from 'pg';
import pino from 'pino';
import { HealthSubjects, healthTarget } from '@volume/contracts';
import { NatsService } from '@volume/platform';
import { ApiApp, createApiApp } from '@volume/api-app';
import { createNovaBridgeApp, localComputeApiUrl } from '@volume/nova-bridge-app';
import { createSchedulerApp } from '@volume/scheduler-app';
import { createTestDatabase, testNatsUrl, TestDatabase } from '@volume/testing';
import { createWorkerApp } from '@volume/worker-app';

// The captures' project, so that recorded requests replay unchanged.
export const PROJECT = '7f3c1e2d4b5a69788796a5b4c3d2e1f0';
export const OTHER_PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
export const ADMIN = { 'x-auth-token': `admin:${PROJECT}` };
export const MEMBER = { 'x-auth-token': `demo:${PROJECT}` };
export const OTHER_MEMBER = { 'x-auth-token': `other:${OTHER_PROJECT}` };

export interface StackOptions {
  /** Extra environment for both workers (e.g. VOLUME_COPY_BPS_LIMIT), or for each host (e.g. HEALTH_PORT). */
  workerEnv?: Record<string, string> | ((host: string) => Record<string, string>);
  /** Workers to run as separate OS processes (from the TypeScript sources), so a test can SIGKILL them. */
  processWorkers?: string[];
  /**
   * Also run nova-bridge with its local compute host (NOVA_ADAPTER=local): the API then listens on
   * a real port (the compute host calls it over HTTP, as Nova does) and the compute API on another.
   */
  novaBridge?: boolean | Record<string, string>;
  /**
   * Extra environment for the API. Its default quotas are unlimited here, since suites create
   * volumes freely in one project; quotas.int.spec sets them.
   */
  apiEnv?: Record<string, string>;
}

const REPO = join(__dirname, '../../..');

/** A worker in a child process: the real `main.ts`, run from sources with @swc-node/register. */
export class WorkerProcess {
  child?: ChildProcess;
  output = '';

  constructor(private readonly env: Record<string, string>) {}

  async start(waitFor: () => Promise<boolean>): Promise<void> {
    const child = spawn(process.execPath, ['-r', 'reflect-metadata', '-r', '@swc-node/register', 'apps/volume-worker/src/main.ts'], {
      cwd: REPO,
      env: { ...process.env, ...this.env, SWC_NODE_PROJECT: join(REPO, 'tsconfig.run.json'), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.on('data', (d) => (this.output += d));
    child.stderr?.on('data', (d) => (this.output += d));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`worker exited early (${child.exitCode}):\n${this.output}`);
      if (await waitFor()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`worker did not come up:\n${this.output}`);
  }

  /** Ends it at once, as a crash or an OOM kill would: no shutdown hooks run. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

/** What an admin saw while a migration ran (see TestStack.watchMigration). */
export interface MigrationWatch {
  /** Each distinct migration_progress value, in the order seen. */
  seen: string[];
  hiddenBelow372: boolean;
  hiddenFromMember: boolean;
  hiddenFromList: boolean;
}

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
    readonly processes: Map<string, WorkerProcess>,
    readonly dataDir: string,
    readonly env: Record<string, string>,
  ) {}

  /** nova-bridge, when started with `novaBridge`. */
  novaBridge?: INestApplicationContext;
  /** Where the API listens when nova-bridge runs (http://127.0.0.1:<port>). */
  apiUrl?: string;
  /** Where nova-bridge's local compute host serves its compute API, when it runs. */
  computeUrl?: string;

  /** The environment a worker of this stack runs with. */
  workerEnv(host: string, extra: Record<string, string> = {}): Record<string, string> {
    return { ...this.env, VOLUME_HOST: host, VOLUME_DATA_DIR: join(this.dataDir, host), VOLUME_POOL_CAPACITY_GB: '100', ...extra };
  }

  static async start(opts: StackOptions = {}): Promise<TestStack> {
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
    const processes = new Map<string, WorkerProcess>();
    // An API that refuses its settings must not leave the scheduler running into Jest's teardown.
    const api = await createApiApp({ ...env, API_PORT: '0', QUOTA_VOLUMES: '-1', QUOTA_GIGABYTES: '-1', ...opts.apiEnv }).catch(async (err: unknown) => {
      await scheduler.close();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
      throw err;
    });
    const stack = new TestStack(db, api, scheduler, workers, processes, dataDir, env);
    for (const host of ['host-a', 'host-b']) {
      const workerEnv = stack.workerEnv(host, typeof opts.workerEnv === 'function' ? opts.workerEnv(host) : opts.workerEnv);
      if (opts.processWorkers?.includes(host)) {
        const proc = new WorkerProcess(workerEnv);
        processes.set(host, proc);
        await proc.start(() => stack.serviceUp(host));
      } else {
        workers.set(host, await createWorkerApp(workerEnv));
      }
    }
    await stack.waitFor(async () => (await stack.sql(`SELECT count(*)::int AS n FROM pools`))[0].n === 4, 'pool reports');
    if (opts.novaBridge) {
      await api.app.listen(0, '127.0.0.1');
      const address = api.app.getHttpServer().address() as { port: number };
      stack.apiUrl = `http://127.0.0.1:${address.port}`;
      stack.novaBridge = await createNovaBridgeApp({
        ...env,
        NOVA_BRIDGE_HOST: 'compute-1',
        NOVA_ADAPTER: 'local',
        VOLUME_API_URL: stack.apiUrl,
        COMPUTE_API_PORT: '0',
        ...(typeof opts.novaBridge === 'object' ? opts.novaBridge : {}),
      });
      stack.computeUrl = localComputeApiUrl(stack.novaBridge);
    }
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

  /**
   * Polls a migrating volume until its migration ends, as an admin watching it at 3.72 would, and
   * checks on the way that the progress stays hidden below 3.72, from members and from lists.
   */
  async watchMigration(volumeId: string, timeoutMs: number): Promise<MigrationWatch> {
    const url = `/v3/${PROJECT}/volumes`;
    const watch: MigrationWatch = { seen: [], hiddenBelow372: true, hiddenFromMember: true, hiddenFromList: true };
    await this.waitFor(
      async () => {
        const v = (await this.request('GET', `${url}/${volumeId}`, { headers: ADMIN, version: '3.72' })).body.volume;
        if (v.migration_status === 'migrating' && v.migration_progress !== undefined) {
          if (watch.seen[watch.seen.length - 1] !== v.migration_progress) watch.seen.push(v.migration_progress);
          const old = await this.request('GET', `${url}/${volumeId}`, { headers: ADMIN, version: '3.71' });
          watch.hiddenBelow372 &&= !('migration_progress' in old.body.volume);
          const member = await this.request('GET', `${url}/${volumeId}`, { headers: MEMBER, version: '3.72' });
          watch.hiddenFromMember &&= !('migration_progress' in member.body.volume);
          const list = await this.request('GET', `${url}/detail`, { headers: ADMIN, version: '3.72' });
          watch.hiddenFromList &&= list.body.volumes.every((x: Record<string, unknown>) => !('migration_progress' in x));
        }
        return v.migration_status === 'success' || v.migration_status === 'error';
      },
      `the migration of ${volumeId} to end`,
      timeoutMs,
    );
    return watch;
  }

  private client?: NatsService;

  /** A NATS client in this stack's namespace, to talk to the apps as their peers do. */
  async nats(): Promise<NatsService> {
    this.client ??= await NatsService.connect(this.env.NATS_URL, 'test-stack', pino({ level: 'silent' }), this.env.NATS_SUBJECT_PREFIX);
    return this.client;
  }

  /** The worker answers its health request: it is up and serves its subjects (a killed one does not). */
  async serviceUp(host: string): Promise<boolean> {
    try {
      await (await this.nats()).call(HealthSubjects.health, { probe: 'ready' }, { host: healthTarget('volume-worker', host) });
      return true;
    } catch {
      return false;
    }
  }

  async stop(): Promise<void> {
    await this.novaBridge?.close();
    await this.api.app.close();
    for (const w of this.workers.values()) await w.close();
    for (const p of this.processes.values()) await p.stop();
    // The API made this stack's own notification stream (MIGRATION_EVENTS_STREAM's default) on the shared NATS: it goes too.
    const jsm = await (await this.nats()).connection.jetstreamManager();
    await jsm.streams.delete(`VOLUME_NOTIFICATIONS_${this.env.NATS_SUBJECT_PREFIX}`).catch(() => undefined);
    await this.client?.drain();
    await this.scheduler.close();
    await this.db.drop();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
