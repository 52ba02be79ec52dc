'use strict';
// CPU per GET volume of volume-api builds, side by side: the API's and its PostgreSQL backends'
// (/proc, CPU seconds / GETs answered), which move far less with the machine's load than req/s.
// For A/B comparisons of the GET path (issue 13 §1), e.g. a commit's build against the tree's:
//
//   git archive <rev> | tar -x -C /tmp/old && ln -s $PWD/node_modules /tmp/old/ \
//     && (cd /tmp/old && npx nx run volume-api:build)
//   node tools/bench/get-cpu.js /tmp/old/dist/apps/volume-api/main.js dist/apps/volume-api/main.js
//
// Each build runs in turn (the list BENCH_ROUNDS times, default 2, so that a change of the machine's
// load shows as a change between rounds, not between builds), on a database of its own holding one
// volume with one metadata key, with the shared PostgreSQL and NATS; GET at 3.72 as admin, 32
// connections, BENCH_REQUESTS GETs (default 20,000) after a quarter as many to warm up.
const fs = require('fs');
const path = require('path');
const { spawn, execFileSync } = require('child_process');
const autocannon = require('autocannon');
const { Client } = require('pg');
const { connect } = require('nats');
const { PROJECT, ADMIN, CONNECTIONS, fmt } = require('./common');
const { procSeconds } = require('./cpu');
const { freePort, waitFor } = require('./stack');

const REQUESTS = Number(process.env.BENCH_REQUESTS || 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 2);
const VOLUME_ID = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const serverUrl = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres');
const urlOf = (database) => Object.assign(new URL(serverUrl), { pathname: `/${database}` }).toString();
const cpuOf = (pid) => procSeconds(pid).reduce((a, b) => a + b, 0);
const load = (opts, amount) => new Promise((resolve, reject) => autocannon({ ...opts, amount }, (err, r) => (err ? reject(err) : resolve(r))));

async function seed(url) {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(
      `INSERT INTO volumes (id, project_id, user_id, size, status, availability_zone, volume_type_id, created_at, updated_at, display_name, host)
       SELECT $1, $2, 'admin', 2, 'available', 'nova', id, now(), now(), 'get-cpu', 'host-a@lvm#pool' FROM volume_types WHERE name = '__DEFAULT__'`,
      [VOLUME_ID, PROJECT],
    );
    await c.query(`INSERT INTO volume_metadata (volume_id, key, value) VALUES ($1, 'k', 'v')`, [VOLUME_ID]);
  } finally {
    await c.end();
  }
}

/** One build: its API and PostgreSQL CPU µs per GET, req/s and p99 over REQUESTS GETs. */
async function measure(main, admin, n) {
  const database = `get_cpu_${process.pid}_${n}`;
  const prefix = `getcpu${process.pid}x${n}`;
  await admin.query(`CREATE DATABASE ${database}`);
  let child;
  try {
    const port = await freePort(19400);
    const env = { ...process.env, DATABASE_URL: urlOf(database), NATS_SUBJECT_PREFIX: prefix, LOG_LEVEL: 'info', API_PORT: String(port), API_HOST: '127.0.0.1' };
    execFileSync(process.execPath, [main, 'migrate'], { env: { ...env, LOG_LEVEL: 'warn' }, stdio: 'inherit' });
    await seed(env.DATABASE_URL);
    // The API logs at info as deployed, to a pipe as under the bench; the lines are dropped.
    child = spawn(process.execPath, [main], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.resume();
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/readyz`).catch(() => null))?.status === 200, `${base}/readyz`, 60_000, 200);
    const opts = { url: `${base}/v3/${PROJECT}/volumes/${VOLUME_ID}`, headers: { ...ADMIN, 'openstack-api-version': 'volume 3.72' }, connections: CONNECTIONS };
    await load(opts, Math.ceil(REQUESTS / 4));
    const backends = (await admin.query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database])).rows.map((r) => r.pid);
    const pgCpu = () => backends.reduce((t, pid) => t + (cpuOf(pid) || 0), 0);
    const [api0, pg0, t0] = [cpuOf(child.pid), pgCpu(), performance.now()];
    const r = await load(opts, REQUESTS);
    const [api1, pg1, t1] = [cpuOf(child.pid), pgCpu(), performance.now()];
    const gets = r.requests.total;
    return { api: ((api1 - api0) * 1e6) / gets, pg: ((pg1 - pg0) * 1e6) / gets, rps: (gets * 1000) / (t1 - t0), p99: r.latency.p99, non2xx: r.non2xx };
  } finally {
    if (child) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await dropStream(`VOLUME_NOTIFICATIONS_${prefix}`);
  }
}

/** The API makes its notifications stream at start (JetStream keeps it on disk): not left behind. */
async function dropStream(name) {
  const nc = await connect({ servers: process.env.NATS_URL || 'nats://127.0.0.1:4222' });
  try {
    await (await nc.jetstreamManager()).streams.delete(name).catch(() => undefined);
  } finally {
    await nc.close();
  }
}

async function main() {
  const builds = process.argv.slice(2).map((p) => path.resolve(p));
  if (!builds.length || !builds.every((p) => fs.existsSync(p))) throw new Error('usage: node tools/bench/get-cpu.js <volume-api main.js>...');
  const admin = new Client({ connectionString: urlOf('postgres') });
  await admin.connect();
  try {
    console.log('round | build | API CPU µs/GET | PostgreSQL CPU µs/GET | req/s | p99 | non-2xx | load average');
    for (let round = 1, n = 0; round <= ROUNDS; round++) {
      for (const main of builds) {
        const m = await measure(main, admin, n++);
        const loadavg = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
        console.log(`${round} | ${path.relative(process.cwd(), main)} | ${fmt(m.api, 0)} | ${fmt(m.pg, 0)} | ${fmt(m.rps, 0)} | ${m.p99} ms | ${m.non2xx} | ${loadavg}`);
      }
    }
  } finally {
    await admin.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
