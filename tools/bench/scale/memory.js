'use strict';
// Resident memory of the apps under test (/proc, Linux): a sampler that keeps each app's peak while
// a phase runs, and each app's RSS at rest.
const fs = require('fs');
const { MIB } = require('../common');
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

module.exports = { rssNow, peakSampler };
