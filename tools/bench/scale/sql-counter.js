'use strict';
// BENCH_SCALE_SQL=1: the apps reach PostgreSQL through a counting proxy of the bench's, which reads
// the frontend protocol of each connection and tells, by the application_name the connection
// started with (`volume-api:<host>`, `volume-scheduler:<host>`, `volume-worker:<host>`), how many
// statements (Query or Execute messages) and round trips (Query or Sync: the client then waits for
// ReadyForQuery) each app sent, and how much CPU the PostgreSQL backends serving it used (their
// pids from BackendKeyData, their time from /proc). None of this depends on how loaded the machine is.
const net = require('net');
const { procSeconds } = require('../cpu');

const SSL_OR_GSS = new Set([80877103, 80877104]);

/** The app a connection's application_name names (`volume-api read cache` is the API's too). */
function appOf(applicationName) {
  const name = applicationName || '?';
  if (name.startsWith('volume-api')) return 'api';
  if (name.startsWith('volume-scheduler')) return 'scheduler';
  const worker = /^volume-worker:(.+)$/.exec(name);
  return worker ? worker[1] : name;
}

/** Startup parameters (`user`, `database`, `application_name`, ...) of a StartupMessage body. */
function startupParams(body) {
  const parts = body.toString('utf8', 4).split('\0');
  const out = {};
  for (let i = 0; i + 1 < parts.length; i += 2) if (parts[i]) out[parts[i]] = parts[i + 1];
  return out;
}

/**
 * Starts the proxy in front of `target` (a postgres:// URL); returns its URL (same database and
 * user), `snapshot()` (per app: statements, round trips, backend CPU seconds so far) and `close()`.
 */
async function startSqlCounter(target) {
  const upstream = new URL(target);
  const counts = new Map();
  const backends = new Set();
  const countOf = (app) => {
    if (!counts.has(app)) counts.set(app, { statements: 0, roundTrips: 0, closedCpu: 0 });
    return counts.get(app);
  };
  const sockets = new Set();

  const server = net.createServer((client) => {
    const conn = { app: '?', pid: null, lastCpu: 0 };
    const pg = net.connect(Number(upstream.port || 5432), upstream.hostname);
    sockets.add(client);
    sockets.add(pg);
    let started = false;
    let inBuf = Buffer.alloc(0);
    client.on('data', (chunk) => {
      pg.write(chunk);
      inBuf = inBuf.length ? Buffer.concat([inBuf, chunk]) : chunk;
      for (;;) {
        if (!started) {
          if (inBuf.length < 8) break;
          const len = inBuf.readInt32BE(0);
          if (inBuf.length < len) break;
          const code = inBuf.readInt32BE(4);
          if (!SSL_OR_GSS.has(code)) {
            started = true;
            conn.app = appOf(startupParams(inBuf.subarray(4, len)).application_name);
          }
          inBuf = inBuf.subarray(len);
          continue;
        }
        if (inBuf.length < 5) break;
        const len = inBuf.readInt32BE(1);
        if (inBuf.length < len + 1) break;
        const type = String.fromCharCode(inBuf[0]);
        const c = countOf(conn.app);
        if (type === 'Q') {
          c.statements++;
          c.roundTrips++;
        } else if (type === 'E') c.statements++;
        else if (type === 'S') c.roundTrips++;
        inBuf = inBuf.subarray(len + 1);
      }
    });
    // Only the start of the server's side is read: BackendKeyData carries the backend's pid (the
    // apps connect without SSL, so no one-byte answer to an SSLRequest comes first).
    let outBuf = Buffer.alloc(0);
    let keyed = false;
    pg.on('data', (chunk) => {
      client.write(chunk);
      if (keyed) return;
      outBuf = Buffer.concat([outBuf, chunk]);
      while (!keyed && outBuf.length >= 5) {
        const len = outBuf.readInt32BE(1);
        if (outBuf.length < len + 1) break;
        if (outBuf[0] === 0x4b) {
          conn.pid = outBuf.readInt32BE(5);
          backends.add(conn);
          keyed = true;
        }
        outBuf = outBuf.subarray(len + 1);
      }
    });
    const end = () => {
      if (conn.pid !== null && backends.delete(conn)) countOf(conn.app).closedCpu += conn.lastCpu;
      client.destroy();
      pg.destroy();
      sockets.delete(client);
      sockets.delete(pg);
    };
    client.on('close', end);
    pg.on('close', end);
    client.on('error', end);
    pg.on('error', end);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(server.address().port);

  /** Per app: statements and round trips so far, and CPU seconds of its backends (those closed at their last reading). */
  function snapshot() {
    for (const conn of backends) {
      const [u, s] = procSeconds(conn.pid);
      if (Number.isFinite(u + s)) conn.lastCpu = u + s;
    }
    const out = {};
    for (const [app, c] of counts) out[app] = { statements: c.statements, roundTrips: c.roundTrips, pgCpuS: c.closedCpu };
    for (const conn of backends) {
      out[conn.app] ??= { statements: 0, roundTrips: 0, pgCpuS: 0 };
      out[conn.app].pgCpuS += conn.lastCpu;
    }
    return out;
  }

  async function close() {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  }

  return { url: url.toString(), snapshot, close };
}

/** Per app, what it sent and its backends used between two snapshots, divided by `per`. */
function sqlPer(a, b, per) {
  const out = {};
  for (const app of Object.keys(b)) {
    const x = a[app] ?? { statements: 0, roundTrips: 0, pgCpuS: 0 };
    out[app] = {
      statements: (b[app].statements - x.statements) / per,
      roundTrips: (b[app].roundTrips - x.roundTrips) / per,
      pgCpuMs: ((b[app].pgCpuS - x.pgCpuS) * 1000) / per,
    };
  }
  return out;
}

module.exports = { startSqlCounter, sqlPer };
