'use strict';
// ensureNats(): use the NATS server of a URL, or start a local nats-server with JetStream when nothing answers.
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const { dataRoot, sleep, rel, isAlive, stripBrackets, isLocalHost, log, probeTcp, findExecutable, readTail } = require('./common');

const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

function describeNats(greeting, host, port) {
  if (!greeting.startsWith('INFO ')) {
    throw new Error(`something answers on ${host}:${port} but it is not a NATS server; free the port or set NATS_URL`);
  }
  let info = {};
  try {
    info = JSON.parse(greeting.slice(5).split('\r\n')[0]);
  } catch {
    // an INFO we cannot parse still means NATS
  }
  if (info.jetstream === true) return `NATS: found a server at ${host}:${port} (JetStream enabled)`;
  return `NATS: found a server at ${host}:${port}, but its INFO does not report JetStream; the apps need it (nats-server -js)`;
}

async function ensureNats(natsUrl) {
  const url = natsUrl || DEFAULT_NATS_URL;
  // NATS_URL may list several servers; the first is the one we would start locally.
  const first = url.split(',')[0].trim();
  const parsed = new URL(first.includes('://') ? first : `nats://${first}`);
  const host = stripBrackets(parsed.hostname) || '127.0.0.1';
  const port = Number(parsed.port || 4222);

  const probe = await probeTcp(host, port, { readGreeting: true });
  if (probe.open) {
    log(describeNats(probe.greeting, host, port));
    return { url, started: false, stop: async () => {} };
  }
  if (!isLocalHost(host)) throw new Error(`NATS at ${host}:${port} does not answer; start it or fix NATS_URL`);
  const binary = findExecutable('nats-server');
  if (!binary) {
    throw new Error(
      `NATS with JetStream is required, but nothing answers on ${host}:${port} and no nats-server binary was found. ` +
        'Install it with `apt-get install nats-server` (Debian package nats-server), or set NATS_URL to a running server.',
    );
  }

  const storeDir = path.join(dataRoot, 'nats');
  const logFile = path.join(dataRoot, 'nats.log');
  fs.mkdirSync(storeDir, { recursive: true });
  log(`NATS: nothing answers on ${host}:${port}; starting ${binary} (JetStream store ${rel(storeDir)}, log ${rel(logFile)})`);
  const out = fs.openSync(logFile, 'a');
  // Own process group: a terminal Ctrl-C must not take NATS down before the apps have drained.
  const child = spawn(binary, ['-a', host, '-p', String(port), '-js', '-sd', storeDir], {
    stdio: ['ignore', out, out],
    detached: true,
  });
  fs.closeSync(out);
  let spawnError = null;
  child.on('error', (err) => (spawnError = err));
  const exited = new Promise((resolve) => child.once('close', resolve));
  const killOnExit = () => isAlive(child) && child.kill('SIGTERM');
  process.on('exit', killOnExit);

  const deadline = Date.now() + 15000;
  for (;;) {
    if (spawnError || !isAlive(child)) {
      process.removeListener('exit', killOnExit);
      const why = spawnError ? spawnError.message : `exit code ${child.exitCode ?? child.signalCode}`;
      throw new Error(`nats-server failed to start (${why}):\n${readTail(logFile)}`);
    }
    if ((await probeTcp(host, port)).open) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      process.removeListener('exit', killOnExit);
      throw new Error(`nats-server did not answer on ${host}:${port} within 15 s:\n${readTail(logFile)}`);
    }
    await sleep(200);
  }
  log(`NATS: started nats-server (pid ${child.pid}) on ${host}:${port}`);

  let stopped = false;
  return {
    url,
    started: true,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', killOnExit);
      if (isAlive(child)) {
        child.kill('SIGTERM');
        if ((await Promise.race([exited.then(() => 'exited'), sleep(10000)])) !== 'exited') child.kill('SIGKILL');
        await exited;
      }
      log('NATS: stopped nats-server');
    },
  };
}

module.exports = { ensureNats, DEFAULT_NATS_URL };
