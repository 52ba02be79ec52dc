'use strict';
// The stack a bench measures, for the default bench (run.js) and the scale bench (scale/run.js):
// a database, NATS subject prefix, API port and data directory of its own, so that it can run
// beside a dev stack. stack.js's cleanup undoes all of it.
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const infra = require('../dev-stack/infra');
const { repoRoot, PROJECT, ts, log } = require('./common');
const { state, checkAlive, runStep, mainOf, startApp, workerEnv, waitFor, freePort } = require('./stack');
const { api } = require('./cinder');

/**
 * What the apps stand on: PostgreSQL with the run's database, NATS, the build of `apps` (unless
 * BENCH_SKIP_BUILD=1), the migrations, the bench's connection pool (state.db) and the data directory
 * of host-a and host-b. `name` ('bench', 'bench-scale') names the database (bench_<ts>), the data
 * directory (.data/bench-<ts>) and, in startApps, the subject prefix.
 */
async function prepareStack(name, apps) {
  infra.ensureDependencies();
  const server = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres');
  server.pathname = '/postgres';
  state.adminUrl = server.toString();
  const dbUrl = new URL(state.adminUrl);
  state.dbName = `${name.replace('-', '_')}_${ts}`;
  dbUrl.pathname = `/${state.dbName}`;
  const pg = await infra.ensurePostgres(dbUrl.toString());
  state.infraStops.push(pg.stop);
  const nats = await infra.ensureNats(process.env.NATS_URL);
  state.infraStops.push(nats.stop);
  checkAlive();

  const skipBuild = process.env.BENCH_SKIP_BUILD === '1';
  if (skipBuild) log('BENCH_SKIP_BUILD=1: using the build in dist/');
  else await runStep('build', 'npx', ['nx', 'run-many', '-t', 'build', `--projects=${apps.join(',')}`], { env: infra.nxEnv() });
  const missing = apps.filter((app) => !fs.existsSync(mainOf(app)));
  if (missing.length) throw new Error(`no build output for ${missing.join(', ')}; run without BENCH_SKIP_BUILD`);

  await runStep('migrations', process.execPath, [mainOf('volume-api'), 'migrate'], {
    env: { ...process.env, DATABASE_URL: pg.url, LOG_LEVEL: 'warn' },
  });
  // A pool, not one client: the bench's probes query while its seed or oracle queries run, and pg's
  // Client warns (and will refuse) a query sent while another runs on it.
  const { Pool } = require('pg');
  state.db = new Pool({ connectionString: pg.url, max: 4 });
  state.db.on('error', () => undefined);
  await state.db.query('SELECT 1');

  state.dataDir = path.join(repoRoot, '.data', `${name}-${ts}`);
  for (const host of ['host-a', 'host-b']) fs.mkdirSync(path.join(state.dataDir, host), { recursive: true });
  return { name, pg, nats, skipBuild };
}

/**
 * Starts volume-api on a free port (from BENCH_API_PORT), the scheduler and the workers of host-a
 * and host-b (`pools`: their settings over workerEnv's; `note`: said of them in the log), and
 * waits until the API is ready and the 4 pools are reported. Returns the apps' shared environment.
 */
async function startApps({ name, pg, nats }, { pools = {}, note } = {}) {
  const port = await freePort(Number(process.env.BENCH_API_PORT || 18779));
  state.baseUrl = `http://127.0.0.1:${port}`;
  const shared = {
    ...process.env,
    DATABASE_URL: pg.url,
    NATS_URL: nats.url,
    NATS_SUBJECT_PREFIX: `${name.replace('-', '')}${ts.replace('_', '')}${crypto.randomBytes(3).toString('hex')}`,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'warn',
    REPORT_INTERVAL_S: '1',
  };
  const data = `data ${path.relative(repoRoot, state.dataDir)}`;
  log(`starting volume-api on :${port}, volume-scheduler, volume-worker host-a and host-b (${note ? `${note}; ${data}` : data})`);
  // The bench's projects hold more than Cinder's default 10 volumes: quotas are not what it measures.
  // The API logs at info, as deployed (an access line per request), unless BENCH_LOG_LEVEL says otherwise.
  const apiEnv = { LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'info', API_HOST: '127.0.0.1', API_PORT: String(port), QUOTA_VOLUMES: '-1', QUOTA_GIGABYTES: '-1' };
  startApp('api', 'volume-api', { ...shared, ...apiEnv });
  startApp('scheduler', 'volume-scheduler', { ...shared, SCHEDULER_HOST: 'bench-scheduler' });
  for (const host of ['host-a', 'host-b']) startApp(host, 'volume-worker', workerEnv(shared, host, pools));
  await waitFor(
    async () => {
      try {
        return (await fetch(`${state.baseUrl}/readyz`, { signal: AbortSignal.timeout(2000) })).status === 200;
      } catch {
        return false;
      }
    },
    `${state.baseUrl}/readyz`,
    60000,
    300,
  );
  await waitFor(async () => (await api('GET', `/v3/${PROJECT}/scheduler-stats/get_pools`)).body?.pools?.length === 4, 'the 4 pools to be reported', 60000, 200);
  return shared;
}

module.exports = { prepareStack, startApps };
