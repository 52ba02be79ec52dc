'use strict';
// The stack of `npm run bench -- scale`, as run.js starts it for the default bench (its own
// database, NATS subject prefix, API port and data directory), except the workers' pools: small
// enough that the many creates of §3 outgrow them.
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const infra = require('../../dev-stack/infra');
const { dropCaches } = require('../page-cache');
const { repoRoot, PROJECT, GIB, ts, log } = require('../common');
const { state, runStep, mainOf, startApp, workerEnv, waitFor, freePort } = require('../stack');
const { api } = require('../cinder');
const { POOL_GB, OVER_SUBSCRIPTION, MIGRATIONS, MIGRATION_GB } = require('./settings');

const APPS = ['volume-api', 'volume-scheduler', 'volume-worker'];

/** Free bytes at least: the migrated volumes twice (sources, then destinations or dd's copies) and 10 GiB. */
const DISK_NEEDED = (2 * MIGRATIONS * MIGRATION_GB + 10) * GIB;

async function startScaleStack() {
  infra.ensureDependencies();
  const server = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres');
  server.pathname = '/postgres';
  state.adminUrl = server.toString();
  const dbUrl = new URL(state.adminUrl);
  state.dbName = `bench_scale_${ts}`;
  dbUrl.pathname = `/${state.dbName}`;
  const pg = await infra.ensurePostgres(dbUrl.toString());
  state.infraStops.push(pg.stop);
  const nats = await infra.ensureNats(process.env.NATS_URL);
  state.infraStops.push(nats.stop);

  const skipBuild = process.env.BENCH_SKIP_BUILD === '1';
  if (skipBuild) log('BENCH_SKIP_BUILD=1: using the build in dist/');
  else await runStep('build', 'npx', ['nx', 'run-many', '-t', 'build', `--projects=${APPS.join(',')}`], { env: infra.nxEnv() });
  const missing = APPS.filter((app) => !fs.existsSync(mainOf(app)));
  if (missing.length) throw new Error(`no build output for ${missing.join(', ')}; run without BENCH_SKIP_BUILD`);
  await runStep('migrations', process.execPath, [mainOf('volume-api'), 'migrate'], { env: { ...process.env, DATABASE_URL: pg.url, LOG_LEVEL: 'warn' } });
  const { Client } = require('pg');
  state.db = new Client({ connectionString: pg.url });
  state.db.on('error', () => undefined);
  await state.db.connect();

  state.dataDir = path.join(repoRoot, '.data', `bench-scale-${ts}`);
  for (const host of ['host-a', 'host-b']) fs.mkdirSync(path.join(state.dataDir, host), { recursive: true });
  const free = fs.statfsSync(state.dataDir);
  if (free.bavail * free.bsize < DISK_NEEDED) {
    throw new Error(`${(free.bavail * free.bsize) / GIB} GiB free where the data goes; the migrations need ${DISK_NEEDED / GIB} GiB`);
  }
  if (dropCaches()) state.cacheMode = 'cold';

  const port = await freePort(Number(process.env.BENCH_API_PORT || 18779));
  state.baseUrl = `http://127.0.0.1:${port}`;
  const shared = {
    ...process.env,
    DATABASE_URL: pg.url,
    NATS_URL: nats.url,
    NATS_SUBJECT_PREFIX: `benchscale${ts.replace('_', '')}${crypto.randomBytes(3).toString('hex')}`,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'warn',
    REPORT_INTERVAL_S: '1',
  };
  log(`starting volume-api on :${port}, volume-scheduler, volume-worker host-a and host-b (pools of ${POOL_GB} GiB x ${OVER_SUBSCRIPTION}; data ${path.relative(repoRoot, state.dataDir)})`);
  // The API logs at info, as deployed (as in the default bench), unless BENCH_LOG_LEVEL says otherwise.
  const apiEnv = { LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'info', API_HOST: '127.0.0.1', API_PORT: String(port), QUOTA_VOLUMES: '-1', QUOTA_GIGABYTES: '-1' };
  startApp('api', 'volume-api', { ...shared, ...apiEnv });
  startApp('scheduler', 'volume-scheduler', { ...shared, SCHEDULER_HOST: 'bench-scheduler' });
  const pools = { VOLUME_POOL_CAPACITY_GB: String(POOL_GB), VOLUME_MAX_OVER_SUBSCRIPTION_RATIO: String(OVER_SUBSCRIPTION) };
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
  return { skipBuild };
}

module.exports = { startScaleStack };
