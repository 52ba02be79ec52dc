'use strict';
// Bench 2, api: GET volume at 3.72 as admin, 32 connections x 10 s, on a bare Node server answering
// the same bytes (baseline.js), on the volume at rest and on the same volume migrating (live progress
// over NATS). Goals (GOALS in common.js): at rest >= 0.25 x the bare server's req/s, p99 < 25 ms at
// rest and migrating, migrating >= 0.9 x the req/s at rest.
const { MIB, CONNECTIONS, API_SECONDS, THROTTLE_BPS, POLL_MS, fmt, log } = require('../common');
const { restartWorkers, waitFor, loadGenerator, tracked } = require('../stack');
const { V, api, otherHost, currentHost } = require('../cinder');
const { runLoad, loadOpts } = require('../measure');
const { cpuSnapshot, coresBetween, cpuText } = require('../cpu');
const { captureResponse, startBaseline } = require('../baseline');

/** CPU microseconds the server (the API, or the bare server) spent per answered GET: less noisy than req/s on a busy machine. */
const cpuPerGet = (run) => (run.cpu.api * 1e6) / run.reqPerSec;

/**
 * The ceiling: a plain node:http server answering every GET with the bytes and headers of a real
 * GET volume at 3.72 as admin (captured just before), under the same load, after the same warm-up.
 */
async function bareNodeRun(volumeId) {
  const opts = loadOpts(volumeId, API_SECONDS);
  const captured = await captureResponse(opts.url, opts.headers);
  if (captured.status !== 200) throw new Error(`capturing GET volume for the baseline: HTTP ${captured.status}`);
  const server = await startBaseline(captured, tracked);
  try {
    const url = `${server.url}${new URL(opts.url).pathname}`;
    const run = async (duration) => {
      const gen = loadGenerator();
      await gen.ready;
      const cpu0 = cpuSnapshot();
      const own0 = await server.cpuSeconds();
      await gen.start({ ...opts, url, duration });
      const result = await gen.result;
      const cpu1 = cpuSnapshot();
      const wall = (cpu1.at - cpu0.at) / 1000;
      const bare = ((await server.cpuSeconds()) - own0) / wall;
      const load = result.cpuSeconds / wall;
      const c = coresBetween(cpu0, cpu1);
      return { ...result, cpu: { api: bare, load, other: Math.max(0, c.other - load - bare), machine: c.machine } };
    };
    await run(3);
    const result = await run(API_SECONDS);
    return { ...result, headerCount: captured.headers.length, bodyBytes: Buffer.from(captured.body, 'base64').length };
  } finally {
    await server.stop();
  }
}

async function apiBench(volumeId, shared) {
  log(`API bench: restarting the workers with VOLUME_COPY_BPS_LIMIT=${THROTTLE_BPS} (${THROTTLE_BPS / MIB} MiB/s)`);
  await restartWorkers(shared, { VOLUME_COPY_BPS_LIMIT: String(THROTTLE_BPS) });

  log('API bench: warm-up, 3 s');
  await runLoad(volumeId, 3);
  const atRestView = await api('GET', `${V}/${volumeId}`, { version: '3.72' });
  if (atRestView.body.volume.migration_status === 'migrating') throw new Error('the at-rest volume is migrating');
  log(`API bench: bare Node baseline (the same ${atRestView.text.length}-byte answer), ${CONNECTIONS} connections x ${API_SECONDS} s after 3 s`);
  const bare = await bareNodeRun(volumeId);
  log(`  ${fmt(bare.reqPerSec, 0)} req/s, p50 ${bare.latency.p50} ms, p99 ${bare.latency.p99} ms, non-2xx ${bare.non2xx}; cores: bare ${fmt(bare.cpu.api)}, load ${fmt(bare.cpu.load)}; ${fmt(cpuPerGet(bare), 0)} µs CPU/GET`);
  log(`API bench: volume at rest, ${CONNECTIONS} connections x ${API_SECONDS} s`);
  const atRest = await runLoad(volumeId, API_SECONDS);
  log(`  ${fmt(atRest.reqPerSec, 0)} req/s, p50 ${atRest.latency.p50} ms, p99 ${atRest.latency.p99} ms, non-2xx ${atRest.non2xx}; cores: ${cpuText(atRest.cpu)}; api ${fmt(cpuPerGet(atRest), 0)} µs CPU/GET`);

  const to = otherHost(await currentHost(volumeId));
  const res = await api('POST', `${V}/${volumeId}/action`, {
    version: '3.72',
    body: { 'os-migrate_volume': { host: to, force_host_copy: true } },
  });
  if (res.status !== 202) throw new Error(`migrate for the API bench: HTTP ${res.status} ${res.text}`);
  let progressBefore;
  await waitFor(
    async () => (progressBefore = (await api('GET', `${V}/${volumeId}`, { version: '3.72' })).body.volume.migration_progress) !== undefined,
    'migration_progress to appear',
    30000,
    POLL_MS,
  );
  log(`API bench: volume migrating (progress ${progressBefore}%), ${CONNECTIONS} connections x ${API_SECONDS} s`);
  const migrating = await runLoad(volumeId, API_SECONDS);
  const after = (await api('GET', `${V}/${volumeId}`, { version: '3.72' })).body.volume;
  log(`  ${fmt(migrating.reqPerSec, 0)} req/s, p50 ${migrating.latency.p50} ms, p99 ${migrating.latency.p99} ms, non-2xx ${migrating.non2xx}; after: ${after.migration_status} ${after.migration_progress}%; cores: ${cpuText(migrating.cpu)}; api ${fmt(cpuPerGet(migrating), 0)} µs CPU/GET`);
  if (after.migration_status !== 'migrating' || after.migration_progress === undefined) {
    throw new Error(`the volume was not migrating for the whole run (after: ${after.migration_status}, progress ${after.migration_progress})`);
  }
  // Cancel the rest of the throttled copy: the destination goes, the source stays.
  await api('POST', `${V}/${volumeId}/action`, { body: { 'os-reset_status': { migration_status: 'error' } } });
  return {
    bare,
    atRest,
    migrating,
    bareRatio: atRest.reqPerSec / bare.reqPerSec,
    cpuPerGet: { bare: cpuPerGet(bare), atRest: cpuPerGet(atRest), migrating: cpuPerGet(migrating) },
    progressBefore,
    progressAfter: after.migration_progress,
    ratio: migrating.reqPerSec / atRest.reqPerSec,
  };
}

module.exports = { apiBench };
