'use strict';
// The stack of `npm run bench -- scale`, as the default bench's (../stack-up.js), except the
// workers' pools: small enough that the many creates of §3 outgrow them.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { dropCaches } = require('../page-cache');
const { GIB } = require('../common');
const { state } = require('../stack');
const { prepareStack, startApps } = require('../stack-up');
const { POOL_GB, OVER_SUBSCRIPTION, MIGRATIONS, MIGRATION_GB } = require('./settings');
const { startSqlCounter } = require('./sql-counter');

const APPS = ['volume-api', 'volume-scheduler', 'volume-worker'];

/** Free bytes at least: the migrated volumes twice (sources, then destinations or dd's copies) and 10 GiB. */
const DISK_NEEDED = (2 * MIGRATIONS * MIGRATION_GB + 10) * GIB;

/**
 * @param {{ countSql?: boolean }} opts countSql: the apps reach PostgreSQL through sql-counter.js's
 *   proxy (state.sqlCounter), which counts what each sends.
 */
async function startScaleStack({ countSql = false } = {}) {
  const stack = await prepareStack('bench-scale', APPS);
  const free = fs.statfsSync(state.dataDir);
  if (free.bavail * free.bsize < DISK_NEEDED) {
    throw new Error(`${(free.bavail * free.bsize) / GIB} GiB free where the data goes; the migrations need ${DISK_NEEDED / GIB} GiB`);
  }
  if (dropCaches()) state.cacheMode = 'cold';
  state.gcProbeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-gc-'));
  state.infraStops.push(async () => fs.rmSync(state.gcProbeDir, { recursive: true, force: true }));
  if (countSql) {
    state.sqlCounter = await startSqlCounter(stack.pg.url);
    state.infraStops.push(() => state.sqlCounter.close());
  }
  await startApps(countSql ? { ...stack, pg: { ...stack.pg, url: state.sqlCounter.url } } : stack, {
    pools: { VOLUME_POOL_CAPACITY_GB: String(POOL_GB), VOLUME_MAX_OVER_SUBSCRIPTION_RATIO: String(OVER_SUBSCRIPTION) },
    note: `pools of ${POOL_GB} GiB x ${OVER_SUBSCRIPTION}`,
  });
  return { skipBuild: stack.skipBuild };
}

module.exports = { startScaleStack };
