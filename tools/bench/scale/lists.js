'use strict';
// §2, lists at scale: GET /volumes/detail?limit=1000 paged with `marker` as a member of the
// project of 100,000 volumes (to the end) and as an admin with all_tenants=1 over all 1,100,000
// (to the end for the default order and the metadata filter; for the other orders, pages from ten
// places spread over the whole list, each checked against PostgreSQL's own order), then with_count.
const { log, fmt, sleep } = require('../common');
const { state, sql, checkAlive } = require('../stack');
const { procSeconds } = require('../cpu');
const { LIST_PROJECT, MEMBER, LIST_ADMIN, PAGE, LIST_VERSION, GOALS } = require('./settings');

/** Each list asked for: its query, and the same as SQL (Cinder's order: NULL names first ascending), the oracle. */
const VARIANTS = [
  { name: 'created_at desc (default)', query: {}, order: 'created_at DESC, id DESC', walkAll: true, count: true },
  { name: 'created_at asc', query: { sort: 'created_at:asc' }, order: 'created_at ASC, id ASC' },
  { name: 'name asc', query: { sort: 'name:asc' }, order: 'display_name ASC NULLS FIRST, created_at ASC, id ASC' },
  { name: 'name desc', query: { sort: 'name:desc' }, order: 'display_name DESC NULLS LAST, created_at DESC, id DESC' },
  { name: 'size asc', query: { sort: 'size:asc' }, order: 'size ASC, created_at ASC, id ASC' },
  { name: 'size desc', query: { sort: 'size:desc' }, order: 'size DESC, created_at DESC, id DESC' },
  { name: 'status asc', query: { sort: 'status:asc' }, order: 'status ASC, created_at ASC, id ASC' },
  { name: 'status desc', query: { sort: 'status:desc' }, order: 'status DESC, created_at DESC, id DESC' },
  { name: 'status=available', query: { status: 'available' }, where: `status = 'available'`, order: 'created_at DESC, id DESC', count: true },
  {
    name: 'metadata tier=gold',
    query: { metadata: '{"tier":"gold"}' },
    where: `EXISTS (SELECT 1 FROM volume_metadata m WHERE m.volume_id = v.id AND m.key = 'tier' AND m.value = 'gold')`,
    order: 'created_at DESC, id DESC',
    walkAll: true,
    count: true,
  },
];
const SCOPES = [
  { name: 'member, own project', headers: MEMBER, extra: {}, where: `v.project_id = '${LIST_PROJECT}'`, walkAll: true },
  { name: 'admin, all_tenants=1', headers: LIST_ADMIN, extra: { all_tenants: '1' }, where: 'TRUE', walkAll: false },
];
/** Places sampled in a list that is not walked whole, and pages read from each. */
const PLACES = 10;
const PAGES_PER_PLACE = 3;
/** First pages asked per scope before any is timed. */
const WARM_UP = 5;
/** with_count requests per scope and filter (`count: true` in VARIANTS). */
const COUNT_SAMPLES = 10;

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
};
const summary = (ms) => ({ n: ms.length, p50: percentile(ms, 50), p99: percentile(ms, 99), max: Math.max(...ms) });

/** One GET, timed to its last byte (the parse is not timed). */
async function getPage(scope, query) {
  const qs = new URLSearchParams({ limit: String(PAGE), ...scope.extra, ...query });
  const t0 = performance.now();
  const res = await fetch(`${state.baseUrl}/v3/${LIST_PROJECT}/volumes/detail?${qs}`, {
    headers: { ...scope.headers, accept: 'application/json', 'openstack-api-version': `volume ${LIST_VERSION}` },
    signal: AbortSignal.timeout(60000),
  });
  const body = Buffer.from(await res.arrayBuffer());
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`GET volumes/detail?${qs}: HTTP ${res.status} ${body.toString().slice(0, 300)}`);
  const json = JSON.parse(body.toString());
  return { ms, ids: json.volumes.map((v) => v.id), count: json.count, bytes: body.length };
}

/** What PostgreSQL says the list holds: its length, and for a sampled walk the ids around each place. */
async function oracle(scope, variant) {
  const where = `${scope.where} AND ${variant.where ?? 'TRUE'}`;
  const [{ n }] = await sql(`SELECT count(*)::int AS n FROM volumes v WHERE ${where}`);
  if (whole(scope, variant)) return { total: n, places: null };
  const step = Math.floor(n / (PLACES + 1));
  const rows = await sql(
    `SELECT n, id FROM (SELECT id, row_number() OVER (ORDER BY ${variant.order}) AS n FROM volumes v WHERE ${where}) AS ordered
      WHERE n % ${step} IN (0, 1) AND n > 1 AND n <= ${step * PLACES + 1} ORDER BY n`,
  );
  const places = [];
  for (let i = 0; i + 1 < rows.length; i += 2) places.push({ position: Number(rows[i].n), marker: rows[i].id, next: rows[i + 1].id });
  return { total: n, places };
}

/** Every page from the first to the last, checked: each volume once, as many as PostgreSQL counts. */
async function walkAll(scope, variant, expected) {
  const ms = [];
  const seen = new Set();
  let marker;
  for (;;) {
    checkAlive();
    const page = await getPage(scope, { ...variant.query, ...(marker ? { marker } : {}) });
    ms.push(page.ms);
    for (const id of page.ids) seen.add(id);
    if (page.ids.length < PAGE) break;
    marker = page.ids[page.ids.length - 1];
  }
  if (seen.size !== expected.total) throw new Error(`${scope.name}, ${variant.name}: the pages held ${seen.size} distinct volumes, PostgreSQL counts ${expected.total}`);
  return ms;
}

/** The first pages, then PAGES_PER_PLACE pages after each sampled place, each starting where PostgreSQL's order says. */
async function walkSampled(scope, variant, expected) {
  const ms = [];
  const starts = [{ marker: undefined, next: null }, ...expected.places];
  for (const start of starts) {
    let marker = start.marker;
    for (let p = 0; p < PAGES_PER_PLACE; p++) {
      checkAlive();
      const page = await getPage(scope, { ...variant.query, ...(marker ? { marker } : {}) });
      ms.push(page.ms);
      if (p === 0 && start.next && page.ids[0] !== start.next) {
        throw new Error(`${scope.name}, ${variant.name}: after the volume at ${start.position}, the API gave ${page.ids[0]}, PostgreSQL's order ${start.next}`);
      }
      if (page.ids.length < PAGE) break;
      marker = page.ids[page.ids.length - 1];
    }
  }
  return ms;
}

const whole = (scope, variant) => scope.walkAll || variant.walkAll;
/** CPU seconds the API process has used: what a page costs it, whatever else the machine runs. */
const apiCpuSeconds = () => {
  const [user, sys] = procSeconds(state.apps.get('api').child.pid);
  return user + sys;
};
const seqScans = async () => Number((await sql(`SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'volumes'`))[0].seq_scan);
/** Scans of each index of the listed tables so far, and its size: which indexes the lists use. */
const indexScans = async () =>
  sql(
    `SELECT indexrelname AS name, relname AS "table", idx_scan::float8 AS scans, pg_relation_size(indexrelid)::float8 AS bytes
       FROM pg_stat_user_indexes WHERE relname IN ('volumes', 'volume_metadata') ORDER BY relname, indexrelname`,
  );

async function listBench() {
  // The oracle's own queries read the whole table: all of them first, then the counter, then the API.
  const plans = [];
  for (const scope of SCOPES) for (const variant of VARIANTS) plans.push({ scope, variant, expected: await oracle(scope, variant) });
  // Warm-up, not counted: the API's first lists compile their code paths and open its connections.
  for (const scope of SCOPES) for (let i = 0; i < WARM_UP; i++) await getPage(scope, {});
  // A backend reports its counters within 10 s of going idle (PostgreSQL 15).
  await sleep(11000);
  const seqBefore = await seqScans();
  const indexesBefore = await indexScans();
  const walks = [];
  for (const { scope, variant, expected } of plans) {
    const toTheEnd = whole(scope, variant);
    const cpu0 = apiCpuSeconds();
    const ms = toTheEnd ? await walkAll(scope, variant, expected) : await walkSampled(scope, variant, expected);
    const s = summary(ms);
    const apiCpuMs = ((apiCpuSeconds() - cpu0) * 1000) / s.n;
    walks.push({ scope: scope.name, variant: variant.name, whole: toTheEnd, volumes: expected.total, apiCpuMs, ...s });
    log(
      `  ${scope.name}, ${variant.name}: ${s.n} pages${toTheEnd ? ' (to the end)' : ' (sampled)'} of ${expected.total.toLocaleString('en')} volumes, ` +
        `p50 ${fmt(s.p50, 0)} ms, p99 ${fmt(s.p99, 0)} ms, max ${fmt(s.max, 0)} ms; the API's CPU ${fmt(apiCpuMs, 0)} ms a page`,
    );
  }
  const counts = [];
  for (const scope of SCOPES) {
    for (const variant of VARIANTS.filter((v) => v.count)) {
      const expected = plans.find((p) => p.scope === scope && p.variant === variant).expected.total;
      const ms = [];
      const cpu0 = apiCpuSeconds();
      for (let i = 0; i < COUNT_SAMPLES; i++) {
        const page = await getPage(scope, { ...variant.query, with_count: 'true' });
        if (page.count !== expected) throw new Error(`${scope.name}, ${variant.name}: with_count said ${page.count}, PostgreSQL counts ${expected}`);
        ms.push(page.ms);
      }
      const s = summary(ms);
      const apiCpuMs = ((apiCpuSeconds() - cpu0) * 1000) / s.n;
      counts.push({ scope: scope.name, variant: variant.name, volumes: expected, apiCpuMs, ...s });
      log(`  ${scope.name}, ${variant.name}, with_count=true: p50 ${fmt(s.p50, 0)} ms, p99 ${fmt(s.p99, 0)} ms; the API's CPU ${fmt(apiCpuMs, 0)} ms a request`);
    }
  }
  await sleep(11000);
  const seqDuring = (await seqScans()) - seqBefore;
  log(`  sequential scans of volumes while the API answered these: ${seqDuring}`);
  const indexes = (await indexScans()).map((ix) => ({ ...ix, mib: ix.bytes / 2 ** 20, scans: ix.scans - indexesBefore.find((b) => b.name === ix.name).scans }));
  log(`  index scans while the API answered these: ${indexes.map((ix) => `${ix.name} ${ix.scans} (${fmt(ix.mib, 0)} MiB)`).join(', ')}`);
  const pageP99 = Math.max(...walks.map((w) => w.p99));
  const countP99 = Math.max(...counts.map((c) => c.p99));
  return { walks, counts, seqScans: seqDuring, indexes, pageP99, countP99, pageOk: pageP99 < GOALS.pageP99Ms, countOk: countP99 < GOALS.countP99Ms };
}

module.exports = { listBench, summary, PLACES, PAGES_PER_PLACE, COUNT_SAMPLES };
