'use strict';
// The bare-Node baseline of the API bench: a plain `node:http` server, in a process of its own (as
// the API is), that answers every request with the status, headers and body of one real GET volume
// response captured from the API in the same run. Whatever the API does beyond that (routing, auth,
// policy, the database, the view, logging) is what separates its req/s from this server's: the
// ceiling of Node on this machine, with the same load generator, connections and duration.
//
// In the bench process: captureResponse(url, headers), startBaseline(response).
// Forked (this file as a child): parent -> { cmd: 'serve', response } -> { type: 'listening', port };
// parent -> { cmd: 'cpu' } -> { type: 'cpu', seconds } (its own CPU seconds so far).
const http = require('http');
const path = require('path');
const { fork } = require('child_process');

/** Headers Node's server writes itself on every answer (so the baseline writes them as the API's server does). */
const WRITTEN_BY_NODE = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

/** One response of `url` as it came off the wire: status, raw header pairs (minus Node's own), body. */
function captureResponse(url, headers) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const raw = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          if (!WRITTEN_BY_NODE.has(res.rawHeaders[i].toLowerCase())) raw.push([res.rawHeaders[i], res.rawHeaders[i + 1]]);
        }
        resolve({ status: res.statusCode, headers: raw, body: Buffer.concat(chunks).toString('base64') });
      });
    });
    req.on('error', reject);
    req.setTimeout(30000, () => req.destroy(new Error(`capturing ${url}: no answer in 30 s`)));
  });
}

/**
 * Forks the baseline server; resolves once it listens (127.0.0.1, a free port). `track` registers
 * the child for the bench's clean-up. Resolves { url, cpuSeconds(), stop() }.
 */
function startBaseline(response, track = (c) => c) {
  const child = track(fork(__filename, [], { cwd: path.resolve(__dirname, '..', '..'), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const waiters = [];
  child.on('message', (m) => {
    const i = waiters.findIndex((w) => w.type === m.type);
    if (i >= 0) waiters.splice(i, 1)[0].resolve(m);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal || code)));
  const next = (type) =>
    Promise.race([
      new Promise((resolve) => waiters.push({ type, resolve })),
      exited.then((how) => {
        throw new Error(`the baseline server exited (${how}) before answering ${type}`);
      }),
    ]);
  const listening = next('listening');
  child.send({ cmd: 'serve', response });
  return listening.then(({ port }) => ({
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    async cpuSeconds() {
      const answer = next('cpu');
      child.send({ cmd: 'cpu' });
      return (await answer).seconds;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  }));
}

function serve(response) {
  const body = Buffer.from(response.body, 'base64');
  const headers = response.headers.flat();
  const server = http.createServer((req, res) => {
    // Read the request to its end (a GET has no body), as any server must, then answer.
    req.resume();
    res.writeHead(response.status, headers);
    res.end(body);
  });
  server.keepAliveTimeout = 72_000;
  server.listen(0, '127.0.0.1', () => process.send({ type: 'listening', port: server.address().port }));
}

if (require.main === module) {
  process.on('message', (m) => {
    if (m.cmd === 'serve') serve(m.response);
    else if (m.cmd === 'cpu') {
      const u = process.cpuUsage();
      process.send({ type: 'cpu', seconds: (u.user + u.system) / 1e6 });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}

module.exports = { captureResponse, startBaseline };
