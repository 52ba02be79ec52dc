'use strict';
// CPU accounting: where the cores go during a migration or a load run (/proc, Linux only; empty
// elsewhere).
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const { state } = require('./stack');

const CLK_TCK = 100;

/** [user, system] CPU seconds of a process (all its threads). */
function procSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [Number(f[11]) / CLK_TCK, Number(f[12]) / CLK_TCK]; // utime, stime
  } catch {
    return [NaN, NaN];
  }
}

/**
 * Seconds a process's main thread (Node's JavaScript thread: its event loop) has spent runnable but
 * waiting for a core, as the kernel's scheduler counts it (the second field of /proc/PID/schedstat).
 * Every such millisecond is one the requests it holds wait too, whatever the code does.
 */
function runQueueSeconds(pid) {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
  } catch {
    return NaN;
  }
}

/** CPU seconds of the whole machine: `busy`, all but idle and iowait; `idle`, those two. */
function machineSeconds() {
  try {
    const t = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { busy: (t.reduce((a, b) => a + b, 0) - t[3] - t[4]) / CLK_TCK, idle: (t[3] + t[4]) / CLK_TCK };
  } catch {
    return { busy: NaN, idle: NaN };
  }
}

/** CPU seconds so far of our apps (by tag), of the load generator and of the whole machine. */
function cpuSnapshot(loadPid) {
  const snap = { at: performance.now(), machine: machineSeconds(), procs: {}, waits: {} };
  for (const [tag, entry] of state.apps) {
    snap.procs[tag] = procSeconds(entry.child.pid);
    snap.waits[tag] = runQueueSeconds(entry.child.pid);
  }
  if (loadPid) snap.procs.load = procSeconds(loadPid);
  const own = process.cpuUsage();
  snap.procs.bench = [own.user / 1e6, own.system / 1e6];
  return snap;
}

/**
 * Cores used between two snapshots, per process; `other` is the rest of the machine (PostgreSQL,
 * NATS, kernel, dd); `idle`, the cores nobody used; `waiting`, per app, the share of the time its
 * event loop was ready to run and waited for a core (0.4: 400 ms a second).
 */
function coresBetween(a, b) {
  const wall = (b.at - a.at) / 1000;
  const out = { split: {} };
  let ours = 0;
  for (const tag of Object.keys(b.procs)) {
    const [u0, s0] = a.procs[tag] ?? [NaN, NaN];
    const [u1, s1] = b.procs[tag];
    const used = u1 + s1 - (u0 + s0);
    if (Number.isFinite(used)) {
      out[tag] = used / wall;
      out.split[tag] = { user: (u1 - u0) / wall, sys: (s1 - s0) / wall };
      ours += used;
    }
  }
  out.machine = (b.machine.busy - a.machine.busy) / wall;
  out.other = Math.max(0, (b.machine.busy - a.machine.busy - ours) / wall);
  out.idle = (b.machine.idle - a.machine.idle) / wall;
  out.waiting = {};
  for (const tag of Object.keys(b.waits)) out.waiting[tag] = (b.waits[tag] - a.waits[tag]) / wall;
  return out;
}

function cpuText(c) {
  const f = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');
  const split = (x) => (x ? ` [user ${f(x.user)} sys ${f(x.sys)}]` : '');
  return `api ${f(c.api)}, source ${f(c.source)}${split(c.sourceSplit)}, dest ${f(c.dest)}${split(c.destSplit)}, load ${f(c.load)}, other ${f(c.other)} (machine ${f(c.machine)} of ${os.cpus().length})`;
}

/**
 * The machine's speed now: the CPU time (user + system, as /proc counts it) and the wall time of one
 * fixed task in this process (sha256 over 32 MiB and 20,000 JSON round trips of a volume-sized
 * object). Run between phases, it tells a slower machine from costlier code: where the hypervisor
 * takes cores away without reporting steal time, the guest counts the lost time as CPU of whatever
 * ran, so every process's CPU per operation grows, and so does this task's. The median of three runs.
 */
function speedProbe() {
  const runs = [probeOnce(), probeOnce(), probeOnce()].sort((a, b) => a.cpuMs - b.cpuMs);
  return runs[1]; // the median of three
}

function probeOnce() {
  const buffer = Buffer.alloc(1024 * 1024, 7);
  const object = { volume: { id: '6f1b6c0e-3c1c-4a57-9d0b-2a1f8f0f7e11', status: 'available', size: 1, metadata: { tier: 'gold' }, links: [{ rel: 'self', href: 'http://x/v3/p/volumes/6f1b6c0e' }] } };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const hash = crypto.createHash('sha256');
  for (let i = 0; i < 32; i++) hash.update(buffer);
  hash.digest();
  let n = 0;
  for (let i = 0; i < 20000; i++) n += JSON.parse(JSON.stringify(object)).volume.size;
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (n !== 20000) throw new Error('speedProbe: wrong sum');
  return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs };
}

module.exports = { procSeconds, cpuSnapshot, coresBetween, cpuText, speedProbe };
