'use strict';
// The timed steps the benches are made of: a dd run, a migration and a load run, each with the
// cores it used, and the page cache made ready before each timed copy.
const fs = require('fs');
const path = require('path');
const { spawn, execFileSync } = require('child_process');
const { dropCaches } = require('./page-cache');
const { ADMIN, CONNECTIONS, POLL_MS, SETTLE_S, sleep } = require('./common');
const { state, tracked, checkAlive, sql, waitFor, loadGenerator } = require('./stack');
const { V, api, volumeRow, devicePathOf, currentHost } = require('./cinder');
const { cpuSnapshot, coresBetween } = require('./cpu');

/** Cold: nothing cached, for both dd and the migration. Warm: the source read once beforehand. */
async function prepareCache(sourceFile) {
  // BENCH_SETTLE_S (default 3): a pause before every timed run, so that the disk finishes what the
  // previous step left (writeback, discards of deleted files: this filesystem is mounted with
  // `discard`) before the clock starts. Without it, whichever of dd or the migration follows the
  // other pays for it: runs scattered 2x on the machine of BENCHMARKS.md.
  if (SETTLE_S > 0) {
    execFileSync('sync');
    await sleep(SETTLE_S * 1000);
  }
  if (state.cacheMode === 'cold') {
    if (!dropCaches()) throw new Error('dropping the page cache stopped working');
  } else {
    await ddRun(sourceFile, '/dev/null', false);
  }
}

async function ddRun(input, output, fsync = true, direct = false) {
  const args = [`if=${input}`, `of=${output}`, 'bs=4M', 'status=none'];
  if (fsync) args.push('conv=fsync');
  if (direct) args.push('iflag=direct', 'oflag=direct');
  const t0 = performance.now();
  const child = tracked(spawn('dd', args, { stdio: ['ignore', 'ignore', 'pipe'] }));
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise((resolve) => child.once('close', resolve));
  const seconds = (performance.now() - t0) / 1000;
  checkAlive();
  if (code !== 0) throw new Error(`dd ${args.join(' ')} failed (${code}): ${err}`);
  return seconds;
}

/** `direct`: dd with iflag=direct oflag=direct, the I/O mode the migration copy uses (informative). */
async function ddSample(volumeId, direct = false) {
  const source = await devicePathOf(volumeId);
  const out = path.join(state.dataDir, 'dd-out.img');
  await prepareCache(source);
  try {
    return await ddRun(source, out, true, direct);
  } finally {
    fs.rmSync(out, { force: true });
  }
}

/**
 * POST os-migrate_volume (force_host_copy) and wait for the end. The end is seen in the database
 * (the row GET volume shows), polled every POLL_MS: unlike a GET it does not queue behind the load
 * of the interference bench. `during` runs right after the 202 (the load of that bench).
 */
async function migrate(volumeId, destHost, { during, loadPid } = {}) {
  const cpu0 = cpuSnapshot(loadPid);
  const t0 = performance.now();
  const res = await api('POST', `${V}/${volumeId}/action`, {
    version: '3.72',
    body: { 'os-migrate_volume': { host: destHost, force_host_copy: true } },
  });
  if (res.status !== 202) throw new Error(`migrate ${volumeId} to ${destHost}: HTTP ${res.status} ${res.text}`);
  if (during) await during();
  let row;
  await waitFor(async () => ['success', 'error'].includes((row = await volumeRow(volumeId)).migration_status), `migration of ${volumeId}`, 600000, POLL_MS);
  const seconds = (performance.now() - t0) / 1000;
  const cores = coresBetween(cpu0, cpuSnapshot(loadPid));
  const [m] = await sql(
    `SELECT mode, status, error, bytes_total::bigint AS total,
            EXTRACT(EPOCH FROM (finished_at - started_at))::float8 AS server_s
       FROM volume_migrations WHERE volume_id = $1 ORDER BY started_at DESC LIMIT 1`,
    [volumeId],
  );
  if (row.migration_status !== 'success') throw new Error(`migration of ${volumeId} to ${destHost} ended in error: ${m?.error}`);
  const shown = await api('GET', `${V}/${volumeId}`, { version: '3.72' });
  if (shown.body?.volume?.['os-vol-host-attr:host'] !== destHost || shown.body.volume.migration_status !== 'success') {
    throw new Error(`after migrating, GET shows ${shown.text.slice(0, 300)}`);
  }
  if (m.mode !== 'host-assisted') throw new Error(`migration mode was ${m.mode}, not host-assisted`);
  const src = destHost.startsWith('host-a') ? 'host-b' : 'host-a';
  const dst = destHost.startsWith('host-a') ? 'host-a' : 'host-b';
  const cpu = {
    api: cores.api,
    source: cores[src],
    dest: cores[dst],
    load: cores.load,
    bench: cores.bench,
    other: cores.other,
    machine: cores.machine,
    sourceSplit: cores.split[src],
    destSplit: cores.split[dst],
  };
  return { seconds, serverSeconds: m.server_s, bytes: Number(m.total), cpu };
}

function loadOpts(volumeId, duration, overallRate) {
  return {
    url: `${state.baseUrl}${V}/${volumeId}`,
    connections: CONNECTIONS,
    ...(overallRate ? { overallRate } : {}),
    duration,
    headers: { ...ADMIN, 'openstack-api-version': 'volume 3.72', accept: 'application/json' },
  };
}

/** A load run, with the cores each process used meanwhile (source = the worker of the volume's host). */
async function runLoad(volumeId, duration) {
  const gen = loadGenerator();
  await gen.ready;
  const src = (await currentHost(volumeId)).split('@')[0];
  const cpu0 = cpuSnapshot();
  await gen.start(loadOpts(volumeId, duration));
  const result = await gen.result;
  const cpu1 = cpuSnapshot();
  const c = coresBetween(cpu0, cpu1);
  // The generator has exited by now: its own count of CPU seconds stands in for /proc.
  const load = result.cpuSeconds / ((cpu1.at - cpu0.at) / 1000);
  const dst = src === 'host-a' ? 'host-b' : 'host-a';
  return { ...result, cpu: { api: c.api, source: c[src], dest: c[dst], load, other: Math.max(0, c.other - load), machine: c.machine }, apiWaiting: c.waiting.api };
}

module.exports = { prepareCache, ddSample, migrate, loadOpts, runLoad };
