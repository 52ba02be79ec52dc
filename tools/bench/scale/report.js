'use strict';
// The report of `npm run bench -- scale`: the verdicts, the table printed at the end, and its own
// section of BENCHMARKS.md, between SCALE_START and SCALE_END (the default bench keeps it).
const fs = require('fs');
const path = require('path');
const { repoRoot, CONNECTIONS, SETTLE_S, fmt, log } = require('../common');
const { PLACES, PAGES_PER_PLACE, COUNT_SAMPLES } = require('./lists');
const { STRAY_GRACE_S, coresText } = require('./creates');
const { LIST_VOLUMES, OTHER_VOLUMES, OTHER_PROJECTS, CREATES, POOL_GB, OVER_SUBSCRIPTION, MIGRATIONS, MIGRATION_GB, REST_S, GOALS } = require('./settings');

const SCALE_START = '<!-- scale:start -->';
const SCALE_END = '<!-- scale:end -->';
/** Inside the section: notes written by hand (what a MISS comes from), kept across scale runs. */
const NOTES_START = '<!-- scale-notes:start -->';
const NOTES_END = '<!-- scale-notes:end -->';

/** The scale section of a BENCHMARKS.md text, markers included, or '' when it has none. */
function scaleSectionOf(text) {
  const a = text.indexOf(SCALE_START);
  const b = text.indexOf(SCALE_END);
  return a >= 0 && b > a ? text.slice(a, b + SCALE_END.length) : '';
}

/**
 * The leak rule: after the last repeat's full garbage collection, an app's live memory (heap in use
 * and buffers) is more than GOALS.rssGrowthRatio *and* GOALS.rssGrowthMiB above the first's.
 */
function leakCheck(repeats) {
  const first = repeats[0].rss.live;
  const last = repeats[repeats.length - 1].rss.live;
  const apps = Object.keys(first).map((app) => {
    const grew = last[app] - first[app];
    return { app, first: first[app], last: last[app], grewMiB: grew, ok: !(grew > first[app] * GOALS.rssGrowthRatio && grew > GOALS.rssGrowthMiB) };
  });
  return { apps, ok: repeats.length > 1 && apps.every((a) => a.ok) };
}

const verdict = (ok) => (ok ? 'PASS' : 'MISS');
const worst = (xs, pick, dir) => (dir === 'max' ? Math.max : Math.min)(...xs.map(pick));
const ms = (x) => `${fmt(x, 0)} ms`;

/** Each goal: [label, measured, target, ok], for the parts that ran. */
function goals(r) {
  const out = [];
  if (r.lists) {
    out.push(['Lists: p99 per page, worst walk', ms(r.lists.pageP99), `< ${GOALS.pageP99Ms} ms`, r.lists.pageOk]);
    out.push(['Lists: with_count p99, worst', ms(r.lists.countP99), `< ${GOALS.countP99Ms} ms`, r.lists.countOk]);
    out.push(['Lists: sequential scans of volumes meanwhile', String(r.lists.seqScans), '0', r.lists.seqScans === 0]);
  }
  if (r.many) {
    const reps = r.many.repeats;
    const createP99 = worst(reps, (x) => x.creates.latency.p99, 'max');
    const ratio = worst(reps, (x) => x.migrations.ratio, 'min');
    const getP99 = worst(reps, (x) => x.migrations.load.latency.p99, 'max');
    const stuck = reps.reduce((n, x) => n + x.creates.stuck, 0);
    const strays = reps.reduce((n, x) => n + x.creates.strays, 0);
    out.push([`Creates: volumes not available or error, of ${reps.length} x ${CREATES}`, `${stuck} (of ${strays} made by POSTs answered 503)`, '0', stuck === 0]);
    out.push([`Creates: POST to available/error, p99, worst of ${reps.length}`, ms(createP99), `< ${GOALS.createP99Ms} ms`, createP99 < GOALS.createP99Ms]);
    out.push([`Migrations: copy rate / dd's, worst of ${reps.length}`, fmt(ratio), `≥ ${GOALS.migrationCopyRatio}`, ratio >= GOALS.migrationCopyRatio]);
    out.push([`Migrations: GET p99 while ${CONNECTIONS} poll, worst of ${reps.length}`, ms(getP99), `< ${GOALS.migratingGetP99Ms} ms`, reps.every((x) => x.migrations.ok.get)]);
    const grew = r.many.leak.apps.map((a) => `${a.app} ${a.grewMiB >= 0 ? '+' : ''}${fmt(a.grewMiB, 0)}`).join(', ');
    out.push([`Memory: live after a full GC, repeat ${reps.length} vs 1 (MiB)`, grew, `not > ${GOALS.rssGrowthRatio * 100} % and > ${GOALS.rssGrowthMiB} MiB up`, r.many.leak.ok]);
  }
  return out;
}

function printScaleTable(r) {
  const rows = goals(r).map(([label, measured, target, ok]) => [label, measured, `goal ${target}  ${verdict(ok)}`]);
  if (r.many) {
    r.many.repeats.forEach((x, i) => {
      rows.push([`repeat ${i + 1}: scheduler throughput`, `${fmt(x.creates.perSecond, 1)} creates/s`, `${x.creates.available} available, ${x.creates.errors} error, room for ${x.creates.room}; ${x.creates.refused503} answers 503, retried`]);
      rows.push([`repeat ${i + 1}: copy, ${MIGRATIONS} migrations / ${MIGRATIONS} dd`, `${fmt(x.migrations.migrationMBps, 0)} / ${fmt(x.migrations.ddMBps, 0)} MB/s`, `${fmt(x.migrations.seconds)} s / ${fmt(x.migrations.ddSeconds)} s`]);
    });
  }
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i].length)));
  console.log('');
  for (const row of rows) console.log(`  ${row[0].padEnd(w[0])}  ${row[1].padStart(w[1])}  ${row[2]}`);
  console.log('');
}

function listsMarkdown(l) {
  const walks = l.walks
    .map((w) => `| ${w.scope} | ${w.variant} | ${w.volumes.toLocaleString('en')} | ${w.n}${w.whole ? ' (all)' : ''} | ${ms(w.p50)} | **${ms(w.p99)}** | ${ms(w.max)} | ${ms(w.apiCpuMs)} |`)
    .join('\n');
  const counts = l.counts
    .map((c) => `| ${c.scope} | ${c.variant} | ${c.volumes.toLocaleString('en')} | ${c.n} | ${ms(c.p50)} | **${ms(c.p99)}** | ${ms(c.max)} | ${ms(c.apiCpuMs)} |`)
    .join('\n');
  return `### Lists

\`GET /v3/{project}/volumes/detail?limit=1000\` at 3.72, one request at a time, timed to the last byte,
paged with \`marker\` (the last id of the page before). *Member*: a member of the project of
${LIST_VOLUMES.toLocaleString('en')} volumes, every page to the end, the count of volumes seen checked against PostgreSQL's.
*Admin*: \`all_tenants=1\` over all ${(LIST_VOLUMES + OTHER_VOLUMES).toLocaleString('en')}: to the end in the default order and for the metadata
filter; in the other orders ${PAGES_PER_PLACE} pages from the start and from ${PLACES} places spread over the list, the first
volume of each checked against PostgreSQL's own \`ORDER BY\` (Cinder's: no name first ascending).

| Scope | Order / filter | Volumes | Pages | p50 | p99 | max | API CPU a page |
|---|---|---|---|---|---|---|---|
${walks}

\`with_count=true\`, the first page, ${COUNT_SAMPLES} requests each; the count checked against PostgreSQL's:

| Scope | Filter | Count | Requests | p50 | p99 | max | API CPU a request |
|---|---|---|---|---|---|---|---|
${counts}

*API CPU*: the CPU time the API process used, per page (user + system, from \`/proc\`): what a page costs
it whatever else the machine runs. Sequential scans of \`volumes\` while the API answered all of these (\`pg_stat_user_tables.seq_scan\`,
read 11 s after the bench's own oracle queries and after the last request): **${l.seqScans}**.
Index scans meanwhile, by index (\`pg_stat_user_indexes.idx_scan\`), and its size: ${l.indexes
    .map((ix) => `\`${ix.name}\` ${ix.scans.toLocaleString('en')} (${fmt(ix.mib, 0)} MiB)`)
    .join(', ')}.
`;
}

function manyMarkdown(m) {
  const reps = m.repeats;
  const rows = reps
    .map((x, i) => {
      const c = x.creates;
      const g = x.migrations;
      return `| ${i + 1} | ${c.available} / ${c.errors} (room ${c.room}) | ${c.refused503} to ${c.retriedCreates} POSTs; ${c.strays} volumes made anyway, ${c.stuck} left ${c.stuckStatuses.join(', ') || '-'} | ${ms(c.latency.p50)} / **${ms(c.latency.p99)}** | ${fmt(c.perSecond, 1)} (cores: ${coresText(c.cores)}; CPU a create, ms: ${coresText(c.cpuMsPerCreate)}; a fixed task: ${c.probe ? fmt(c.probe.cpuMs, 0) : '-'} ms) | ${fmt(g.ddSeconds)} s (${fmt(g.ddMBps, 0)} MB/s) | ${fmt(g.seconds)} s (${fmt(g.migrationMBps, 0)} MB/s) | **${fmt(g.ratio)}** | ${fmt(g.load.reqPerSec, 0)} req/s, p50 ${g.load.latency.p50} ms, **p99 ${g.load.latency.p99} ms**; the API waited for a core ${fmt(g.apiWaiting * 1000, 0)} ms/s | ${coresText(g.cores)}, idle ${fmt(g.idleCores)} |`;
    })
    .join('\n');
  const apps = Object.keys(reps[0].rss.rest);
  const rss = apps
    .map((app) => `| ${app} | ${reps.map((x) => `${fmt(x.rss.peak[app], 0)} / ${fmt(x.rss.rest[app], 0)} / ${fmt(x.rss.live[app], 0)}`).join(' | ')} | ${fmt(m.leak.apps.find((a) => a.app === app).grewMiB, 0)} |`)
    .join('\n');
  return `### Many at once

After a warm-up (the same ${CREATES} creates once, untimed, deleted: the apps' code compiled and the client's connections
open; its own p50 / p99 ${ms(m.warmUp.p50)} / ${ms(m.warmUp.p99)}), each of ${reps.length} repeats (each after ${CREATES} \`GET /\` at once, untimed, which
open the client's connections again: idle, they close after ~71 s, and a repeat's migrations take longer): ${CREATES} \`POST /volumes\` of 1 GiB at once, over four pools (\`host-a\`, \`host-b\` x
\`pool1\`, \`pool2\`) of ${POOL_GB} GiB with over-subscription ${OVER_SUBSCRIPTION}, which hold fewer (*room*: what they had left).
Every volume must end \`available\` with its whole file on its pool, or \`error\` on no host; exactly *room*
available; no pool above ${POOL_GB} x ${OVER_SUBSCRIPTION} GiB. A POST answered 503 (no database connection free
within the API's bound) is sent again, as the answer asks, and counted; no volume should come of it, and
any that does must still end \`available\` or \`error\` (checked ${STRAY_GRACE_S} s after the others end). Time:
from the first POST to the row's final \`updated_at\`; throughput: ${CREATES} / (first POST to last end); *CPU a create*: each app's
CPU time (user + system, \`/proc\`) from the first POST to the last end, over ${CREATES}; *a fixed task*: the CPU time of the same
work in the bench just before the POSTs (\`speedProbe\`, tools/bench/cpu.js), which grows when the machine is slower, not our code. The ${CREATES} are deleted after. Then ${MIGRATIONS} volumes of
${MIGRATION_GB} GiB, written through with random data once (sha256 kept), are copied by ${MIGRATIONS} \`dd bs=4M iflag=direct
oflag=direct conv=fsync\` at once, then migrated at once with \`os-migrate_volume\` (\`force_host_copy\`) to the
other host while autocannon's ${CONNECTIONS} connections GET them at 3.72 (flat out, as the default bench's
*polled*); copy rate = ${MIGRATIONS} GiB / (first POST to the last \`success\`); each volume then read back and
its sha256 compared. Sync, ${SETTLE_S} s idle and a cold page cache (where it can be dropped) before each timed copy.
*The API waited for a core*: how long a second the API's event loop was ready to run and waited for a core meanwhile,
as the kernel's scheduler counts it (\`/proc/PID/schedstat\`): every request it held waited as long. *Idle*: cores nobody
used (idle and iowait in \`/proc/stat\`).

| Repeat | Creates: available / error | 503, retried; volumes made by those | p50 / p99 | creates/s | ${MIGRATIONS} dd at once | ${MIGRATIONS} migrations at once | Ratio | GET while migrating | Cores during the migrations |
|---|---|---|---|---|---|---|---|---|---|
${rows}

Memory (MiB) in each repeat: resident (\`VmRSS\`) at its peak / resident after a full garbage collection ${REST_S} s
after the repeat / live after that collection (V8's heap in use and buffers outside it; the bench's apps run with
\`--expose-gc\` and tools/bench/scale/gc-probe.js, which collects on SIGUSR2 and reports \`process.memoryUsage()\`):

| App | ${reps.map((_, i) => `Repeat ${i + 1}`).join(' | ')} | Live, last - first |
|---|${reps.map(() => '---|').join('')}---|
${rss}

Leak rule: an app whose live memory after the last repeat's collection is more than ${GOALS.rssGrowthRatio * 100} % **and** more than
${GOALS.rssGrowthMiB} MiB above that after the first grows without bound (a leak grows with the work done, by the repeat).
Live after a full collection, not RSS: resident memory read without one holds whatever garbage V8 has not collected yet,
and V8 gives heap back to the system when it sees fit (one run read host-b 375 then 99 MiB at rest, the same peaks).
`;
}

function writeScaleSection(r) {
  const file = path.join(repoRoot, 'BENCHMARKS.md');
  const m = r.machine;
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const kept = scaleSectionOf(old);
  const a = kept.indexOf(NOTES_START);
  const b = kept.indexOf(NOTES_END);
  const notes = a >= 0 && b > a ? kept.slice(a, b + NOTES_END.length) : `${NOTES_START}\n${NOTES_END}`;
  const section = `${SCALE_START}
## Scale: lists of ${(LIST_VOLUMES + OTHER_VOLUMES).toLocaleString('en')} volumes, many at once

Issue 13 §2 and §3, measured by \`npm run bench -- scale\`, which writes this section (the default
\`npm run bench\` keeps it as it is). Absolute times: this machine was shared with other runs, so
they are noisy; compare the load averages.

| | |
|---|---|
| Command | \`npm run bench -- scale\`${r.skipBuild ? ' (with `BENCH_SKIP_BUILD=1`)' : ''} |
| Date | ${r.date} |
| Machine | ${m.cpus} × ${m.cpuModel}, ${fmt(m.memGiB, 1)} GiB RAM, ${m.kernel}; Node ${m.node}; ${m.disk} |
| Load average | ${r.loadBefore} at start, ${r.loadAfter} at the end |
| Run time | ${fmt(r.elapsedS, 0)} s |
| Seed | ${r.seed.total.toLocaleString('en')} volumes written by \`INSERT ... SELECT generate_series\` (${LIST_VOLUMES.toLocaleString('en')} in one project, the rest over ${OTHER_PROJECTS.toLocaleString('en')}, interleaved in time; names on 19 in 20, repeating; two per \`created_at\`), ${r.seed.metadataRows.toLocaleString('en')} metadata rows (\`tier\` on a fifth; \`gold\`, the filter, on 2 %), then \`VACUUM (ANALYZE)\`: ${fmt(r.seed.seconds, 0)} s; ${fmt(r.seed.heapMiB, 0)} MiB of rows, ${fmt(r.seed.indexMiB, 0)} MiB of indexes |

| Goal | Measured | Target | Verdict |
|---|---|---|---|
${goals(r).map(([label, measured, target, ok]) => `| ${label} | **${measured}** | ${target} | **${verdict(ok)}** |`).join('\n')}

${listsMarkdown(r.lists)}
${manyMarkdown(r.many)}
### Notes on the scale figures

${notes}
${SCALE_END}`;
  let text;
  if (kept) text = old.replace(kept, () => section);
  else if (old.includes('\n## Notes')) text = old.replace('\n## Notes', () => `\n${section}\n\n## Notes`);
  else text = `${old}\n${section}\n`;
  fs.writeFileSync(file, text);
  log(`wrote the scale section of ${path.relative(repoRoot, file)}`);
}

module.exports = { scaleSectionOf, leakCheck, printScaleTable, writeScaleSection };
