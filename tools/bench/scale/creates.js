'use strict';
// §3, many creates at once: CREATES volumes of 1 GiB asked for together, across four pools (two
// workers x two pools) that hold fewer. Every volume must end `available` (its file there, whole)
// or `error` without a host (nowhere to place it), exactly as many available as the pools had room
// for, and no pool holding more than its capacity x over-subscription.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { GIB, log, fmt, sleep } = require('../common');
const { state, sql, waitFor } = require('../stack');
const { V, api } = require('../cinder');
const { summary } = require('./lists');
const { cpuSnapshot, coresBetween, speedProbe } = require('../cpu');
const { CREATES, GOALS } = require('./settings');
const { sqlPer } = require('./sql-counter');

const NAME = 'scale-create';
/** After the accepted creates end, how long a volume nobody was told of may take to end too. */
const STRAY_GRACE_S = 10;

const coresText = (c) => Object.entries(c).map(([k, v]) => `${k} ${fmt(v)}`).join(', ');

const CPU_TAGS = ['api', 'scheduler', 'host-a', 'host-b', 'bench'];

/**
 * CPU milliseconds each app used between two cpuSnapshots, per create: what a create costs it whatever
 * else the machine runs; `split` has the same as user / kernel (system) time, for the log.
 */
function cpuMsPerCreate(a, b) {
  const total = {};
  const split = {};
  for (const tag of CPU_TAGS) {
    const [u0, s0] = a.procs[tag] ?? [NaN, NaN];
    const [u1, s1] = b.procs[tag] ?? [NaN, NaN];
    split[tag] = { user: ((u1 - u0) * 1000) / CREATES, sys: ((s1 - s0) * 1000) / CREATES };
    total[tag] = split[tag].user + split[tag].sys;
  }
  return { total, split };
}

/** The kernel's free memory, page cache and dirty pages (MiB), for the log; empty where /proc/meminfo is missing. */
function memText() {
  try {
    const kib = Object.fromEntries(
      fs.readFileSync('/proc/meminfo', 'utf8').split('\n').filter(Boolean).map((l) => [l.split(':')[0], Number(l.split(':')[1].trim().split(' ')[0])]),
    );
    return `; MiB free ${fmt(kib.MemFree / 1024, 0)}, page cache ${fmt(kib.Cached / 1024, 0)}, dirty ${fmt(kib.Dirty / 1024, 0)}`;
  } catch {
    return '';
  }
}

const sqlText = (per) =>
  Object.entries(per)
    .map(([app, x]) => `${app} ${fmt(x.statements, 1)} statements / ${fmt(x.roundTrips, 1)} round trips / PostgreSQL ${fmt(x.pgCpuMs, 2)} ms CPU`)
    .join('; ');

/** Room for 1 GiB volumes left in each live pool, as the scheduler's capacity filter counts it (thin). */
async function poolRoom() {
  return sql(
    `SELECT p.name, p.total_capacity_gb AS total, (p.capabilities->>'maxOverSubscriptionRatio')::float8 AS ratio,
            COALESCE((SELECT sum(size) FROM volumes v WHERE v.host = p.name), 0)::int AS allocated
       FROM pools p ORDER BY p.name`,
  );
}

/**
 * POST /volumes, again after a 503 (the API's answer when no database connection frees up within
 * its bound, which a burst of creates on a busy machine reaches), as the answer asks: "try again
 * at a later time". Each refusal is counted.
 */
async function postRetrying503(body) {
  for (let refusals = 0; ; refusals++) {
    const res = await api('POST', V, { body });
    if (res.status !== 503 || refusals === 10) return { res, refusals };
    await sleep(100 * (refusals + 1));
  }
}

/**
 * Opens the client's CREATES connections before a timed burst, untimed, as the warm-up left them for
 * repeat 1: an idle connection is closed after ~71 s (the API's HTTP_KEEP_ALIVE_TIMEOUT_MS, which
 * undici follows), and the migrations between two repeats take longer, so repeats 2 and 3 used to
 * time their burst on new connections (TCP and HTTP setup in the client and the API, and POSTs
 * arriving spread out, in smaller batches all along the path) and repeat 1 on open ones.
 */
async function openConnections() {
  const res = await Promise.all(Array.from({ length: CREATES }, () => api('GET', '/')));
  const bad = res.find((r) => r.status >= 400);
  if (bad) throw new Error(`GET / before the burst: HTTP ${bad.status} ${bad.text}`);
}

async function createBench(repeat) {
  await openConnections();
  const before = await poolRoom();
  const room = before.reduce((n, p) => n + Math.max(0, Math.floor(p.total * p.ratio - p.allocated)), 0);
  const posted = [];
  const probe = speedProbe();
  const sql0 = state.sqlCounter?.snapshot();
  const cpu0 = cpuSnapshot();
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: CREATES }, async (_, i) => {
      const at = Date.now();
      const { res, refusals } = await postRetrying503({ volume: { size: 1, name: `${NAME}-${repeat}-${i}` } });
      if (res.status !== 202) throw new Error(`create ${i}: HTTP ${res.status} ${res.text}`);
      posted.push({ id: res.body.volume.id, at, acceptedMs: Date.now() - at, refusals });
    }),
  );
  const ids = posted.map((p) => p.id);
  let rows = [];
  await waitFor(
    async () => {
      rows = await sql(
        `SELECT id, status, host, EXTRACT(EPOCH FROM updated_at) * 1000 AS done_at FROM volumes WHERE id = ANY($1) AND status IN ('available', 'error')`,
        [ids],
      );
      return rows.length === CREATES;
    },
    `${CREATES} creates to end`,
    120000,
    100,
  );
  const cpu1 = cpuSnapshot();
  const cpuMs = cpuMsPerCreate(cpu0, cpu1);
  const sqlPerCreate = sql0 ? sqlPer(sql0, state.sqlCounter.snapshot(), CREATES) : null;
  const cores = coresBetween(cpu0, cpu1);
  // A refused POST should have made no volume. Those it made anyway ("strays": nobody got their
  // id) must still end available or in error like any other.
  await sleep(STRAY_GRACE_S * 1000);
  const strays = await sql(`SELECT id, status, host FROM volumes WHERE display_name LIKE $1 AND NOT (id = ANY($2))`, [`${NAME}-${repeat}-%`, ids]);
  const stuck = strays.filter((r) => !['available', 'error'].includes(r.status));

  const at = new Map(posted.map((p) => [p.id, p.at]));
  const latencies = rows.map((r) => Number(r.done_at) - at.get(r.id));
  const lastDone = Math.max(...rows.map((r) => Number(r.done_at)));
  const available = rows.filter((r) => r.status === 'available');
  const errors = rows.filter((r) => r.status === 'error');
  // A correct error is a volume nobody placed, and only once the pools were full.
  const placedErrors = errors.filter((r) => r.host !== null);
  if (placedErrors.length) throw new Error(`${placedErrors.length} volumes went to error on a host: ${placedErrors.map((r) => `${r.id}@${r.host}`).join(', ')}`);
  const strayAvailable = strays.filter((r) => r.status === 'available').length;
  if (available.length + strayAvailable !== Math.min(CREATES + strays.length, room)) {
    throw new Error(`${available.length} + ${strayAvailable} stray volumes available, but the pools had room for ${room}`);
  }
  for (const r of available) {
    const [host, pool] = [r.host.split('@')[0], r.host.split('#')[1]];
    const file = path.join(state.dataDir, host, pool, `volume-${r.id}`);
    const size = fs.statSync(file, { throwIfNoEntry: false })?.size;
    if (size !== GIB) throw new Error(`available volume ${r.id} has ${size === undefined ? 'no file' : `a file of ${size} bytes`} at ${file}`);
  }
  const after = await poolRoom();
  const overfilled = after.filter((p) => p.allocated > p.total * p.ratio);
  if (overfilled.length) throw new Error(`pools overfilled: ${overfilled.map((p) => `${p.name} ${p.allocated} GiB > ${p.total} x ${p.ratio}`).join(', ')}`);

  const s = summary(latencies);
  const result = {
    room,
    available: available.length,
    errors: errors.length,
    pools: after.map((p) => ({ name: p.name, allocatedGb: p.allocated, limitGb: p.total * p.ratio })),
    latency: s,
    acceptedP99: summary(posted.map((p) => p.acceptedMs)).p99,
    refused503: posted.reduce((n, p) => n + p.refusals, 0),
    retriedCreates: posted.filter((p) => p.refusals > 0).length,
    strays: strays.length,
    stuck: stuck.length,
    stuckStatuses: [...new Set(stuck.map((r) => `${r.status}${r.host ? '' : ' (no host)'}`))],
    perSecond: CREATES / ((lastDone - t0) / 1000),
    cores: { api: cores.api, scheduler: cores.scheduler, 'host-a': cores['host-a'], 'host-b': cores['host-b'], bench: cores.bench, other: cores.other },
    cpuMsPerCreate: cpuMs.total,
    probe,
    sqlPerCreate,
  };
  result.ok = s.p99 < GOALS.createP99Ms;
  log(
    `  creates: ${result.available} available, ${result.errors} error (room for ${room}); ${result.refused503} answers 503 to ${result.retriedCreates} creates, retried, ` +
      `leaving ${result.strays} volumes nobody was told of (${result.stuck} still ${result.stuckStatuses.join(', ') || '-'} ${STRAY_GRACE_S} s later); ` +
      `first POST to end p50 ${fmt(s.p50, 0)} ms, p99 ${fmt(s.p99, 0)} ms; ${fmt(result.perSecond, 1)} creates/s; cores: ${coresText(result.cores)}; ` +
      `pools ${result.pools.map((p) => `${p.name.split('@')[0]}#${p.name.split('#')[1]} ${p.allocatedGb}/${p.limitGb}`).join(', ')}`,
  );
  log(`  CPU ms a create: ${coresText(result.cpuMsPerCreate)}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const split = CPU_TAGS.map((tag) => `${tag} ${fmt(cpuMs.split[tag].user)}/${fmt(cpuMs.split[tag].sys)}`).join(', ');
  log(`  CPU ms a create, user/system: ${split}${memText()}; a fixed task just before (cpu.js speedProbe): ${fmt(probe.cpuMs, 0)} ms of CPU, ${fmt(probe.wallMs, 0)} ms of wall time`);
  if (sqlPerCreate) log(`  SQL a create: ${sqlText(sqlPerCreate)}`);
  await deleteAll([...ids, ...strays.map((r) => r.id)]);
  return result;
}

/**
 * The warm-up: the burst once, untimed, so that the repeats time the creates once the apps' code is
 * compiled and the clients' connections are open (as keystoneauth sessions keep them), as the
 * default bench warms up before its GETs. Its own figures (new connections, cold code) are logged.
 */
async function warmUpCreates() {
  const posted = [];
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: CREATES }, async (_, i) => {
      const at = Date.now();
      const { res } = await postRetrying503({ volume: { size: 1, name: `${NAME}-warm-up-${i}` } });
      if (res.status !== 202) throw new Error(`warm-up create ${i}: HTTP ${res.status} ${res.text}`);
      posted.push({ id: res.body.volume.id, at });
    }),
  );
  const ids = posted.map((p) => p.id);
  let rows = [];
  await waitFor(
    async () => {
      rows = await sql(`SELECT id, EXTRACT(EPOCH FROM updated_at) * 1000 AS done_at FROM volumes WHERE id = ANY($1) AND status IN ('available', 'error')`, [ids]);
      return rows.length === ids.length;
    },
    `${ids.length} warm-up creates to end`,
    120000,
    100,
  );
  const at = new Map(posted.map((p) => [p.id, p.at]));
  const s = summary(rows.map((r) => Number(r.done_at) - at.get(r.id)));
  log(`  warm-up (new connections, cold code): first POST to end p50 ${fmt(s.p50, 0)} ms, p99 ${fmt(s.p99, 0)} ms, last ${fmt(Math.max(...rows.map((r) => Number(r.done_at))) - t0, 0)} ms`);
  await deleteAll(ids);
  return { p50: s.p50, p99: s.p99 };
}

/** Runs `fn` over `items`, `limit` at a time. */
async function eachLimited(items, limit, fn) {
  const queue = [...items];
  const worker = async () => {
    while (queue.length) await fn(queue.shift());
  };
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, worker));
}

/**
 * Deletes them, a few at a time (a burst of deletes meets the same 503 as the creates; they are not
 * what is measured), a volume stuck `creating` reset to `error` first as an operator would, and
 * waits until their rows are gone.
 */
async function deleteAll(ids) {
  const call = async (method, p, body) => {
    for (let tries = 0; ; tries++) {
      const res = await api(method, p, { body });
      if (res.status !== 503 || tries === 10) return res;
      await sleep(200 * (tries + 1));
    }
  };
  await eachLimited(ids, 8, async (id) => {
    let res = await call('DELETE', `${V}/${id}`);
    if (res.status === 400) {
      await call('POST', `${V}/${id}/action`, { 'os-reset_status': { status: 'error' } });
      res = await call('DELETE', `${V}/${id}`);
    }
    if (res.status !== 202) throw new Error(`delete ${id}: HTTP ${res.status} ${res.text}`);
  });
  await waitFor(async () => (await sql(`SELECT count(*)::int AS n FROM volumes WHERE id = ANY($1)`, [ids]))[0].n === 0, `${ids.length} volumes to be deleted`, 120000, 200);
  // The pools' next report then counts them gone.
  await sleep(1500);
}

module.exports = { createBench, warmUpCreates, coresText, STRAY_GRACE_S };
