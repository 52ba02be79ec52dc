'use strict';
// Bench 1, copy: a fully written volume migrated host-a <-> host-b (unthrottled), against
// `dd bs=4M conv=fsync` of the same file right before each migration. Goal: migration <= 1.25 x dd.
const { GIB, VOLUME_GB, COPY_SAMPLES, median, mbps, fmt, log } = require('../common');
const { devicePathOf, otherHost, currentHost } = require('../cinder');
const { prepareCache, ddSample, migrate } = require('../measure');

async function copyBench(volumeId) {
  // Unmeasured warm-up pair: right after the 2 GiB fill the first disk-heavy run is always slow
  // (2-3x here: the virtual disk is still absorbing the fill), which would flatter the migration.
  {
    const t = await ddSample(volumeId);
    const to = otherHost(await currentHost(volumeId));
    await prepareCache(await devicePathOf(volumeId));
    const mig = await migrate(volumeId, to);
    log(`copy warm-up (not counted): dd ${fmt(t)} s, migration ${fmt(mig.seconds)} s`);
  }
  const samples = [];
  for (let i = 0; i < COPY_SAMPLES; i++) {
    const dd = await ddSample(volumeId);
    const ddDirect = await ddSample(volumeId, true);
    const from = await currentHost(volumeId);
    const to = otherHost(from);
    await prepareCache(await devicePathOf(volumeId));
    const mig = await migrate(volumeId, to);
    samples.push({ dd, ddDirect, migration: mig.seconds, server: mig.serverSeconds, from, to, bytes: mig.bytes, cpu: mig.cpu });
    log(`copy sample ${i + 1}/${COPY_SAMPLES}: dd ${fmt(dd)} s, dd direct ${fmt(ddDirect)} s, migration ${from.split('@')[0]} -> ${to.split('@')[0]} ${fmt(mig.seconds)} s (server ${fmt(mig.serverSeconds)} s), ratio ${fmt(mig.seconds / dd)}`);
  }
  const bytes = VOLUME_GB * GIB;
  const dd = median(samples.map((s) => s.dd));
  const ddDirect = median(samples.map((s) => s.ddDirect));
  const migration = median(samples.map((s) => s.migration));
  const server = median(samples.map((s) => s.server));
  return {
    samples,
    dd,
    migration,
    server,
    ddMBps: mbps(bytes, dd),
    migrationMBps: mbps(bytes, migration),
    ratio: migration / dd,
    ddDirect,
    directRatio: migration / ddDirect,
    pairRatios: samples.map((s) => s.migration / s.dd),
  };
}

module.exports = { copyBench };
