'use strict';
// CPU accounting: where the cores go during a migration or a load run (/proc, Linux only; empty
// elsewhere).
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

function machineSeconds() {
  try {
    const t = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return (t.reduce((a, b) => a + b, 0) - t[3] - t[4]) / CLK_TCK; // all but idle and iowait
  } catch {
    return NaN;
  }
}

/** CPU seconds so far of our apps (by tag), of the load generator and of the whole machine. */
function cpuSnapshot(loadPid) {
  const snap = { at: performance.now(), machine: machineSeconds(), procs: {} };
  for (const [tag, entry] of state.apps) snap.procs[tag] = procSeconds(entry.child.pid);
  if (loadPid) snap.procs.load = procSeconds(loadPid);
  const own = process.cpuUsage();
  snap.procs.bench = [own.user / 1e6, own.system / 1e6];
  return snap;
}

/** Cores used between two snapshots, per process; `other` is the rest of the machine (PostgreSQL, NATS, kernel, dd). */
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
  out.machine = (b.machine - a.machine) / wall;
  out.other = Math.max(0, (b.machine - a.machine - ours) / wall);
  return out;
}

function cpuText(c) {
  const f = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');
  const split = (x) => (x ? ` [user ${f(x.user)} sys ${f(x.sys)}]` : '');
  return `api ${f(c.api)}, source ${f(c.source)}${split(c.sourceSplit)}, dest ${f(c.dest)}${split(c.destSplit)}, load ${f(c.load)}, other ${f(c.other)} (machine ${f(c.machine)} of ${os.cpus().length})`;
}

module.exports = { procSeconds, cpuSnapshot, coresBetween, cpuText };
