'use strict';
// Node's own flags for each app, wherever this repository starts it: `npm start` (start.js) and the
// bench (tools/bench/stack.js). The image starts the apps with the same (deploy/Dockerfile's
// ENTRYPOINT); change both together.
//
// volume-api: a young generation of up to 64 MiB a semi-space (V8's default is 16). Every request
// allocates short-lived objects; with the larger nursery V8 scavenges a quarter as often, and on a
// busy machine each scavenge is a pause every open request waits for. Measured with 20 migrations
// and 32 pollers on 2 cores (BENCHMARKS.md, scale notes): 2,046 → 3,692 req/s, p99 149 → 55 ms. Costs
// up to ~128 MiB more resident memory under load (the API's limit in deploy/k8s is 512 MiB).
const APP_NODE_FLAGS = {
  'volume-api': ['--max-semi-space-size=64'],
};

/** The node flags an app starts with (before its main.js). */
function nodeFlagsOf(app) {
  return APP_NODE_FLAGS[app] ?? [];
}

module.exports = { nodeFlagsOf };
