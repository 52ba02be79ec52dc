'use strict';
// Bench 3, interference: copy throughput while 32 connections poll the migrating volume, over the
// throughput with nobody polling. Goal: >= 0.8.
const { GIB, VOLUME_GB, SAMPLES, CONNECTIONS, PACED_REQ_PER_S, median, mbps, fmt, log } = require('../common');
const { loadGenerator } = require('../stack');
const { devicePathOf, otherHost, currentHost } = require('../cinder');
const { prepareCache, migrate, loadOpts } = require('../measure');
const { cpuText } = require('../cpu');

/**
 * Alternates, SAMPLES times: a quiet migration, one polled by CONNECTIONS connections GETting the
 * migrating volume, and a control polled just as hard on another volume, at rest: the control
 * tells the cost of a busy API on a small machine from the cost of the live progress path.
 */
async function interferenceBench(volumeId, controlId) {
  const bytes = VOLUME_GB * GIB;
  // paced: the same 32 connections at PACED_REQ_PER_S in all, people watching rather than a flood.
  const kinds = ['quiet', 'polled', 'control', 'paced'];
  const runs = { quiet: [], polled: [], control: [], paced: [] };
  for (let i = 0; i < SAMPLES; i++) {
    for (const kind of kinds) {
      const to = otherHost(await currentHost(volumeId));
      await prepareCache(await devicePathOf(volumeId));
      let gen = null;
      if (kind !== 'quiet') {
        gen = loadGenerator();
        await gen.ready;
      }
      const target = kind === 'control' ? controlId : volumeId;
      const rate = kind === 'paced' ? PACED_REQ_PER_S : undefined;
      const mig = await migrate(volumeId, to, { during: gen ? () => gen.start(loadOpts(target, 600, rate)) : undefined, loadPid: gen?.pid });
      let load = null;
      if (gen) {
        gen.stop();
        load = await gen.result;
      }
      runs[kind].push({ seconds: mig.seconds, server: mig.serverSeconds, MBps: mbps(bytes, mig.seconds), serverMBps: mbps(bytes, mig.serverSeconds), load, cpu: mig.cpu });
      log(
        `interference ${kind} ${i + 1}/${SAMPLES}: ${fmt(mig.seconds)} s = ${fmt(mbps(bytes, mig.seconds), 0)} MB/s` +
          (load ? ` while ${CONNECTIONS} connections GET at ${fmt(load.reqPerSec, 0)} req/s (p99 ${load.latency.p99} ms, non-2xx ${load.non2xx})` : '') +
          `; cores: ${cpuText(mig.cpu)}`,
      );
    }
  }
  const med = (kind, key) => median(runs[kind].map((r) => r[key]));
  return {
    runs,
    quietMBps: med('quiet', 'MBps'),
    polledMBps: med('polled', 'MBps'),
    controlMBps: med('control', 'MBps'),
    ratio: med('polled', 'MBps') / med('quiet', 'MBps'),
    controlRatio: med('control', 'MBps') / med('quiet', 'MBps'),
    pacedMBps: med('paced', 'MBps'),
    pacedRatio: med('paced', 'MBps') / med('quiet', 'MBps'),
    pacedReqPerSec: median(runs.paced.map((r) => r.load.reqPerSec)),
    serverRatio: med('polled', 'serverMBps') / med('quiet', 'serverMBps'),
    pollReqPerSec: median(runs.polled.map((r) => r.load.reqPerSec)),
    controlReqPerSec: median(runs.control.map((r) => r.load.reqPerSec)),
  };
}

module.exports = { interferenceBench };
