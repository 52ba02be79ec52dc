'use strict';
// Bench 2, api: GET volume at 3.72 as admin, 32 connections x 10 s, on a volume at rest and on the
// same volume migrating (live progress over NATS). Goals: >= 0.5 x the req/s at rest, p99 < 50 ms.
const { MIB, CONNECTIONS, API_SECONDS, THROTTLE_BPS, POLL_MS, fmt, log } = require('../common');
const { restartWorkers, waitFor } = require('../stack');
const { V, api, otherHost, currentHost } = require('../cinder');
const { runLoad } = require('../measure');
const { cpuText } = require('../cpu');

async function apiBench(volumeId, shared) {
  log(`API bench: restarting the workers with VOLUME_COPY_BPS_LIMIT=${THROTTLE_BPS} (${THROTTLE_BPS / MIB} MiB/s)`);
  await restartWorkers(shared, { VOLUME_COPY_BPS_LIMIT: String(THROTTLE_BPS) });

  log('API bench: warm-up, 3 s');
  await runLoad(volumeId, 3);
  const atRestView = await api('GET', `${V}/${volumeId}`, { version: '3.72' });
  if (atRestView.body.volume.migration_status === 'migrating') throw new Error('the at-rest volume is migrating');
  log(`API bench: volume at rest, ${CONNECTIONS} connections x ${API_SECONDS} s`);
  const atRest = await runLoad(volumeId, API_SECONDS);
  log(`  ${fmt(atRest.reqPerSec, 0)} req/s, p50 ${atRest.latency.p50} ms, p99 ${atRest.latency.p99} ms, non-2xx ${atRest.non2xx}; cores: ${cpuText(atRest.cpu)}`);

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
  log(`  ${fmt(migrating.reqPerSec, 0)} req/s, p50 ${migrating.latency.p50} ms, p99 ${migrating.latency.p99} ms, non-2xx ${migrating.non2xx}; after: ${after.migration_status} ${after.migration_progress}%; cores: ${cpuText(migrating.cpu)}`);
  if (after.migration_status !== 'migrating' || after.migration_progress === undefined) {
    throw new Error(`the volume was not migrating for the whole run (after: ${after.migration_status}, progress ${after.migration_progress})`);
  }
  // Cancel the rest of the throttled copy: the destination goes, the source stays.
  await api('POST', `${V}/${volumeId}/action`, { body: { 'os-reset_status': { migration_status: 'error' } } });
  return {
    atRest,
    migrating,
    progressBefore,
    progressAfter: after.migration_progress,
    ratio: migrating.reqPerSec / atRest.reqPerSec,
  };
}

module.exports = { apiBench };
