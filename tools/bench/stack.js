'use strict';
// The apps under test as processes, the bench's own database connection, and everything a run
// must undo at the end (on success, on failure and on Ctrl-C).
const fs = require('fs');
const path = require('path');
const { spawn, fork } = require('child_process');
const infra = require('../dev-stack/infra');
const { nodeFlagsOf } = require('../dev-stack/node-flags');
const { repoRoot, sleep, log } = require('./common');

const state = {
  apps: new Map(), // tag -> { tag, child, closed, tail, expectedExit }
  helpers: new Set(), // build, migrate, dd, load generators
  infraStops: [],
  adminUrl: null,
  dbName: null,
  dataDir: null,
  db: null,
  failure: null, // an app that died
  interrupted: false,
  cleaning: null,
  /** The API's address, once it has a port. */
  baseUrl: '',
  /** 'cold' or 'warm': see prepareCache in measure.js. */
  cacheMode: 'warm',
  /** Set by the scale bench: where its apps write their memory after a forced full GC (scale/gc-probe.js). */
  gcProbeDir: null,
};

function tracked(child) {
  state.helpers.add(child);
  child.once('exit', () => state.helpers.delete(child));
  return child;
}

function killTree(child, signal) {
  try {
    child.kill(signal);
  } catch {
    // gone
  }
}

async function stopApp(entry, graceMs = 15000) {
  entry.expectedExit = true;
  if (entry.child.exitCode === null && entry.child.signalCode === null) {
    killTree(entry.child, 'SIGTERM');
    const timedOut = await Promise.race([entry.closed.then(() => false), sleep(graceMs).then(() => true)]);
    if (timedOut) {
      log(`${entry.tag} did not stop within ${graceMs / 1000} s; killing it`);
      killTree(entry.child, 'SIGKILL');
    }
  }
  await Promise.race([entry.closed, sleep(3000)]);
  state.apps.delete(entry.tag);
}

function cleanup() {
  state.cleaning ??= (async () => {
    for (const child of state.helpers) killTree(child, 'SIGTERM');
    await Promise.all([...state.apps.values()].map((entry) => stopApp(entry).catch(() => undefined)));
    for (const child of state.helpers) killTree(child, 'SIGKILL');
    if (state.db) await state.db.end().catch(() => undefined);
    if (state.dbName && state.adminUrl) {
      const { Client } = require('pg');
      const client = new Client({ connectionString: state.adminUrl, connectionTimeoutMillis: 5000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(state.dbName)} WITH (FORCE)`);
        log(`dropped database ${state.dbName}`);
      } catch (err) {
        log(`could not drop database ${state.dbName}: ${err.message}`);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    if (state.dataDir) {
      fs.rmSync(state.dataDir, { recursive: true, force: true });
      log(`removed ${path.relative(repoRoot, state.dataDir)}`);
    }
    for (const stop of state.infraStops.reverse()) await stop().catch(() => undefined);
  })();
  return state.cleaning;
}

/** Ctrl-C stops everything the run started and removes what it made (cleanup); a second one kills at once. */
function stopOnSignals() {
  infra.onShutdownSignals(
    (name) => {
      state.interrupted = true;
      log(`${name} received: stopping everything (again to force)`);
      cleanup().finally(() => process.exit(130));
    },
    () => {
      for (const e of state.apps.values()) killTree(e.child, 'SIGKILL');
      for (const c of state.helpers) killTree(c, 'SIGKILL');
    },
  );
}

function checkAlive() {
  if (state.interrupted) throw new Error('interrupted');
  if (state.failure) throw state.failure;
}

function runStep(what, command, args, options) {
  log(`${what}: ${command === process.execPath ? 'node' : command} ${args.map((a) => (path.isAbsolute(a) ? path.relative(repoRoot, a) : a)).join(' ')}`);
  const done = infra.run(command, args, options);
  tracked(done.child);
  return done.then((code) => {
    checkAlive();
    if (code !== 0) throw new Error(`${what} failed (exit code ${code})`);
  });
}

const mainOf = (app) => path.join(repoRoot, 'dist', 'apps', app, 'main.js');

function startApp(tag, app, env) {
  // BENCH_WORKER_NODE_ARGS, BENCH_API_NODE_ARGS: node flags for the workers or the API, to look into
  // them (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof); BENCH_NODE_ARGS: for every app (e.g. a V8 flag to try).
  const flags = { 'volume-worker': process.env.BENCH_WORKER_NODE_ARGS, 'volume-api': process.env.BENCH_API_NODE_ARGS }[app];
  // The app's own flags, as npm start and the image give them, then the bench's.
  const nodeArgs = [...nodeFlagsOf(app), ...`${process.env.BENCH_NODE_ARGS || ''} ${flags || ''}`.split(/\s+/).filter(Boolean)];
  // state.gcProbeDir (the scale bench): each app collects its garbage and says what it holds when asked (scale/memory.js).
  if (state.gcProbeDir) {
    nodeArgs.push('--expose-gc', '--require', path.join(__dirname, 'scale', 'gc-probe.js'));
    env = { ...env, BENCH_GC_PROBE_DIR: state.gcProbeDir };
  }
  const child = spawn(process.execPath, [...nodeArgs, mainOf(app)], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const entry = { tag, child, tail: '', expectedExit: false, closed: null };
  entry.closed = new Promise((resolve) => child.once('close', resolve));
  const keep = (chunk) => {
    entry.tail = (entry.tail + chunk).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  // BENCH_LOG_DIR: keep every app's output there (with BENCH_LOG_LEVEL=info, to see a migration's phases).
  if (process.env.BENCH_LOG_DIR) {
    fs.mkdirSync(process.env.BENCH_LOG_DIR, { recursive: true });
    const out = fs.createWriteStream(path.join(process.env.BENCH_LOG_DIR, `${tag}.log`), { flags: 'a' });
    child.stdout.pipe(out);
    child.stderr.pipe(out);
  }
  child.once('exit', (code, signal) => {
    if (entry.expectedExit || state.cleaning) return;
    state.failure ??= new Error(`${tag} (${app}) exited unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`}):\n${entry.tail}`);
  });
  state.apps.set(tag, entry);
  return entry;
}

function workerEnv(shared, host, extra = {}) {
  return {
    ...shared,
    VOLUME_HOST: host,
    VOLUME_BACKEND_NAME: 'file',
    VOLUME_POOLS: 'pool1,pool2',
    VOLUME_DATA_DIR: path.join(state.dataDir, host),
    VOLUME_POOL_CAPACITY_GB: '100',
    VOLUME_COPY_BPS_LIMIT: '0',
    ...extra,
  };
}


async function sql(query, params = []) {
  return (await state.db.query(query, params)).rows;
}

async function waitFor(check, what, timeoutMs = 30000, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    checkAlive();
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Restarts both workers with `extra` and waits until both heartbeat again. */
async function restartWorkers(shared, extra) {
  const since = (await sql(`SELECT now() AS t`))[0].t;
  await Promise.all(['host-a', 'host-b'].map((h) => state.apps.get(h)).filter(Boolean).map((e) => stopApp(e)));
  for (const host of ['host-a', 'host-b']) startApp(host, 'volume-worker', workerEnv(shared, host, extra));
  await waitFor(
    async () => (await sql(`SELECT count(*)::int AS n FROM services WHERE "binary" = 'cinder-volume' AND updated_at > $1`, [since]))[0].n === 2,
    'restarted workers to heartbeat',
    60000,
    200,
  );
  // A heartbeat comes once the app is up; a second one makes sure its subscriptions are too.
  await sleep(1200);
}

/** An autocannon run in a child process (load.js); `start()` resolves once it is generating load. */
function loadGenerator() {
  const child = tracked(fork(path.join(__dirname, 'load.js'), [], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const settle = {};
  const ready = new Promise((resolve, reject) => Object.assign(settle, { readyOk: resolve, readyFail: reject }));
  const started = new Promise((resolve, reject) => Object.assign(settle, { startedOk: resolve, startedFail: reject }));
  const result = new Promise((resolve, reject) => Object.assign(settle, { resultOk: resolve, resultFail: reject }));
  for (const p of [ready, started, result]) p.catch(() => undefined);
  let got = null;
  let error = null;
  child.on('message', (m) => {
    if (m.type === 'ready') settle.readyOk();
    else if (m.type === 'started') settle.startedOk();
    else if (m.type === 'result') got = m.result;
    else if (m.type === 'error') error = new Error(`load generator: ${m.message}`);
  });
  child.once('exit', (code, signal) => {
    const gone = error || new Error(`load generator exited without a result (${signal || code})`);
    settle.readyFail(gone);
    settle.startedFail(gone);
    if (got) settle.resultOk(got);
    else settle.resultFail(gone);
  });
  return {
    pid: child.pid,
    ready,
    result,
    start(opts) {
      child.send({ cmd: 'start', opts });
      return started;
    },
    stop() {
      if (child.connected) child.send({ cmd: 'stop' });
    },
  };
}

async function freePort(preferred) {
  for (let port = preferred; port < preferred + 50; port++) {
    if (!(await infra.probeTcp('127.0.0.1', port, { timeoutMs: 500 })).open) return port;
  }
  throw new Error(`no free port in ${preferred}-${preferred + 49}`);
}

module.exports = {
  state,
  tracked,
  killTree,
  cleanup,
  stopOnSignals,
  checkAlive,
  runStep,
  mainOf,
  startApp,
  workerEnv,
  sql,
  waitFor,
  restartWorkers,
  loadGenerator,
  freePort,
};
