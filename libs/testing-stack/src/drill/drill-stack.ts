import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from 'pg';
import { runMigrations } from '@volume/persistence';
import { freePort } from '@volume/testing';
import { AppName, appMain, REPO } from './app-build';
import { LoggedProcess } from './logged-process';
import { NatsServer } from './nats-server';
import { PostgresServer } from './postgres-server';

/** The processes of a drill's stack: each app once, and a worker for each of two storage hosts. */
export type DrillApp = 'volume-api' | 'volume-scheduler' | 'host-a' | 'host-b' | 'nova-bridge';
export const DRILL_HOSTS = ['host-a', 'host-b'] as const;
export type DrillHost = (typeof DRILL_HOSTS)[number];

export interface DrillStackOptions {
  /** Extra environment for both workers (e.g. VOLUME_COPY_BPS_LIMIT). */
  workerEnv?: Record<string, string>;
  /** Extra environment for nova-bridge (e.g. SWAP_COPY_BPS_LIMIT). */
  novaBridgeEnv?: Record<string, string>;
}

/** What a drill's stack stands on: its own servers and the one build of the apps. */
export interface DrillInfrastructure {
  pg: PostgresServer;
  nats: NatsServer;
  buildDir: string;
}

export interface DrillReply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

const READY_TIMEOUT_MS = 60_000;

/** A database of the stack's own on the drill's server, migrated to the latest schema; its URL. */
async function createDatabase(pg: PostgresServer, name: string): Promise<string> {
  const admin = new Client({ connectionString: pg.url() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  await runMigrations(pg.url(name));
  return pg.url(name);
}

/** Free ports, none handed out twice (a port just freed may come back at once). */
function distinctPorts(): () => Promise<number> {
  const given = new Set<number>();
  return async () => {
    for (;;) {
      const port = await freePort();
      if (given.has(port)) continue;
      given.add(port);
      return port;
    }
  };
}

interface Member {
  process: LoggedProcess;
  /** Where its readiness answers (GET, 200 when ready): the API's own port, the others' HEALTH_PORT. */
  readyUrl: string;
}

/**
 * Every app of the stack as a separate OS process, run from the build as `npm start` runs it, each
 * killable (SIGKILL) and restartable with the same environment and ports: a database and pool
 * directories of its own on the drill's PostgreSQL and NATS (its own subject prefix). The API
 * listens on a real port, which nova-bridge's local compute host calls as Nova would.
 */
export class DrillStack {
  private readonly members = new Map<DrillApp, Member>();

  private constructor(
    readonly name: string,
    readonly dir: string,
    readonly databaseUrl: string,
    readonly apiUrl: string,
    readonly computeUrl: string,
  ) {}

  static async start(infra: DrillInfrastructure, dir: string, opts: DrillStackOptions = {}): Promise<DrillStack> {
    const name = `drill_${randomBytes(4).toString('hex')}`;
    await mkdir(dir, { recursive: true });
    const databaseUrl = await createDatabase(infra.pg, name);
    const port = distinctPorts();
    const [apiPort, computePort] = [await port(), await port()];
    const stack = new DrillStack(name, dir, databaseUrl, `http://127.0.0.1:${apiPort}`, `http://127.0.0.1:${computePort}`);
    const common = {
      DATABASE_URL: databaseUrl,
      NATS_URL: infra.nats.url,
      NATS_SUBJECT_PREFIX: name,
      LOG_LEVEL: 'info',
      REPORT_INTERVAL_S: '1',
    };
    const add = async (app: DrillApp, build: AppName, env: Record<string, string>) => {
      // The API answers its probes on its own port; HEALTH_PORT is for the apps without one.
      const healthPort = app === 'volume-api' ? 0 : await port();
      const proc = new LoggedProcess(app, {
        command: process.execPath,
        args: ['--enable-source-maps', appMain(infra.buildDir, build)],
        cwd: dir,
        // The build keeps its packages external: they resolve from the workspace's node_modules.
        env: { PATH: process.env.PATH ?? '', NODE_PATH: join(REPO, 'node_modules'), ...common, HEALTH_PORT: String(healthPort), ...env },
        logFile: join(dir, `${app}.log`),
      });
      const readyUrl = app === 'volume-api' ? `${stack.apiUrl}/readyz` : `http://127.0.0.1:${healthPort}/readyz`;
      stack.members.set(app, { process: proc, readyUrl });
    };
    await add('volume-api', 'volume-api', { API_HOST: '127.0.0.1', API_PORT: String(apiPort) });
    await add('volume-scheduler', 'volume-scheduler', { SCHEDULER_HOST: 'scheduler-1' });
    for (const host of DRILL_HOSTS) {
      await add(host, 'volume-worker', {
        VOLUME_HOST: host,
        VOLUME_DATA_DIR: join(dir, host),
        VOLUME_POOLS: 'pool1,pool2',
        VOLUME_POOL_CAPACITY_GB: '100',
        // Fixed, as a deployment configures it (VOLUME_DATA_PORT=8790): a restarted worker listens where it did.
        VOLUME_DATA_PORT: String(await port()),
        ...opts.workerEnv,
      });
    }
    await add('nova-bridge', 'nova-bridge', {
      NOVA_BRIDGE_HOST: 'compute-1',
      NOVA_ADAPTER: 'local',
      VOLUME_API_URL: stack.apiUrl,
      COMPUTE_API_PORT: String(computePort),
      ...opts.novaBridgeEnv,
    });
    try {
      for (const member of stack.members.values()) member.process.start();
      await Promise.all([...stack.members.keys()].map((app) => stack.waitReady(app)));
      // Ready to create volumes: every pool reported, every storage host heartbeating.
      await stack.waitFor(async () => (await stack.sql(`SELECT count(*)::int AS n FROM pools`))[0].n === 4, 'the pools of both hosts');
      await stack.waitFor(
        async () => (await stack.sql(`SELECT count(*)::int AS n FROM services WHERE "binary" = 'cinder-volume'`))[0].n === 2,
        'both storage hosts in os-services',
      );
    } catch (err) {
      await stack.stop();
      throw err;
    }
    return stack;
  }

  process(app: DrillApp): LoggedProcess {
    const member = this.members.get(app);
    if (!member) throw new Error(`no app ${app} in this stack`);
    return member.process;
  }

  get processes(): LoggedProcess[] {
    return [...this.members.values()].map((m) => m.process);
  }

  /** SIGKILL: the app dies at once, as in a crash. */
  async kill(app: DrillApp): Promise<void> {
    await this.process(app).kill();
  }

  /** Starts it again with the same environment, and waits until it reports ready. */
  async restart(app: DrillApp): Promise<void> {
    this.process(app).start();
    await this.waitReady(app);
  }

  /** Until the app's readiness answers 200 (it reaches PostgreSQL and NATS). */
  async waitReady(app: DrillApp): Promise<void> {
    const member = this.members.get(app) as Member;
    await this.waitFor(
      async () => {
        if (!member.process.running) throw new Error(`${app} is not running (${member.process.exitReason}):\n${member.process.tail(30).join('\n')}`);
        const res = await fetch(member.readyUrl, { signal: AbortSignal.timeout(2_000) });
        return res.status === 200;
      },
      `${app} to be ready`,
      READY_TIMEOUT_MS,
      (err) => !/is not running/.test(err.message),
    );
  }

  /** A request to the API as a client sends it (JSON in and out). */
  async request(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    opts: { headers?: Record<string, string>; body?: unknown; version?: string; timeoutMs?: number } = {},
  ): Promise<DrillReply> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.version) headers['openstack-api-version'] = `volume ${opts.version}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.apiUrl}${path}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.status, body, text };
  }

  /** One query on a connection of its own: it fails (rather than waits) while PostgreSQL is down. */
  async sql<T = any>(query: string, params: unknown[] = []): Promise<T[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const client = new Client({ connectionString: this.databaseUrl, connectionTimeoutMillis: 2_000 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query(query, params)).rows as T[];
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * Polls `check` until it holds. A check that throws counts as "not yet" (a server down is what the
   * drills do), unless `retryable` says the error is final.
   */
  async waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 10_000, retryable: (err: Error) => boolean = () => true): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        if (await check()) return;
        last = '';
      } catch (err) {
        if (!retryable(err as Error)) throw err;
        last = ` (last error: ${(err as Error).message})`;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last}`);
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop(5_000)));
  }
}
