'use strict';
// §3, many migrations at once: MIGRATIONS fully written volumes migrated host-assisted
// (force_host_copy) to the other host together, while 32 connections GET them. Against the same
// files copied by as many `dd iflag=direct oflag=direct` at once (the I/O mode of the copy) in the
// same repeat. Every migration must succeed, and every volume read back with the sha256 it was
// written with.
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { spawn, execFileSync } = require('child_process');
const { ADMIN, GIB, BLOCK, CONNECTIONS, SETTLE_S, sleep, log, fmt } = require('../common');
const { state, tracked, sql, waitFor, loadGenerator, checkAlive } = require('../stack');
const { V, api, createVolume, devicePathOf, otherHost } = require('../cinder');
const { dropCaches } = require('../page-cache');
const { cpuSnapshot, coresBetween } = require('../cpu');
const { MIGRATIONS, MIGRATION_GB, GOALS } = require('./settings');

/** Writes random (incompressible) bytes over the whole file, durably; returns their sha256. */
function fillHashed(file, bytes) {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r+');
  try {
    const buffer = Buffer.allocUnsafe(BLOCK);
    for (let offset = 0; offset < bytes; offset += BLOCK) {
      const chunk = buffer.subarray(0, Math.min(BLOCK, bytes - offset));
      crypto.randomFillSync(chunk);
      hash.update(chunk);
      for (let done = 0; done < chunk.length; ) done += fs.writeSync(fd, chunk, done, chunk.length - done, offset + done);
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

function sha256Of(file) {
  return new Promise((resolve, reject) => {
    const hash = crypto.createHash('sha256');
    fs.createReadStream(file, { highWaterMark: BLOCK })
      .on('data', (d) => hash.update(d))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** MIGRATIONS volumes of MIGRATION_GB, each fully written; kept across the repeats. */
async function migrationVolumes() {
  const vols = [];
  for (let i = 0; i < MIGRATIONS; i++) vols.push(await createVolume(MIGRATION_GB, `scale-migrate-${i}`));
  const t0 = performance.now();
  for (const v of vols) v.sha256 = fillHashed(await devicePathOf(v.id), MIGRATION_GB * GIB);
  log(`wrote ${MIGRATIONS} x ${MIGRATION_GB} GiB of random data in ${fmt((performance.now() - t0) / 1000, 0)} s`);
  return vols;
}

/** Idle and cold before a timed copy, as the default bench's prepareCache (no earlier writeback pending). */
async function settle() {
  execFileSync('sync');
  await sleep(SETTLE_S * 1000);
  if (state.cacheMode === 'cold' && !dropCaches()) throw new Error('dropping the page cache stopped working');
}

/** All files copied at once by `dd bs=4M iflag=direct oflag=direct conv=fsync`: seconds from the first start to the last end. */
async function ddAll(files) {
  const outs = files.map((_, i) => path.join(state.dataDir, `dd-out-${i}.img`));
  const t0 = performance.now();
  try {
    await Promise.all(
      files.map(
        (file, i) =>
          new Promise((resolve, reject) => {
            const args = [`if=${file}`, `of=${outs[i]}`, 'bs=4M', 'iflag=direct', 'oflag=direct', 'conv=fsync', 'status=none'];
            const child = tracked(spawn('dd', args, { stdio: ['ignore', 'ignore', 'pipe'] }));
            let err = '';
            child.stderr.on('data', (d) => (err += d));
            child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`dd ${args.join(' ')}: ${code} ${err}`))));
          }),
      ),
    );
    return (performance.now() - t0) / 1000;
  } finally {
    for (const out of outs) fs.rmSync(out, { force: true });
  }
}

async function migrationBench(vols) {
  const bytes = vols.length * MIGRATION_GB * GIB;
  await settle();
  const ddSeconds = await ddAll(await Promise.all(vols.map((v) => devicePathOf(v.id))));
  checkAlive();
  await settle();

  const gen = loadGenerator();
  await gen.ready;
  const cpu0 = cpuSnapshot(gen.pid);
  const t0 = performance.now();
  const hosts = new Map((await sql(`SELECT id, host FROM volumes WHERE id = ANY($1)`, [vols.map((v) => v.id)])).map((r) => [r.id, r.host]));
  const targets = await Promise.all(
    vols.map(async (v) => {
      const to = otherHost(hosts.get(v.id));
      const res = await api('POST', `${V}/${v.id}/action`, { version: '3.72', body: { 'os-migrate_volume': { host: to, force_host_copy: true } } });
      if (res.status !== 202) throw new Error(`migrate ${v.id} to ${to}: HTTP ${res.status} ${res.text}`);
      return to;
    }),
  );
  await gen.start({
    url: state.baseUrl,
    connections: CONNECTIONS,
    duration: 900,
    headers: { ...ADMIN, 'openstack-api-version': 'volume 3.72', accept: 'application/json' },
    requests: vols.map((v) => ({ method: 'GET', path: `${V}/${v.id}` })),
  });
  const ids = vols.map((v) => v.id);
  let rows = [];
  await waitFor(
    async () => {
      rows = await sql(`SELECT id, host, migration_status FROM volumes WHERE id = ANY($1)`, [ids]);
      return rows.every((r) => ['success', 'error'].includes(r.migration_status));
    },
    `${vols.length} migrations to end`,
    1800000,
    100,
  );
  const seconds = (performance.now() - t0) / 1000;
  // Before the load generator exits: its CPU is read from /proc like the apps'.
  const cores = coresBetween(cpu0, cpuSnapshot(gen.pid));
  gen.stop();
  const load = await gen.result;

  const failed = rows.filter((r) => r.migration_status !== 'success');
  if (failed.length) {
    const errors = await sql(`SELECT volume_id, error FROM volume_migrations WHERE volume_id = ANY($1) AND status = 'error'`, [failed.map((r) => r.id)]);
    throw new Error(`${failed.length} migrations failed: ${errors.map((e) => `${e.volume_id}: ${e.error}`).join('; ')}`);
  }
  const misplaced = vols.filter((v, i) => rows.find((r) => r.id === v.id).host !== targets[i]);
  if (misplaced.length) throw new Error(`volumes not on their destination after success: ${misplaced.map((v) => v.id).join(', ')}`);
  const [server] = await sql(
    `SELECT EXTRACT(EPOCH FROM (max(finished_at) - min(started_at)))::float8 AS s FROM (
       SELECT DISTINCT ON (volume_id) started_at, finished_at FROM volume_migrations WHERE volume_id = ANY($1) ORDER BY volume_id, started_at DESC) AS latest`,
    [ids],
  );
  const t1 = performance.now();
  for (const v of vols) {
    const sum = await sha256Of(await devicePathOf(v.id));
    if (sum !== v.sha256) throw new Error(`volume ${v.id}: sha256 after migrating ${sum}, written ${v.sha256}`);
  }
  log(`  read back ${vols.length} volumes, sha256 identical (${fmt((performance.now() - t1) / 1000, 0)} s)`);

  const result = {
    ddSeconds,
    seconds,
    serverSeconds: server.s,
    ddMBps: bytes / 1e6 / ddSeconds,
    migrationMBps: bytes / 1e6 / seconds,
    ratio: ddSeconds / seconds,
    load: { reqPerSec: load.reqPerSec, latency: load.latency, non2xx: load.non2xx + load.errors + load.timeouts },
    cores: { api: cores.api, scheduler: cores.scheduler, 'host-a': cores['host-a'], 'host-b': cores['host-b'], load: cores.load, other: cores.other },
    /** The share of the time the API's event loop was ready and waited for a core, and the cores nobody used. */
    apiWaiting: cores.waiting.api,
    idleCores: cores.idle,
  };
  result.ok = { copy: result.ratio >= GOALS.migrationCopyRatio, get: load.latency.p99 < GOALS.migratingGetP99Ms && result.load.non2xx === 0 };
  log(
    `  migrations: ${vols.length} x ${MIGRATION_GB} GiB in ${fmt(seconds)} s (${fmt(result.migrationMBps, 0)} MB/s) vs ${vols.length} dd at once ${fmt(ddSeconds)} s ` +
      `(${fmt(result.ddMBps, 0)} MB/s): ${fmt(result.ratio)}; GET while migrating ${fmt(load.reqPerSec, 0)} req/s, p99 ${load.latency.p99} ms, non-2xx ${result.load.non2xx}; ` +
      `the API's event loop waited for a core ${fmt(result.apiWaiting * 1000, 0)} ms a second, ${fmt(result.idleCores)} cores idle`,
  );
  return result;
}

module.exports = { migrationVolumes, migrationBench };
