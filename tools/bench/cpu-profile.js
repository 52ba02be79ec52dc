'use strict';
// Where volume-api's time goes under the API bench: reads a V8 CPU profile (`--cpu-prof`, e.g.
// `BENCH_API_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" BENCH_ONLY=api npm run bench`) and prints,
// for each stretch of load it finds (seconds mostly busy: the warm-up, at rest, migrating), the share
// of each layer of a GET: framework, auth, policy, database, view, serialisation, logging, Node's
// HTTP, socket writes, GC.
//
//   node tools/bench/cpu-profile.js <file.cpuprofile> [--top N]
//
// A sample belongs to the first layer found walking its stack from the leaf to the root (so
// JSON.stringify under Fastify's serializer is serialisation, a socket write under pg's query is
// the database's write). The profiler samples wall time on the main thread: where the machine's
// cores are busy with other processes, the time a preempted thread waits for a core is counted in
// whatever it was doing, mostly in `writev` (a write on loopback wakes its reader, which then
// takes the core). So the shares of the layers without the socket writes are the CPU picture; the
// socket writes are CPU plus waiting, reported apart.
const fs = require('fs');

/** [layer, test of one frame (function name, url)], the first match from the leaf upwards wins. */
const LAYERS = [
  ['gc', (f) => f.functionName === '(garbage collector)'],
  ['logging', (f) => /node_modules\/(pino|sonic-boom|pino-std-serializers)\//.test(f.url) || /^(createLogger|PinoNestLogger)/.test(f.functionName)],
  ['serialisation', (f) => (/fastify\/lib\/reply\.js$/.test(f.url) && f.functionName === 'serialize') || /fast-json-stringify/.test(f.url)],
  ['view', (f) => /^(volumeDetail|metadataOf|attachmentSummary|displayStatus|formatTimestamp|resourceLinks|volumeView)/.test(f.functionName)],
  ['policy', (f) => /^(evaluateCheck|evaluate|allows|authorize|isAdmin|isContextAdmin|withContextIsAdmin|policyCredentials|canSeeProject|seesMigrationStatus|showsMigrationProgress|substitute|findInCredentials)$/.test(f.functionName)],
  ['auth', (f) => /^(authenticate|callerFor|noauthCaller|noauthRoles|withImpliedRoles|rolesOf)$/.test(f.functionName) || /keystone/.test(f.url)],
  ['progress', (f) => /^(migrationProgress|askLive|shared|notBelowRecent)$/.test(f.functionName) || /node_modules\/nats\//.test(f.url)],
  ['database', (f) => /node_modules\/(pg|pg-pool|pg-protocol|pg-types|postgres-date|postgres-array|postgres-interval|postgres-bytea|typeorm)\//.test(f.url) || /^(getPrepared|read|fill)$/.test(f.functionName)],
  ['framework', (f) => /node_modules\/(@nestjs|fastify|find-my-way|rxjs|avvio|light-my-request|@fastify|toad-cache|fast-querystring|reflect-metadata)\//.test(f.url) || /^(onRequest|rewriteUrl|genReqId|negotiateVersion|versionHeaders|requestIdHeaders|baseUrlOf)$/.test(f.functionName)],
  ['node http', (f) => /^node:(_http|http|net|internal\/(http|streams|stream_base_commons))/.test(f.url) && f.functionName !== 'writev'],
];

/** Leaves that are the promise and timer machinery itself, whoever awaited. */
const ASYNC_LEAVES = new Set(['runMicrotasks', 'processTicksAndRejections', 'processTimers', 'listOnTimeout']);

function layerOf(stack) {
  if (stack[0].functionName === 'writev' || stack[0].functionName === 'writeUtf8String' || stack[0].functionName === 'writeBuffer') {
    // A socket write: whose?
    const owner = stack.find((f) => /node_modules\/pg\//.test(f.url) || /_http_outgoing/.test(f.url));
    return owner && /pg/.test(owner.url) ? 'socket write: database' : 'socket write: HTTP answer';
  }
  if (ASYNC_LEAVES.has(stack[0].functionName)) return 'promises, timers';
  for (const f of stack) for (const [layer, test] of LAYERS) if (test(f)) return layer;
  if (stack[0].functionName === '(program)') return 'program';
  return 'other';
}

function main() {
  const file = process.argv[2];
  if (!file) throw new Error('usage: node tools/bench/cpu-profile.js <file.cpuprofile> [--top N]');
  const topAt = process.argv.indexOf('--top');
  const top = topAt > 0 ? Number(process.argv[topAt + 1]) : 15;
  const p = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const stackCache = new Map();
  const stackOf = (id) => {
    let s = stackCache.get(id);
    if (!s) {
      s = [];
      for (let at = id; at !== undefined; at = parent.get(at)) s.push(byId.get(at).callFrame);
      stackCache.set(id, s);
    }
    return s;
  };
  // Samples by whole second, to find the stretches under load.
  const samples = [];
  let t = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] || 0;
    samples.push({ s: Math.floor(t / 1e6), id: p.samples[i], us: p.timeDeltas[i] || 0 });
  }
  const busy = new Map();
  for (const x of samples) if (byId.get(x.id).callFrame.functionName !== '(idle)') busy.set(x.s, (busy.get(x.s) || 0) + x.us);
  // The last sample is the latest (a long profile has too many samples to spread into Math.max).
  const seconds = (samples.length ? samples[samples.length - 1].s : 0) + 1;
  const stretches = [];
  // The first seconds are the start (module loading): skip up to the first idle second.
  let s = 0;
  while (s < seconds && (busy.get(s) || 0) > 300_000) s++;
  for (; s < seconds; s++) {
    if ((busy.get(s) || 0) < 500_000) continue;
    const from = s;
    while (s + 1 < seconds && (busy.get(s + 1) || 0) >= 300_000) s++;
    if (s - from + 1 >= 2) stretches.push([from, s]);
  }
  for (const [from, to] of stretches) {
    const layers = new Map();
    const selfTime = new Map();
    let total = 0;
    for (const x of samples) {
      if (x.s < from || x.s > to) continue;
      const stack = stackOf(x.id);
      if (stack[0].functionName === '(idle)') continue;
      total += x.us;
      const layer = layerOf(stack);
      layers.set(layer, (layers.get(layer) || 0) + x.us);
      const key = `${stack[0].functionName || '(anonymous)'} ${stack[0].url.replace(/.*node_modules\//, '').replace(/.*dist\//, 'dist/')}:${stack[0].lineNumber}`;
      selfTime.set(key, (selfTime.get(key) || 0) + x.us);
    }
    const writes = [...layers].filter(([k]) => k.startsWith('socket write')).reduce((a, [, v]) => a + v, 0);
    console.log(`\nseconds ${from}-${to} of the profile: ${(total / 1e6).toFixed(2)} s on the main thread (${(total / 1e4 / (to - from + 1)).toFixed(0)} % of the wall time)`);
    console.log('  layer                          share   without socket writes');
    for (const [k, v] of [...layers].sort((a, b) => b[1] - a[1])) {
      const without = k.startsWith('socket write') ? '' : `${((100 * v) / (total - writes)).toFixed(1).padStart(6)} %`;
      console.log(`  ${k.padEnd(28)} ${((100 * v) / total).toFixed(1).padStart(6)} %  ${without}`);
    }
    console.log(`  top ${top} functions (self time):`);
    for (const [k, v] of [...selfTime].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`    ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`);
  }
}

main();
