'use strict';
// `npm run bench`: the speed goals of volume migration, measured as ratios against a baseline taken
// in the same run (never as absolute numbers in timed tests). Writes BENCHMARKS.md.
//
//   1. copy          a fully written 2 GiB volume migrated host-a <-> host-b (same disk, unthrottled)
//                    vs `dd bs=4M conv=fsync` of the same file              goal: migration <= 1.25 x dd
//   2. api           GET volume at 3.72 as admin, 32 connections x 10 s: a bare node:http server
//                    answering the same bytes (baseline.js), a volume at rest, the same volume
//                    migrating (live progress over NATS)     goals: at rest >= 0.25 x bare req/s,
//                    p99 < 25 ms at rest and migrating, migrating >= 0.9 x at-rest req/s
//   3. interference  copy throughput while 32 connections poll the migrating volume, over the
//                    throughput with nobody polling                          goal: >= 0.8
//
// Its own database (bench_<ts>), NATS subject prefix, API port and data directory (.data/bench-<ts>,
// on the repository's filesystem): it can run beside a dev stack. Everything it starts or creates
// is removed at the end, on failure and on Ctrl-C.
//
// Environment: BENCH_SKIP_BUILD=1 (use dist/ as it is), BENCH_API_PORT (default 18779),
// BENCH_COPY_SAMPLES (dd + migration pairs, default 5), BENCH_SAMPLES (migrations per kind in the
// interference bench, default 3), BENCH_CACHE=cold|warm (default: cold
// when /proc/sys/vm/drop_caches is writable), BENCH_SETTLE_S (idle seconds before every timed
// copy, default 3), BENCH_NO_WRITE=1 (print only, leave BENCHMARKS.md),
// DATABASE_URL (only its server is used), NATS_URL.
// To look into a figure: BENCH_ONLY=copy,interference,api (some benches only; no BENCHMARKS.md),
// BENCH_WORKER_NODE_ARGS (node flags for the workers, e.g. --cpu-prof --cpu-prof-dir=/tmp/prof),
// BENCH_API_NODE_ARGS (the same for volume-api),
// BENCH_LOG_DIR + BENCH_LOG_LEVEL (keep the apps' logs; the API logs at info unless BENCH_LOG_LEVEL is set,
// the other apps at warn). tools/bench/copy-engine.js times the copy
// engine alone, from the TypeScript sources; tools/bench/get-cpu.js compares volume-api builds' CPU
// per GET volume (the API's and PostgreSQL's), side by side.
//
// `npm run bench -- scale` runs the scale part instead (lists of 1,100,000 volumes, many creates
// and migrations at once): see tools/bench/scale/run.js.
//
// This file drives a run; the rest of tools/bench: benches/ (one module per bench), report.js (the
// table and BENCHMARKS.md), measure.js (dd runs, migrations and load runs), cinder.js (the API
// client and the bench's volumes), stack.js (the apps' processes and the clean-up), stack-up.js
// (the database, NATS, build and apps a bench runs on), cpu.js,
// common.js (settings and goals), load.js (the load generator's process), page-cache.js.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { dropCaches } = require('./page-cache');
const { repoRoot, GIB, VOLUME_GB, SAMPLES, COPY_SAMPLES, startedAt, fmt, log } = require('./common');
const { state, cleanup, stopOnSignals, sql } = require('./stack');
const { prepareStack, startApps } = require('./stack-up');
const { createVolume, createVolumeOn, devicePathOf, fillRandom } = require('./cinder');
const { copyBench } = require('./benches/copy');
const { interferenceBench } = require('./benches/interference');
const { apiBench } = require('./benches/api');
const { machine, printTable, writeMarkdown } = require('./report');
const { scaleMain } = require('./scale/run');

const APPS = ['volume-api', 'volume-scheduler', 'volume-worker', 'nova-bridge'];

async function main() {
  stopOnSignals();
  const loadBefore = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  const stack = await prepareStack('bench', APPS);

  if (process.env.BENCH_CACHE === 'warm') state.cacheMode = 'warm';
  else if (dropCaches()) state.cacheMode = 'cold';
  else if (process.env.BENCH_CACHE === 'cold') throw new Error('BENCH_CACHE=cold, but /proc/sys/vm/drop_caches is not writable');
  log(`page cache: ${state.cacheMode}`);

  const shared = await startApps(stack);

  log(`creating a ${VOLUME_GB} GiB volume on host-a and filling it with random data`);
  const vol = await createVolumeOn('host-a', VOLUME_GB, 'bench');
  const file = await devicePathOf(vol.id);
  const t0 = performance.now();
  fillRandom(file, VOLUME_GB * GIB);
  log(`filled ${path.relative(repoRoot, file)} in ${fmt((performance.now() - t0) / 1000, 1)} s`);

  // A small volume at rest, the target of the control load in the interference bench.
  const control = await createVolume(1, 'bench-control');
  // A production PostgreSQL runs autovacuum, which also ANALYZEs new tables. Some servers (this
  // project's CI machine) run with it off; there the GET's four-table join is planned without
  // statistics, which costs PostgreSQL ~3.5x the CPU per GET. Do once what autovacuum would have.
  const [{ autovacuum }] = await sql('SHOW autovacuum');
  const statistics = autovacuum === 'on' ? 'autovacuum on (it ANALYZEs)' : 'autovacuum off on this server: the bench ran `ANALYZE` once after creating its volumes, as autovacuum would have';
  if (autovacuum !== 'on') {
    await sql('ANALYZE');
    log('autovacuum is off on this PostgreSQL: ran ANALYZE once, as autovacuum would have');
  }
  // BENCH_ONLY=copy,interference,api: run some benches only (to look into one); their rows of the table, no BENCHMARKS.md.
  const only = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : null;
  const wanted = (name) => !only || only.has(name);
  if (wanted('copy')) log(`copy bench: ${COPY_SAMPLES} x (dd, migration), ${state.cacheMode} cache`);
  const copy = wanted('copy') ? await copyBench(vol.id) : null;
  if (wanted('interference')) log(`interference bench: ${SAMPLES} x (quiet, polled, control) migrations`);
  const interference = wanted('interference') ? await interferenceBench(vol.id, control.id) : null;
  const apiResult = wanted('api') ? await apiBench(vol.id, shared) : null;

  const results = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    skipBuild: stack.skipBuild,
    cacheMode: state.cacheMode,
    statistics,
    machine: machine(),
    loadBefore,
    loadAfter: os.loadavg().map((x) => x.toFixed(2)).join(' '),
    elapsedS: (performance.now() - startedAt) / 1000,
    copy,
    api: apiResult,
    interference,
  };
  if (only) {
    printTable(results);
    log(`BENCH_ONLY=${process.env.BENCH_ONLY}: no BENCHMARKS.md; results in .data/bench-last.json`);
  } else {
    printTable(results);
    if (process.env.BENCH_NO_WRITE !== '1') writeMarkdown(results);
  }
  fs.writeFileSync(path.join(repoRoot, '.data', 'bench-last.json'), JSON.stringify(results, null, 2));
}

// `npm run bench -- scale`: the scale part (scale/run.js), long, so not part of the default run.
(process.argv[2] === 'scale' ? scaleMain : main)()
  .then(
    () => 0,
    (err) => {
      if (!state.interrupted) console.error(`[bench] failed: ${err.stack || err.message}`);
      return state.interrupted ? 130 : 1;
    },
  )
  .then(async (code) => {
    await cleanup();
    log(code === 0 ? 'done' : `stopped (exit code ${code})`);
    process.exit(code);
  });
