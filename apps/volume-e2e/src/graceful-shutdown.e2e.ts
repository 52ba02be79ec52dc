import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, freePort, testNatsUrl, TestDatabase } from '@volume/testing';

/**
 * Every app, as built (`node dist/apps/<app>/main.js`, what the image runs), stops cleanly on
 * SIGTERM: it logs that it stops taking work, closes NATS and PostgreSQL, logs "stopped" and exits 0
 * within SHUTDOWN_TIMEOUT_S. Each app gets a database and a NATS subject namespace of its own, so this
 * runs beside any other stack. Needs the build (CI builds it through `npm start` first); without it,
 * or with E2E_SHUTDOWN=0 (e.g. against a remote stack with no local PostgreSQL), it is skipped.
 */
const ROOT = resolve(__dirname, '../../..');
const APPS = ['volume-api', 'volume-scheduler', 'volume-worker', 'nova-bridge'] as const;
type App = (typeof APPS)[number];
const mainOf = (app: App) => join(ROOT, 'dist', 'apps', app, 'main.js');
const SHUTDOWN_TIMEOUT_S = 10;

const missing = APPS.filter((app) => !existsSync(mainOf(app)));
const disabled = process.env.E2E_SHUTDOWN === '0';
const describeBuilt = missing.length === 0 && !disabled ? describe : describe.skip;
if (disabled) {
  console.warn('graceful shutdown: skipped (E2E_SHUTDOWN=0)');
} else if (missing.length > 0) {
  console.warn(`graceful shutdown: skipped, no build of ${missing.join(', ')} in dist/ (run \`npm run build\` or \`npm start\` first)`);
}

interface Running {
  app: App;
  child: ChildProcess;
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(app: App, env: Record<string, string>): Running {
  // A clean environment: nothing of this shell's (API_PORT, HEALTH_PORT, ...) leaks into the app.
  const child = spawn(process.execPath, ['--enable-source-maps', mainOf(app)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  const collect = (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('close', (code, signal) => {
      if (partial) lines.push(partial);
      r({ code, signal });
    }),
  );
  return { app, child, lines, exited };
}

/** The `msg` of each JSON log line, in order. */
const messages = (r: Running) =>
  r.lines.flatMap((line) => {
    try {
      return [String(JSON.parse(line).msg)];
    } catch {
      return [];
    }
  });

async function until(what: string, r: Running, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (r.child.exitCode !== null || r.child.signalCode !== null) {
      throw new Error(`${r.app} exited before ${what}:\n${r.lines.slice(-20).join('\n')}`);
    }
    if (await check().catch(() => false)) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`${r.app}: timed out waiting for ${what} (is dist/ built from this tree?):\n${r.lines.slice(-20).join('\n')}`);
}

const httpOk = async (url: string) => (await fetch(url, { signal: AbortSignal.timeout(2_000) })).status === 200;

describeBuilt('graceful shutdown of the built apps on SIGTERM (real PostgreSQL and NATS)', () => {
  let db: TestDatabase;
  let dataDir: string;
  const running = new Set<Running>();

  async function rowExists(sql: string, params: unknown[]): Promise<boolean> {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      return (await c.query(sql, params)).rowCount! > 0;
    } finally {
      await c.end();
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase('shutdown');
    dataDir = await mkdtemp(join(tmpdir(), 'volshutdown-'));
  });

  afterEach(() => {
    // Only what this suite started, by pid.
    for (const r of running) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    running.clear();
  });

  afterAll(async () => {
    await db?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it.each(APPS)('when %s gets SIGTERM, then it closes NATS and PostgreSQL, logs "stopped" and exits 0 within SHUTDOWN_TIMEOUT_S', async (app) => {
    const port = await freePort();
    const host = `shutdown-${app}-${randomBytes(3).toString('hex')}`;
    const env: Record<string, string> = {
      DATABASE_URL: db.url,
      NATS_URL: testNatsUrl(),
      NATS_SUBJECT_PREFIX: `t${randomBytes(6).toString('hex')}`,
      LOG_LEVEL: 'info',
      REPORT_INTERVAL_S: '1',
      SHUTDOWN_TIMEOUT_S: String(SHUTDOWN_TIMEOUT_S),
    };
    // Up = ready on its port; for the NATS apps also the service row their start-up writes last, so
    // that SIGTERM finds the shutdown handler that main installs once start-up is over.
    let serviceRow: [string, string] | undefined;
    if (app === 'volume-api') {
      Object.assign(env, { API_HOST: '127.0.0.1', API_PORT: String(port) });
    } else {
      env.HEALTH_PORT = String(port);
      if (app === 'volume-scheduler') {
        env.SCHEDULER_HOST = host;
        serviceRow = [host, 'cinder-scheduler'];
      } else if (app === 'nova-bridge') {
        // Port 0: the local compute host's API must not collide with a running stack's (8774).
        Object.assign(env, { NOVA_BRIDGE_HOST: host, COMPUTE_API_PORT: '0' });
        serviceRow = [host, 'nova-bridge'];
      } else {
        Object.assign(env, { VOLUME_HOST: host, VOLUME_DATA_DIR: join(dataDir, host), VOLUME_POOL_CAPACITY_GB: '10' });
        serviceRow = [`${host}@file`, 'cinder-volume'];
      }
    }

    const r = start(app, env);
    running.add(r);
    await until('/readyz', r, () => httpOk(`http://127.0.0.1:${port}/readyz`));
    if (serviceRow) {
      await until('its services row', r, () => rowExists('SELECT 1 FROM services WHERE host = $1 AND "binary" = $2', serviceRow!));
      await new Promise((res) => setTimeout(res, 500));
    }

    const signalled = Date.now();
    r.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      r.exited,
      new Promise<'still running'>((res) => (timer = setTimeout(() => res('still running'), (SHUTDOWN_TIMEOUT_S + 5) * 1000))),
    ]);
    clearTimeout(timer);
    const elapsedMs = Date.now() - signalled;

    expect([app, outcome, r.lines.filter((l) => !l.startsWith('{')).join('\n')]).toEqual([app, { code: 0, signal: null }, '']);
    expect(elapsedMs).toBeLessThan(SHUTDOWN_TIMEOUT_S * 1000);
    const said = messages(r);
    const order = ['shutting down', 'closing NATS and PostgreSQL connections', 'stopped'].map((m) => said.indexOf(m));
    expect([app, order.every((i) => i >= 0), [...order].sort((a, b) => a - b)]).toEqual([app, true, order]);
    expect(said.at(-1)).toBe('stopped');
    expect(said).not.toContain('shutdown took too long; exiting');
    // Its port is closed with it.
    await expect(httpOk(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
