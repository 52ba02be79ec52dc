'use strict';
// `npm run bench -- scale`: issue 13 §2 and §3, long, so apart from the default bench.
//
//   lists   1,100,000 volumes seeded straight into PostgreSQL (100,000 in one project, the rest
//           across 1,000), GET /volumes/detail?limit=1000 paged with marker as a member and as an
//           admin with all_tenants=1, in every order and filter the goals name, and with_count
//                                              goals: p99 per page < 150 ms, with_count < 200 ms
//   many    REPEATS times: 200 creates at once over four pools that hold 160 (every volume
//           available or a correct error, no pool overfilled), then 20 fully written 1 GiB
//           volumes migrated host-assisted to the other host at once while 32 connections GET
//           them, against 20 dd iflag=direct oflag=direct of the same files; each app's memory
//                                              goals: create p99 < 1 s, copy >= 0.8 x dd, GET p99
//                                              < 50 ms, no app's RSS growing across the repeats
//
// Writes its section of BENCHMARKS.md (the default bench keeps it). Same environment as run.js;
// also BENCH_SCALE_ONLY=lists|many|creates (one part; no BENCHMARKS.md; `creates`: the creates of
// `many` alone, no seed and no migrations), BENCH_SCALE_REPEATS (default 3), BENCH_SCALE_SQL=1
// (statements, round trips and PostgreSQL CPU per create of each app, through sql-counter.js).
const os = require('os');
const path = require('path');
const fs = require('fs');
const { repoRoot, startedAt, sleep, log } = require('../common');
const { state, stopOnSignals } = require('../stack');
const { machine } = require('../report');
const { startScaleStack } = require('./stack-up');
const { seedVolumes } = require('./seed');
const { listBench } = require('./lists');
const { createBench, warmUpCreates } = require('./creates');
const { migrationVolumes, migrationBench } = require('./migrations');
const { memoryAfterGc, peakSampler } = require('./memory');
const { printScaleTable, writeScaleSection, leakCheck } = require('./report');
const { CREATES, REPEATS, REST_S, GOALS } = require('./settings');

async function manyAtOnce() {
  const vols = await migrationVolumes();
  log(`warm-up: ${CREATES} creates at once, untimed`);
  const warmUp = await warmUpCreates();
  const repeats = [];
  for (let r = 1; r <= REPEATS; r++) {
    log(`many at once, repeat ${r}/${REPEATS}`);
    const sampler = peakSampler();
    const creates = await createBench(r);
    const migrations = await migrationBench(vols);
    const peak = sampler.stop();
    await sleep(REST_S * 1000);
    const rest = await memoryAfterGc();
    log(`  MiB, RSS peak / RSS after a full GC / live after it: ${Object.keys(rest.rss).map((app) => `${app} ${peak[app]?.toFixed(0)} / ${rest.rss[app].toFixed(0)} / ${rest.live[app].toFixed(0)}`).join(', ')}`);
    repeats.push({ creates, migrations, rss: { peak, rest: rest.rss, live: rest.live } });
  }
  return { warmUp, repeats, leak: leakCheck(repeats) };
}

/** BENCH_SCALE_ONLY=creates: the creates of manyAtOnce, REPEATS times, nothing else. */
async function createsOnly() {
  log(`warm-up: ${CREATES} creates at once, untimed`);
  const warmUp = await warmUpCreates();
  const repeats = [];
  for (let r = 1; r <= REPEATS; r++) {
    log(`creates, repeat ${r}/${REPEATS}`);
    repeats.push(await createBench(r));
  }
  return { warmUp, repeats };
}

async function scaleMain() {
  stopOnSignals();
  const loadBefore = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  const only = process.env.BENCH_SCALE_ONLY;
  if (only && !['lists', 'many', 'creates'].includes(only)) throw new Error(`BENCH_SCALE_ONLY=${only}: lists, many or creates`);
  const { skipBuild } = await startScaleStack({ countSql: process.env.BENCH_SCALE_SQL === '1' });
  let seed = null;
  let lists = null;
  if (only === 'creates') {
    const creates = await createsOnly();
    const worst = Math.max(...creates.repeats.map((c) => c.latency.p99));
    log(`creates: p99 worst of ${creates.repeats.length} ${worst.toFixed(0)} ms (goal < ${GOALS.createP99Ms} ms): ${worst < GOALS.createP99Ms ? 'PASS' : 'MISS'}`);
    fs.writeFileSync(path.join(repoRoot, '.data', 'bench-scale-creates-last.json'), JSON.stringify({ loadBefore, loadAfter: os.loadavg(), ...creates }, null, 2));
    return;
  }
  if (only !== 'many') {
    seed = await seedVolumes();
    log('lists: every order and filter, as a member and as an admin with all_tenants=1');
    lists = await listBench();
  }
  const many = only === 'lists' ? null : await manyAtOnce();
  const results = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    skipBuild,
    cacheMode: state.cacheMode,
    machine: machine(),
    loadBefore,
    loadAfter: os.loadavg().map((x) => x.toFixed(2)).join(' '),
    elapsedS: (performance.now() - startedAt) / 1000,
    seed,
    lists,
    many,
  };
  printScaleTable(results);
  if (only) log(`BENCH_SCALE_ONLY=${only}: no BENCHMARKS.md; results in .data/bench-scale-last.json`);
  else if (process.env.BENCH_NO_WRITE !== '1') writeScaleSection(results);
  fs.writeFileSync(path.join(repoRoot, '.data', 'bench-scale-last.json'), JSON.stringify(results, null, 2));
}

module.exports = { scaleMain };
