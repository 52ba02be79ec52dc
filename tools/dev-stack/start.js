'use strict';
// `npm start`: the whole stack in the foreground. PostgreSQL and NATS (found or started), a build,
// the migrations, then volume-api, volume-scheduler, nova-bridge and two volume-workers. Ctrl-C
// stops everything; so does any app that dies.
const fs = require('fs');
const path = require('path');
const readline = require('readline');
const { spawn } = require('child_process');
const infra = require('./infra');
const { ensureAuth } = require('./auth');
const { nodeFlagsOf } = require('./node-flags');

const { repoRoot, log } = infra;
const APPS = ['volume-api', 'volume-scheduler', 'volume-worker', 'nova-bridge'];
const STOP_GRACE_MS = 10000;
/** Each worker's probes and Prometheus metrics (`/metrics`); skipped for a worker whose port is taken. */
const WORKER_HEALTH_PORTS = { 'host-a': 8781, 'host-b': 8782 };
const metricsUrls = [];

const useColor = process.env.FORCE_COLOR ? process.env.FORCE_COLOR !== '0' : Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const TAG_COLORS = { api: 36, sched: 35, nova: 33, 'host-a': 32, 'host-b': 34 };
const paint = (tag, text) => (useColor ? `\x1b[${TAG_COLORS[tag] || 0}m${text}\x1b[0m` : text);
const mainOf = (app) => path.join(repoRoot, 'dist', 'apps', app, 'main.js');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const running = new Set(); // { tag, child, ownGroup, closed } for every process not yet closed
const infraStops = []; // stop() of PostgreSQL / NATS, called in reverse order
let shuttingDown = false;

function track(tag, child, ownGroup) {
  const entry = { tag, child, ownGroup, closed: null };
  // 'close' rather than 'exit': the last output lines of a child are only flushed by then.
  entry.closed = new Promise((resolve) => child.once('close', resolve)).then(() => running.delete(entry));
  running.add(entry);
  return entry;
}

function signal(entry, name) {
  try {
    // SIGKILL takes the whole group, so helpers an app spawned (qemu-img, dd, ...) go too.
    process.kill(entry.ownGroup && name === 'SIGKILL' ? -entry.child.pid : entry.child.pid, name);
  } catch {
    // already gone
  }
}

function prefixLines(stream, out, tag) {
  const prefix = `${paint(tag, tag.padEnd(6))} | `;
  // The apps log one JSON object per line: forward whole lines, each in a single write.
  readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => out.write(`${prefix}${line}\n`));
}

// A foreground step (build, migrations) with inherited stdio; throws if it fails.
async function step(tag, what, command, args, options) {
  const shown = args.map((a) => (path.isAbsolute(a) ? path.relative(repoRoot, a) : a)).join(' ');
  log(`${what}: ${command === process.execPath ? 'node' : command} ${shown}`);
  const done = infra.run(command, args, options);
  track(tag, done.child, false);
  const code = await done;
  if (shuttingDown) return new Promise(() => {}); // shutdown() owns the exit from here
  if (code !== 0) throw new Error(`${what} failed (exit code ${code})`);
}

function startApp(tag, app, env) {
  const child = spawn(process.execPath, ['--enable-source-maps', ...nodeFlagsOf(app), mainOf(app)], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: a terminal Ctrl-C reaches only this script, which stops the apps first
    // and NATS/PostgreSQL after them.
    detached: true,
  });
  track(tag, child, true);
  prefixLines(child.stdout, process.stdout, tag);
  prefixLines(child.stderr, process.stderr, tag);
  const died = (why) => {
    if (shuttingDown) return;
    log(`${tag} (${app}) ${why}; stopping the stack`);
    shutdown(1);
  };
  child.once('error', (err) => died(`could not be started: ${err.message}`));
  child.once('exit', (code, sig) => died(`exited unexpectedly (${sig ? `signal ${sig}` : `exit code ${code}`})`));
}

async function shutdown(exitCode) {
  if (shuttingDown) return;
  shuttingDown = true;
  const entries = [...running];
  const alive = entries.filter((e) => e.child.exitCode === null && e.child.signalCode === null);
  if (alive.length > 0) log(`stopping ${alive.map((e) => e.tag).join(', ')}`);
  for (const entry of entries) signal(entry, 'SIGTERM');
  const allClosed = Promise.all(entries.map((e) => e.closed));
  const timedOut = await Promise.race([allClosed.then(() => false), sleep(STOP_GRACE_MS).then(() => true)]);
  if (timedOut) {
    for (const entry of running) {
      log(`${entry.tag} did not stop within ${STOP_GRACE_MS / 1000} s; killing it`);
      signal(entry, 'SIGKILL');
    }
    await Promise.race([allClosed, sleep(2000)]);
  }
  for (const stop of infraStops.reverse()) {
    await stop().catch((err) => log(`stopping infrastructure failed: ${err.message}`));
  }
  log(exitCode === 0 ? 'stopped' : `stopped (exit code ${exitCode})`);
  process.exit(exitCode);
}

function printBanner(apiPort, auth) {
  const endpoint = `http://127.0.0.1:${apiPort}/v3`;
  console.log(
    [
      '',
      `[dev-stack] ready: Block Storage API (Cinder v3) at ${endpoint}`,
      ...auth.banner(endpoint),
      ...(metricsUrls.length ? [`[dev-stack] the workers' migration metrics: ${metricsUrls.join('  ')}`] : []),
      '[dev-stack] Ctrl-C stops the stack',
      '',
    ].join('\n'),
  );
}

/** Until every host in `hosts` shows in the API's get_pools, asked as an admin (a noauth or a Keystone token). */
async function waitForPools(apiPort, hosts, timeoutMs, auth) {
  const deadline = Date.now() + timeoutMs;
  let missing = hosts;
  let admin = null;
  let last = '';
  while (!shuttingDown && Date.now() < deadline) {
    try {
      admin ??= await auth.admin();
      const url = `http://127.0.0.1:${apiPort}/v3/${admin.projectId}/scheduler-stats/get_pools`;
      const res = await fetch(url, { headers: admin.headers, signal: AbortSignal.timeout(2000) });
      last = res.ok ? '' : `get_pools answered HTTP ${res.status}`;
      const names = res.ok ? (await res.json()).pools.map((p) => p.name) : [];
      missing = hosts.filter((h) => !names.some((n) => n.startsWith(`${h}@`)));
      if (missing.length === 0) return;
    } catch (err) {
      // not answering yet (or, with Keystone, no admin token yet)
      last = err.message;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (!shuttingDown) {
    throw new Error(`no pools reported by ${missing.join(', ')} within ${Math.round(timeoutMs / 1000)} s${last ? ` (last: ${last})` : ''}`);
  }
}

async function main() {
  infra.onShutdownSignals(
    (name) => {
      log(`${name} received: shutting down (Ctrl-C again to force)`);
      shutdown(0);
    },
    () => running.forEach((entry) => signal(entry, 'SIGKILL')),
  );

  infra.ensureDependencies();
  const pg = await infra.ensurePostgres(process.env.DATABASE_URL);
  infraStops.push(pg.stop);
  const nats = await infra.ensureNats(process.env.NATS_URL);
  infraStops.push(nats.stop);
  if (shuttingDown) return;

  const apiPort = process.env.API_PORT || '8776';
  // Otherwise /readyz could be answered by a stack that is already running and we would report success.
  if ((await infra.probeTcp('127.0.0.1', Number(apiPort))).open) {
    throw new Error(`port ${apiPort} is already in use (another dev stack running?); stop it or set API_PORT`);
  }

  if (process.env.START_SKIP_BUILD === '1') {
    log('START_SKIP_BUILD=1: using the existing build in dist/');
  } else {
    // The console too: volume-api serves its built files at /console/ (CONSOLE_DIR=dist/apps/console).
    const projects = `--projects=${[...APPS, 'console'].join(',')}`;
    await step('build', 'build', 'npx', ['nx', 'run-many', '-t', 'build', projects], { env: infra.nxEnv() });
  }
  const missing = APPS.filter((app) => !fs.existsSync(mainOf(app)));
  if (missing.length > 0) {
    throw new Error(`no build output for ${missing.join(', ')} (expected dist/apps/<app>/main.js); run without START_SKIP_BUILD`);
  }

  // noauth, or Keystone (found at KEYSTONE_AUTH_URL or started here): the apps get its settings.
  const auth = await ensureAuth(process.env, apiPort);
  infraStops.push(auth.stop);
  if (shuttingDown) return;
  const shared = { DATABASE_URL: pg.url, NATS_URL: nats.url, ...auth.env };
  await step('migrate', 'migrations', process.execPath, [mainOf('volume-api'), 'migrate'], {
    env: { ...process.env, ...shared },
  });

  startApp('api', 'volume-api', { ...process.env, ...shared, API_PORT: apiPort });
  startApp('sched', 'volume-scheduler', { ...process.env, ...shared });
  // The local compute host calls the API as Nova would, and serves servers and guest I/O on 8774;
  // with Keystone it authenticates its callers as the API does (AUTH_STRATEGY, KEYSTONE_*).
  startApp('nova', 'nova-bridge', { VOLUME_API_URL: `http://127.0.0.1:${apiPort}`, ...process.env, ...shared, ...auth.bridgeEnv });
  for (const host of ['host-a', 'host-b']) {
    const dataDir = path.join(repoRoot, '.data', host);
    fs.mkdirSync(dataDir, { recursive: true });
    const healthPort = WORKER_HEALTH_PORTS[host];
    const healthFree = !(await infra.probeTcp('127.0.0.1', healthPort)).open;
    if (healthFree) metricsUrls.push(`http://127.0.0.1:${healthPort}/metrics`);
    else log(`port ${healthPort} is in use: ${host} runs without its health and metrics port`);
    startApp(host, 'volume-worker', {
      VOLUME_BACKEND_NAME: 'file',
      VOLUME_POOLS: 'pool1,pool2',
      ...process.env,
      ...shared,
      // Per worker even when set in the environment: two workers must not share a host or data dir.
      VOLUME_HOST: host,
      VOLUME_DATA_DIR: dataDir,
      HEALTH_PORT: healthFree ? String(healthPort) : '0',
    });
  }

  await infra.waitForHttp(`http://127.0.0.1:${apiPort}/readyz`, 60000);
  // Ready means a volume can be created: both hosts have reported their pools to the scheduler
  // (the API answers before the workers do, and a create then would end in `error`).
  await auth.afterApiStarted();
  await waitForPools(apiPort, ['host-a', 'host-b'], 60000, auth);
  if (!shuttingDown) printBanner(apiPort, auth);
}

main().catch((err) => {
  if (shuttingDown) return;
  console.error(`[dev-stack] ${err.message}`);
  shutdown(1);
});
