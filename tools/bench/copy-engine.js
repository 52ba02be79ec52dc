'use strict';
// The migration copy engine alone, without NATS, PostgreSQL or the apps: `copyVolumeData` with a
// `remoteSink` in this process streaming (one copy stream) to a `MigrationDataServer` in a child
// process (as between two workers), against `dd bs=4M conv=fsync` of the same file. It runs the
// TypeScript sources (apps/volume-worker/src/copy) through @swc-node/register, so a change there is
// measured at once, no build needed. Used to find where the time of bench 1 goes (see
// BENCHMARKS.md, Notes). Each copy also prints the CPU seconds (user+system) of the sender (this
// process) and of the receiver (the child), counted from just before the copy to its end.
//
//   node tools/bench/copy-engine.js [--size-gib 2] [--rounds 3] [--sync-ms 1000,off] [--bulk-reads on,off]
//                                   [--direct-io on,off] [--settle-s 0] [--dest-dir DIR]
//
// --sync-ms: the receiver's background fdatasync interval(s) to compare (`off` = never during the
// copy, only the final sync). --bulk-reads: the receiver reads the stream into reused 1 MiB buffers
// (`on`, the default) or with Node's own 64 KiB reads (`off`). --direct-io: source and destination
// with O_DIRECT (`on`, the apps' default) or through the page cache (`off`); both by default. Page cache dropped before every run
// when /proc/sys/vm/drop_caches is writable. Its files live in .data/copy-engine-<ts> (or
// --dest-dir) and are removed at the end.
const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { execFileSync, fork, spawnSync } = require('child_process');
const { dropCaches } = require('./page-cache');

const repoRoot = path.resolve(__dirname, '..', '..');
process.env.SWC_NODE_PROJECT ??= path.join(repoRoot, 'tsconfig.run.json');
require('@swc-node/register');
const { MigrationDataServer } = require('../../apps/volume-worker/src/copy/data-server');

const SECRET = crypto.randomBytes(16).toString('hex');

// Child: the receiving worker's data server.
if (process.argv[2] === '--receiver') {
  const [dest, size, syncMs, bulk, direct] = process.argv.slice(3);
  (async () => {
    const server = new MigrationDataServer({ host: '127.0.0.1', port: 0, syncIntervalMs: Number(syncMs), bulkReads: bulk !== 'off', directIo: direct !== 'off' });
    await server.start();
    const { url } = server.register({ migrationId: 'bench', path: dest, sizeBytes: Number(size), secret: process.env.COPY_ENGINE_SECRET });
    process.send({ url });
    let cpu0 = process.cpuUsage();
    process.on('message', async (m) => {
      if (m === 'mark') {
        cpu0 = process.cpuUsage();
        process.send('marked');
        return;
      }
      const cpu = process.cpuUsage(cpu0);
      await server.stop();
      process.send({ cpu: (cpu.user + cpu.system) / 1e6 });
      process.exit(0);
    });
  })();
  return;
}

const { copyVolumeData, remoteSink } = require('../../apps/volume-worker/src/copy/copy-engine');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const sizeBytes = Number(arg('size-gib', '2')) * 1024 ** 3;
const rounds = Number(arg('rounds', '3'));
const syncSettings = arg('sync-ms', '1000').split(',');
const bulkSettings = arg('bulk-reads', 'on').split(',');
const directSettings = arg('direct-io', 'on,off').split(',');
const settleMs = Number(arg('settle-s', '0')) * 1000;
const dir = arg('dest-dir', path.join(repoRoot, '.data', `copy-engine-${Date.now()}`));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

let cold = false;
let lastFinalSync = 0;
let lastCpu = '';
function freshSparse(file) {
  fs.rmSync(file, { force: true });
  const fd = fs.openSync(file, 'w');
  fs.ftruncateSync(fd, sizeBytes);
  fs.closeSync(fd);
}

async function remoteCopy(source, syncMs, bulk, direct) {
  const dest = path.join(dir, 'dest.img');
  freshSparse(dest);
  const interval = syncMs === 'off' ? 2 ** 31 - 1 : Number(syncMs);
  const child = fork(__filename, ['--receiver', dest, String(sizeBytes), String(interval), bulk, direct], {
    env: { ...process.env, COPY_ENGINE_SECRET: SECRET },
  });
  try {
    const { url } = await new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`receiver exited (${code})`)));
    });
    await settle();
    if (cold) dropCaches();
    child.send('mark');
    await new Promise((resolve) => child.once('message', resolve));
    const cpu0 = process.cpuUsage();
    const inner = remoteSink(url, SECRET);
    // Times the final request (`?sync=1`: the receiver's fdatasync of what is not yet durable) apart.
    let syncStart = 0;
    const sink = {
      writeSegment: (records, signal) => inner.writeSegment(records, signal),
      finish: (n, signal) => {
        syncStart = performance.now();
        return inner.finish(n, signal);
      },
      close: () => inner.close(),
    };
    const t0 = performance.now();
    try {
      await copyVolumeData({ sourcePath: source, sizeBytes, sink, directIo: direct !== 'off' });
    } finally {
      await sink.close();
    }
    const end = performance.now();
    lastFinalSync = (end - syncStart) / 1000;
    const cpu = process.cpuUsage(cpu0);
    child.send('stop');
    const { cpu: receiverCpu } = await new Promise((resolve) => child.once('message', resolve));
    lastCpu = `cpu s: sender ${((cpu.user + cpu.system) / 1e6).toFixed(2)}, receiver ${receiverCpu.toFixed(2)}`;
    return (end - t0) / 1000;
  } finally {
    if (child.connected) child.send('stop');
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve()));
    fs.rmSync(dest, { force: true });
  }
}

/** --settle-s: sync and pause before each timed run, so that the disk is done with the previous one. */
async function settle() {
  if (!settleMs) return;
  execFileSync('sync');
  await new Promise((resolve) => setTimeout(resolve, settleMs));
}

async function dd(source) {
  const out = path.join(dir, 'dd.img');
  await settle();
  if (cold) dropCaches();
  const t0 = performance.now();
  const r = spawnSync('dd', [`if=${source}`, `of=${out}`, 'bs=4M', 'conv=fsync', 'status=none']);
  const s = (performance.now() - t0) / 1000;
  fs.rmSync(out, { force: true });
  if (r.status !== 0) throw new Error(`dd failed: ${r.stderr}`);
  return s;
}

async function main() {
  fs.mkdirSync(dir, { recursive: true });
  try {
    cold = dropCaches();
    const source = path.join(dir, 'source.img');
    const fd = fs.openSync(source, 'w');
    const block = Buffer.allocUnsafe(4 * 1024 * 1024);
    for (let at = 0; at < sizeBytes; at += block.length) {
      crypto.randomFillSync(block);
      fs.writeSync(fd, block, 0, Math.min(block.length, sizeBytes - at), at);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    console.log(`copy engine vs dd: ${sizeBytes / 1024 ** 3} GiB, ${rounds} rounds, ${cold ? 'cold' : 'warm'} page cache, ${os.cpus().length} CPUs, ${dir}`);
    // Unmeasured: the first disk-heavy run after writing the source is always slow.
    await dd(source);
    const times = { dd: [] };
    const kinds = syncSettings.flatMap((s) =>
      bulkSettings.flatMap((b) => directSettings.map((d) => ({ s, b, d, name: `remote sync=${s} bulk=${b} direct=${d}` }))),
    );
    for (const k of kinds) times[k.name] = [];
    for (let r = 1; r <= rounds; r++) {
      const line = [];
      for (const k of kinds) {
        const t = await remoteCopy(source, k.s, k.b, k.d);
        times[k.name].push(t);
        line.push(`${k.name} ${t.toFixed(2)} s (final sync ${lastFinalSync.toFixed(2)} s; ${lastCpu})`);
      }
      const t = await dd(source);
      times.dd.push(t);
      line.push(`dd ${t.toFixed(2)} s`);
      console.log(`round ${r}: ${line.join(', ')}`);
    }
    const base = median(times.dd);
    for (const [name, xs] of Object.entries(times)) {
      const m = median(xs);
      console.log(`  ${name.padEnd(30)} median ${m.toFixed(2)} s  ${(sizeBytes / 1e6 / m).toFixed(0).padStart(5)} MB/s  x${(m / base).toFixed(2)} dd`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
