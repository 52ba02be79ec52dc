'use strict';
// Resident memory of the apps under test (/proc, Linux): a sampler that keeps each app's peak while
// a phase runs, and each app's memory at rest, after a full garbage collection (gc-probe.js).
const fs = require('fs');
const path = require('path');
const { MIB, sleep } = require('../common');
const { state } = require('../stack');

function rssMiB(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? (Number(m[1]) * 1024) / MIB : NaN;
  } catch {
    return NaN;
  }
}

/** RSS of every running app now, by tag (api, scheduler, host-a, host-b). */
function rssNow() {
  const out = {};
  for (const [tag, entry] of state.apps) out[tag] = rssMiB(entry.child.pid);
  return out;
}

/** Samples every `everyMs` until stopped; `stop()` returns each app's peak. */
function peakSampler(everyMs = 250) {
  const peak = {};
  const sample = () => {
    for (const [tag, mib] of Object.entries(rssNow())) if (Number.isFinite(mib) && !(peak[tag] >= mib)) peak[tag] = mib;
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

/**
 * Each app's memory after a full garbage collection, by tag, in MiB: `rss` (resident) and `live`
 * (V8's heap in use plus the memory of buffers outside it: what the process still refers to).
 * The apps run with gc-probe.js preloaded (state.gcProbeDir): each is sent SIGUSR2 and writes its figures.
 */
async function memoryAfterGc(timeoutMs = 15_000) {
  const dir = state.gcProbeDir;
  if (!dir) throw new Error('memoryAfterGc: the apps were started without the GC probe (state.gcProbeDir)');
  const files = new Map();
  for (const [tag, entry] of state.apps) {
    const file = path.join(dir, `${entry.child.pid}.json`);
    fs.rmSync(file, { force: true });
    entry.child.kill('SIGUSR2');
    files.set(tag, file);
  }
  const out = { rss: {}, live: {} };
  const deadline = Date.now() + timeoutMs;
  for (const [tag, file] of files) {
    while (!fs.existsSync(file)) {
      if (Date.now() > deadline) throw new Error(`${tag} did not report its memory after a GC within ${timeoutMs} ms`);
      await sleep(50);
    }
    const m = JSON.parse(fs.readFileSync(file, 'utf8'));
    // What the probe saw right after its collection; the kernel's RSS of the process now agrees with it or is lower.
    out.rss[tag] = m.rss / MIB;
    out.live[tag] = (m.heapUsed + m.external) / MIB;
  }
  return out;
}

module.exports = { rssNow, peakSampler, memoryAfterGc };
