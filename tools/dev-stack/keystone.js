'use strict';
// A Keystone of our own: Debian's `keystone` package (keystone-manage and keystone-wsgi-public, served
// by uwsgi's python3 plugin) over SQLite in one directory, bootstrapped with an admin and seeded
// with the users a Cinder deployment has (keystone-seed.js). `npm start` runs one when
// AUTH_STRATEGY=keystone and no KEYSTONE_AUTH_URL is given; the test harness
// (libs/testing/src/keystone.ts) one per spec file. Node built-ins only.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const { sleep, isAlive, findExecutable, readTail } = require('./common');

const DEBIAN_PACKAGE_HINT =
  'install Debian\'s keystone package (`apt-get install keystone`; it brings uwsgi-core and uwsgi-plugin-python3), ' +
  'or set KEYSTONE_AUTH_URL to a running Keystone';

function requireExecutable(name) {
  const found = findExecutable(name);
  if (!found) throw new Error(`Keystone: ${name} is missing: ${DEBIAN_PACKAGE_HINT}`);
  return found;
}

/** keystone.conf of an instance: SQLite, fernet tokens, every key under `dir`, logs on stderr. */
function configText(dir, tokenExpirationS) {
  return [
    '[DEFAULT]',
    'use_stderr = true',
    '[database]',
    `connection = sqlite:///${path.join(dir, 'keystone.db')}`,
    '[fernet_tokens]',
    `key_repository = ${path.join(dir, 'fernet-keys')}`,
    '[fernet_receipts]',
    `key_repository = ${path.join(dir, 'fernet-keys')}`,
    '[credential]',
    `key_repository = ${path.join(dir, 'credential-keys')}`,
    '[identity]',
    // bcrypt's cheapest cost: a throw-away Keystone's passwords need no work factor, its start does.
    'password_hash_rounds = 4',
    '[token]',
    'provider = fernet',
    `expiration = ${tokenExpirationS}`,
    '',
  ].join('\n');
}

function ownerArgs() {
  // fernet_setup chowns its keys to the user that serves them: us.
  const group = spawnSync('id', ['-gn'], { encoding: 'utf8' }).stdout.trim();
  return ['--keystone-user', os.userInfo().username, '--keystone-group', group];
}

/** Runs keystone-manage with the instance's configuration; rejects with its output's tail if it fails. */
function manage(binary, configFile, args, logFile) {
  return new Promise((resolve, reject) => {
    const out = fs.openSync(logFile, 'a');
    const child = spawn(binary, ['--config-file', configFile, ...args], { stdio: ['ignore', out, out] });
    fs.closeSync(out);
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`keystone-manage ${args[0]} failed (exit code ${code}):\n${readTail(logFile)}`));
    });
  });
}

async function waitForVersion(url, child, logFile, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(child)) throw new Error(`uwsgi exited (code ${child.exitCode ?? child.signalCode}):\n${readTail(logFile)}`);
    try {
      const res = await fetch(`${url}/v3`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`Keystone did not answer on ${url} within ${timeoutMs / 1000} s:\n${readTail(logFile)}`);
}

/**
 * Prepares `dir` (database, fernet and credential keys, the bootstrap admin, whose password is
 * `adminPassword`, and the identity endpoint at http://host:port/v3) and serves it on host:port.
 * Every step is idempotent: a directory of an earlier run keeps its users and projects.
 * Resolves { url, authUrl, pid, pause(), resume(), stop() }.
 */
async function startKeystone({ dir, host = '127.0.0.1', port, adminPassword, tokenExpirationS = 3600, startTimeoutMs = 60000 }) {
  const manageBin = requireExecutable('keystone-manage');
  const uwsgi = requireExecutable('uwsgi');
  const wsgiApp = requireExecutable('keystone-wsgi-public');
  fs.mkdirSync(dir, { recursive: true });
  const configFile = path.join(dir, 'keystone.conf');
  const logFile = path.join(dir, 'keystone.log');
  fs.writeFileSync(configFile, configText(dir, tokenExpirationS));
  const url = `http://${host}:${port}`;

  // The key repositories do not depend on the database: set them up while it is created.
  await Promise.all([
    manage(manageBin, configFile, ['db_sync'], logFile),
    manage(manageBin, configFile, ['fernet_setup', ...ownerArgs()], logFile),
    manage(manageBin, configFile, ['credential_setup', ...ownerArgs()], logFile),
  ]);
  // Write-ahead logging: a request's open read no longer makes the next write fail with "database is
  // locked" (the journal mode is kept in the database file).
  await new Promise((resolve, reject) => {
    const python = fs.readFileSync(manageBin, 'utf8').split('\n')[0].replace(/^#!\s*/, '').trim();
    const sql = `import sqlite3; sqlite3.connect(${JSON.stringify(path.join(dir, 'keystone.db'))}).execute('PRAGMA journal_mode=WAL')`;
    const child = spawn(python, ['-c', sql], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`could not switch keystone.db to WAL (exit code ${code})`))));
  });
  await manage(
    manageBin,
    configFile,
    ['bootstrap', '--bootstrap-password', adminPassword, '--bootstrap-public-url', `${url}/v3`, '--bootstrap-region-id', 'RegionOne'],
    logFile,
  );

  const out = fs.openSync(logFile, 'a');
  // One worker, one request at a time: Keystone's SQLite sessions break across threads and processes
  // ("database is locked"). uwsgi's http-socket closes every connection, so it says so (Node's fetch
  // would reuse a closed one). Own process group: a terminal's Ctrl-C leaves it to our stop().
  const child = spawn(
    uwsgi,
    ['--plugin', 'python3', '--http-socket', `${host}:${port}`, '--wsgi-file', wsgiApp, '--master', '--processes', '1', '--lazy-apps',
      '--die-on-term', '--need-app', '--buffer-size', '65535', '--add-header', 'Connection: close', '--disable-logging'],
    { env: { ...process.env, OS_KEYSTONE_CONFIG_FILES: configFile }, stdio: ['ignore', out, out], detached: true },
  );
  fs.closeSync(out);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const killOnExit = () => isAlive(child) && process.kill(-child.pid, 'SIGKILL');
  process.on('exit', killOnExit);
  const signalGroup = (name) => {
    try {
      process.kill(-child.pid, name);
    } catch {
      // already gone
    }
  };
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (!isAlive(child)) return;
    signalGroup('SIGCONT');
    signalGroup('SIGTERM');
    const kill = setTimeout(() => signalGroup('SIGKILL'), 10000);
    await exited;
    clearTimeout(kill);
  };
  try {
    await waitForVersion(url, child, logFile, startTimeoutMs);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    authUrl: `${url}/v3`,
    pid: child.pid,
    logFile,
    /** Freezes the server (it accepts connections and never answers): a Keystone slower than any timeout. */
    pause: () => signalGroup('SIGSTOP'),
    resume: () => signalGroup('SIGCONT'),
    stop,
  };
}

module.exports = { startKeystone, DEBIAN_PACKAGE_HINT };
