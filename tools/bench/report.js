'use strict';
// The report of a run: the verdict against GOALS, the table printed at the end, and BENCHMARKS.md
// (rewritten whole, except its *Notes* section and the section of `npm run bench -- scale`, which
// are kept across runs).
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { scaleSectionOf } = require('./scale/report');
const {
  repoRoot,
  MIB,
  GIB,
  VOLUME_GB,
  SAMPLES,
  COPY_SAMPLES,
  CONNECTIONS,
  API_SECONDS,
  THROTTLE_BPS,
  POLL_MS,
  SETTLE_S,
  PACED_REQ_PER_S,
  GOALS,
  mbps,
  fmt,
  log,
} = require('./common');

// Report

function machine() {
  const cmd = (c, a) => {
    try {
      return execFileSync(c, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '';
    }
  };
  const [fstype, source, options] = cmd('findmnt', ['-no', 'FSTYPE,SOURCE,OPTIONS', '-T', repoRoot]).split(/\s+/);
  const dev = (source || '').replace(/^\/dev\//, '').replace(/\d+$/, '');
  const rotational = cmd('cat', [`/sys/block/${dev}/queue/rotational`]);
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model?.trim() ?? '?',
    memGiB: os.totalmem() / GIB,
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    disk: `${source || '?'} (${fstype || '?'}${options?.split(',').includes('discard') ? ' mounted with discard' : ''}${rotational === '0' ? ', non-rotational' : rotational === '1' ? ', reported rotational' : ''})`,
  };
}

const verdict = (ok) => (ok ? 'PASS' : 'MISS');

/** The worse p99 of the API's two GET runs (at rest, migrating): the goal holds for both. */
const apiP99 = (a) => Math.max(a.atRest.latency.p99, a.migrating.latency.p99);

/** The verdict of each bench that ran (BENCH_ONLY runs some). */
function evaluate(r) {
  return {
    copy: r.copy && r.copy.ratio <= GOALS.copyRatio,
    apiBare: r.api && r.api.bareRatio >= GOALS.apiBareRatio,
    apiThroughput: r.api && r.api.ratio >= GOALS.apiThroughputRatio,
    apiP99: r.api && apiP99(r.api) < GOALS.apiP99Ms,
    interference: r.interference && r.interference.ratio >= GOALS.interferenceRatio,
  };
}

function printTable(r) {
  const v = evaluate(r);
  const copyRows = () => [
    ['copy: dd bs=4M conv=fsync (median)', `${fmt(r.copy.dd)} s`, `${fmt(r.copy.ddMBps, 0)} MB/s`],
    ['copy: migration host-a <-> host-b (median)', `${fmt(r.copy.migration)} s`, `${fmt(r.copy.migrationMBps, 0)} MB/s`],
    ['copy: migration / dd', fmt(r.copy.ratio), `goal <= ${GOALS.copyRatio}  ${verdict(v.copy)}`],
    ['copy: migration / dd iflag=direct oflag=direct', fmt(r.copy.directRatio), `${fmt(r.copy.ddDirect)} s, no goal`],
  ];
  const apiRows = () => [
    ['api: bare Node, same answer', `${fmt(r.api.bare.reqPerSec, 0)} req/s`, `p50 ${r.api.bare.latency.p50} ms, p99 ${r.api.bare.latency.p99} ms, ${fmt(r.api.cpuPerGet.bare, 0)} µs CPU/GET`],
    ['api: GET at rest', `${fmt(r.api.atRest.reqPerSec, 0)} req/s`, `p50 ${r.api.atRest.latency.p50} ms, p99 ${r.api.atRest.latency.p99} ms, ${fmt(r.api.cpuPerGet.atRest, 0)} µs CPU/GET`],
    ['api: GET migrating', `${fmt(r.api.migrating.reqPerSec, 0)} req/s`, `p50 ${r.api.migrating.latency.p50} ms, p99 ${r.api.migrating.latency.p99} ms, ${fmt(r.api.cpuPerGet.migrating, 0)} µs CPU/GET`],
    ['api: at rest / bare Node req/s', fmt(r.api.bareRatio), `goal >= ${GOALS.apiBareRatio}  ${verdict(v.apiBare)}`],
    ['api: migrating / at rest req/s', fmt(r.api.ratio), `goal >= ${GOALS.apiThroughputRatio}  ${verdict(v.apiThroughput)}`],
    ['api: p99, worse of at rest and migrating', `${apiP99(r.api)} ms`, `goal < ${GOALS.apiP99Ms} ms  ${verdict(v.apiP99)}`],
  ];
  const interferenceRows = () => [
    ['interference: quiet copy (median)', `${fmt(r.interference.quietMBps, 0)} MB/s`, ''],
    ['interference: polled copy (median)', `${fmt(r.interference.polledMBps, 0)} MB/s`, `at ${fmt(r.interference.pollReqPerSec, 0)} req/s`],
    ['interference: polled / quiet', fmt(r.interference.ratio), `goal >= ${GOALS.interferenceRatio}  ${verdict(v.interference)}`],
    ['interference: control (other volume polled)', `${fmt(r.interference.controlMBps, 0)} MB/s`, `at ${fmt(r.interference.controlReqPerSec, 0)} req/s; / quiet = ${fmt(r.interference.controlRatio)} (no goal)`],
    ['interference: paced (32 watchers, 2 GET/s each)', `${fmt(r.interference.pacedMBps, 0)} MB/s`, `at ${fmt(r.interference.pacedReqPerSec, 0)} req/s; / quiet = ${fmt(r.interference.pacedRatio)} (no goal)`],
  ];
  const rows = [...(r.copy ? copyRows() : []), ...(r.api ? apiRows() : []), ...(r.interference ? interferenceRows() : [])];
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i].length)));
  console.log('');
  for (const row of rows) console.log(`  ${row[0].padEnd(w[0])}  ${row[1].padStart(w[1])}  ${row[2]}`);
  console.log('');
}

const NOTES_START = '<!-- notes:start -->';
const NOTES_END = '<!-- notes:end -->';

function writeMarkdown(r) {
  const file = path.join(repoRoot, 'BENCHMARKS.md');
  let notes = `${NOTES_START}\n${NOTES_END}`;
  let scale = '';
  if (fs.existsSync(file)) {
    const old = fs.readFileSync(file, 'utf8');
    scale = scaleSectionOf(old);
    const a = old.indexOf(NOTES_START);
    const b = old.indexOf(NOTES_END);
    if (a >= 0 && b > a) notes = old.slice(a, b + NOTES_END.length);
  }
  const v = evaluate(r);
  const m = r.machine;
  const ms = (x) => `${x} ms`;
  const copyRows = r.copy.samples
    .map((s, i) => `| ${i + 1} | ${s.from.split('@')[0]} → ${s.to.split('@')[0]} | ${fmt(s.dd)} s (${fmt(mbps(s.bytes, s.dd), 0)} MB/s) | ${fmt(s.migration)} s (${fmt(mbps(s.bytes, s.migration), 0)} MB/s) | ${fmt(s.server)} s | ${fmt(s.migration / s.dd)} | ${fmt(s.ddDirect)} s | ${fmt(s.cpu.source)} / ${fmt(s.cpu.dest)} |`)
    .join('\n');
  const cores = (c) => ['api', 'source', 'dest', 'load', 'other'].map((k) => (Number.isFinite(c[k]) ? c[k].toFixed(2) : '–')).join(' / ');
  const intRows = ['quiet', 'polled', 'control', 'paced']
    .flatMap((k) =>
      r.interference.runs[k].map(
        (x, i) =>
          `| ${k} ${i + 1} | ${fmt(x.seconds)} s | ${fmt(x.MBps, 0)} MB/s | ${fmt(x.server)} s | ${x.load ? `${fmt(x.load.reqPerSec, 0)} req/s, p99 ${ms(x.load.latency.p99)}, non-2xx ${x.load.non2xx + x.load.errors}` : '—'} | ${cores(x.cpu)} |`,
      ),
    )
    .join('\n');
  const api = r.api;
  const apiRow = (name, x) =>
    `| ${name} | ${fmt(x.reqPerSec, 0)} | ${ms(x.latency.p50)} | ${ms(x.latency.p90)} | ${ms(x.latency.p99)} | ${ms(x.latency.max)} | ${x.totalCompleted} | ${x.non2xx + x.errors + x.timeouts} | ${fmt((x.cpu.api * 1e6) / x.reqPerSec, 0)} µs | ${x.apiWaiting === undefined ? '–' : `${fmt(x.apiWaiting * 1000, 0)} ms/s`} | ${cores(x.cpu)} |`;

  const text = `# Benchmarks

Speed goals of volume migration, measured by \`npm run bench\` as **ratios against a baseline taken
in the same run** (never as absolute times in tests). Everything below was written by the last run;
only the *Notes* section at the end is kept across runs.

| | |
|---|---|
| Command | \`npm run bench\`${r.skipBuild ? ' (with `BENCH_SKIP_BUILD=1`)' : ''} |
| Date | ${r.date} |
| Machine | ${m.cpus} × ${m.cpuModel}, ${fmt(m.memGiB, 1)} GiB RAM, ${m.kernel} |
| Node | ${m.node} |
| Disk | ${m.disk}; data dir and dd output on the repository's filesystem |
| Page cache | ${r.cacheMode === 'cold' ? '**cold**: `sync; echo 3 > /proc/sys/vm/drop_caches` before every dd run and every migration (the guest\'s cache only: a virtual disk may still be cached by its host)' : '**warm**: the source file is read once right before every dd run and every migration (drop_caches not available)'} |
| Planner statistics | ${r.statistics} |
| Settle | \`sync\` and ${SETTLE_S} s idle before every timed dd and migration, so that none pays for the writeback or discards of the one before |
| Samples | ${COPY_SAMPLES} dd + migration pairs; ${SAMPLES} migrations per kind in the interference bench; medians reported |
| Load average | ${r.loadBefore} at start, ${r.loadAfter} at the end (a concurrent \`npm test\` distorts everything: compare two runs) |
| Run time | ${fmt(r.elapsedS, 0)} s |

## Verdict

| Goal | Measured | Target | Verdict |
|---|---|---|---|
| 1. Copy: migration time / dd time | **${fmt(r.copy.ratio)}** | ≤ ${GOALS.copyRatio} | **${verdict(v.copy)}** |
| 2a. API: at-rest req/s / bare Node req/s (same answer) | **${fmt(api.bareRatio)}** | ≥ ${GOALS.apiBareRatio} | **${verdict(v.apiBare)}** |
| 2b. API: migrating req/s / at-rest req/s | **${fmt(api.ratio)}** | ≥ ${GOALS.apiThroughputRatio} | **${verdict(v.apiThroughput)}** |
| 2c. API: p99, at rest / migrating | **${ms(api.atRest.latency.p99)} / ${ms(api.migrating.latency.p99)}** | < ${GOALS.apiP99Ms} ms | **${verdict(v.apiP99)}** |
| 3. Interference: polled / quiet copy throughput | **${fmt(r.interference.ratio)}** | ≥ ${GOALS.interferenceRatio} | **${verdict(v.interference)}** |

A MISS is a finding, not a flaky test: see *Notes*.

## 1. Copy: migration vs dd

A ${VOLUME_GB} GiB volume filled with random data, migrated with \`os-migrate_volume\`
(\`force_host_copy\`, unthrottled) between \`host-a\` and \`host-b\` (two workers, one disk): the source
worker streams it to the destination worker over HTTP. Baseline: \`dd if=<volume file> of=<file on
the same filesystem> bs=4M conv=fsync\`, run right before each migration on the file the migration
then reads. One unmeasured dd + migration pair goes first (the first disk-heavy run after the fill
is always slow here). Migration time: from the POST to \`migration_status: success\` (seen in the database,
polled every ${POLL_MS} ms); *server* is the migration row's \`started_at\` → \`finished_at\` (no HTTP
round trip, no polling).

| Sample | Direction | dd | Migration | Server | Ratio | dd direct | Cores: source / dest worker |
|---|---|---|---|---|---|---|---|
${copyRows}
| **Median** | | **${fmt(r.copy.dd)} s (${fmt(r.copy.ddMBps, 0)} MB/s)** | **${fmt(r.copy.migration)} s (${fmt(r.copy.migrationMBps, 0)} MB/s)** | ${fmt(r.copy.server)} s | **${fmt(r.copy.ratio)}** | ${fmt(r.copy.ddDirect)} s | |

Ratio = median migration / median dd (per-pair ratios: ${r.copy.pairRatios.map((x) => fmt(x)).join(', ')}).
The copy reads and writes with O_DIRECT (\`VOLUME_COPY_DIRECT_IO\`, on by default), as Cinder's
\`dd iflag=direct oflag=direct\` does, while the goal's baseline dd goes through the page cache. So
that the comparison also stands in the same I/O mode, *dd direct* is \`dd bs=4M iflag=direct
oflag=direct conv=fsync\` of the same file in the same sample (no goal): migration / dd direct =
**${fmt(r.copy.directRatio)}**.

## 2. API: GET volume while migrating

\`GET /v3/{project}/volumes/{id}\`, \`OpenStack-API-Version: volume 3.72\`, admin; autocannon,
${CONNECTIONS} connections, ${API_SECONDS} s, after a 3 s warm-up. *Bare Node*: a plain \`node:http\` server
(\`tools/bench/baseline.js\`, a process of its own) answering every request with the status, the
${api.bare.headerCount} headers and the ${api.bare.bodyBytes}-byte body of a real answer of this GET, captured right before, under
the same load after its own 3 s warm-up: the ceiling of Node with this load generator here. *At rest*: the same volume, not migrating (one
database read). *Migrating*: the workers restarted with \`VOLUME_COPY_BPS_LIMIT=${THROTTLE_BPS}\`
(${THROTTLE_BPS / MIB} MiB/s, so the ${VOLUME_GB} GiB copy lasts ~${Math.round((VOLUME_GB * GIB) / THROTTLE_BPS)} s), load started once \`migration_progress\`
showed (${api.progressBefore}%); the API takes the live progress from the source worker over NATS.
A GET after the run still showed \`migrating\`, \`migration_progress\` ${api.progressAfter}%.

| Server | req/s | p50 | p90 | p99 | max | requests | non-2xx/errors | Server CPU per GET | API waiting for a core | Cores: api / source / dest / load / other |
|---|---|---|---|---|---|---|---|---|---|---|
${apiRow('bare Node', api.bare)}
${apiRow('at rest', api.atRest)}
${apiRow('migrating', api.migrating)}

Ratio at rest / bare Node (req/s): **${fmt(api.bareRatio)}**; migrating / at rest: **${fmt(api.ratio)}**.
(*Cores* of the bare Node row: the baseline server in the *api* column. *Server CPU per GET*: that
server's CPU seconds over the GETs it answered, steadier than req/s when other work shares the cores. *API waiting
for a core*: how long a second the API's event loop was ready to run and waited for a core, as the kernel's scheduler
counts it (\`/proc/PID/schedstat\`): time every request it held waited too, whatever its code does.)

## 3. Interference: copy throughput while polled

The same ${VOLUME_GB} GiB migration, unthrottled, in turn with nobody polling (*quiet*), with
autocannon's ${CONNECTIONS} connections GETting the migrating volume at 3.72 from right after the POST
until the migration ends (*polled*), and, as a control without a goal, with the same load on
another volume, at rest (*control*: a busy API without the live-progress path), and, also without
a goal, with the same connections paced to ${PACED_REQ_PER_S} GETs a second in all (*paced*: ${CONNECTIONS} admins each
refreshing twice a second, what people watching do, where *polled* is a flood). Throughput =
${VOLUME_GB} GiB / (POST → success). *Cores*: CPU used during the migration (CPU seconds / wall seconds)
by the API, the source worker, the destination worker, the load generator, and everything else
(PostgreSQL, NATS, kernel threads); the machine has ${m.cpus}.

| Run | Time | Throughput | Server | Load | Cores: api / source / dest / load / other |
|---|---|---|---|---|---|
${intRows}

Median polled ${fmt(r.interference.polledMBps, 0)} MB/s / median quiet ${fmt(r.interference.quietMBps, 0)} MB/s = **${fmt(r.interference.ratio)}**
(server-side times give ${fmt(r.interference.serverRatio)}). Control: ${fmt(r.interference.controlMBps, 0)} MB/s,
${fmt(r.interference.controlRatio)} of quiet, at ${fmt(r.interference.controlReqPerSec, 0)} req/s. Paced: ${fmt(r.interference.pacedMBps, 0)} MB/s,
${fmt(r.interference.pacedRatio)} of quiet, at ${fmt(r.interference.pacedReqPerSec, 0)} req/s.

## How to read these figures

- Only the ratios are goals. Absolute figures depend on the machine (here ${m.cpus} cores shared by
  PostgreSQL, NATS, the API, the scheduler, both workers, the load generator and dd) and on what
  else runs: a concurrent \`npm test\` shows as a high load average and scattered samples.
- Copy: dd is the floor for reading and writing the same bytes on the same disk in its I/O mode
  (the page cache for the goal's dd, O_DIRECT for *dd direct*). The migration also creates the
  destination volume, streams over loopback HTTP between two processes, fdatasyncs the
  destination, swaps the rows and polls; the goal allows 25 % for all that. MB/s are 10^6 bytes/s.
- API: req/s is completed requests / run time; p50/p99 are autocannon's latency percentiles.
  The bare Node figure is the ceiling of Node on this machine for the same answer (what the API
  does beyond writing those bytes is what the ratio prices); the migrating one adds the live progress: a
  NATS request to the source worker (bounded by \`MIGRATION_PROGRESS_TIMEOUT_MS\`, 200 ms), which
  the API shares between the GETs of one volume for 250 ms.
- Interference: how much ${CONNECTIONS} pollers slow the copy they watch. The pollers, the API and the source
  worker share the same cores here, so this is a worst case for a single small host. If *control*
  is as slow as *polled*, the cost is CPU contention of a saturated API on the same cores; if it is
  near *quiet*, the cost is the live-progress path (the NATS requests to the source worker).
- Run-to-run noise on a virtual disk is large: without the settle pause, cold dd of 2 GiB varied
  1.2-5.8 s here, and whichever of dd or the migration ran right after the other paid for its
  writeback. Trust a verdict that two runs agree on.
- Where the time goes, outside the apps: \`node tools/bench/copy-engine.js --settle-s 3\` times the
  copy engine alone (TypeScript sources, no NATS or database) against dd.

${scale ? `${scale}\n\n` : ''}## Notes

${notes}
`;
  fs.writeFileSync(file, text);
  log(`wrote ${path.relative(repoRoot, file)}`);
}

module.exports = { machine, printTable, writeMarkdown };
