'use strict';
// The HTTP load of `npm run bench`, in a process of its own so that the bench's timers (the
// migration poller) never wait behind autocannon's event loop. Driven over the IPC channel:
//   parent -> { cmd: 'start', opts }   runs autocannon(opts)   -> { type: 'started' }
//   parent -> { cmd: 'stop' }          ends it early (opts.duration is then only an upper bound)
//   child  -> { type: 'result', result } once the run ends, then exits.
const autocannon = require('autocannon');

let instance = null;
let cpuAtStart = null;
const cpuSeconds = (u) => (u.user + u.system) / 1e6;
let stopRequested = false;

function send(message) {
  if (process.connected) process.send(message);
}

process.on('message', (message) => {
  if (message.cmd === 'start' && !instance) {
    cpuAtStart = process.cpuUsage();
    instance = autocannon(message.opts, (err, result) => {
      if (err) send({ type: 'error', message: err.message });
      else send({ type: 'result', result: summarise(result) });
      // Let the IPC message leave before exiting.
      setImmediate(() => process.disconnect());
    });
    // The stop may have come before autocannon had started.
    if (stopRequested) instance.stop();
    send({ type: 'started' });
  } else if (message.cmd === 'stop') {
    stopRequested = true;
    if (instance) instance.stop();
  }
});

// Only what the bench reports: rates from the totals (the last 1 s sample of a stopped run is partial).
function summarise(r) {
  const completed = r.requests.total;
  return {
    durationS: r.duration,
    totalCompleted: completed,
    totalRequests: r.requests.sent,
    reqPerSec: r.duration > 0 ? completed / r.duration : 0,
    reqPerSecSampled: r.requests.average,
    latency: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, mean: r.latency.mean },
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodeStats: r.statusCodeStats,
    /** CPU this process used while generating the load. */
    cpuSeconds: cpuSeconds(process.cpuUsage(cpuAtStart)),
  };
}

send({ type: 'ready' });
