#!/usr/bin/env node
// Durability across `docker-compose down` and `up` (tools/docker/e2e-compose.sh). `write` creates a
// volume, has a guest of nova-bridge's compute host write a block to it (flushed, then detached) and
// records the volume and the block's digest in a state file; once the stack is back, `check` finds
// the volume available, attaches it to a new server and reads the same block back.
//   E2E_BASE_URL=http://127.0.0.1:8776 E2E_COMPUTE_URL=http://127.0.0.1:8774 node tools/docker/durability.js write|check <state file>
'use strict';
const { createHash, randomBytes } = require('node:crypto');
const { readFileSync, writeFileSync } = require('node:fs');

const API = (process.env.E2E_BASE_URL || 'http://127.0.0.1:8776').replace(/\/+$/, '');
const COMPUTE = (process.env.E2E_COMPUTE_URL || 'http://127.0.0.1:8774').replace(/\/+$/, '');
const BLOCK = 64 * 1024;
const OFFSET = 3 * BLOCK;

async function call(base, method, path, token, body) {
  const raw = Buffer.isBuffer(body);
  const headers = { 'x-auth-token': token };
  if (body !== undefined) headers['content-type'] = raw ? 'application/octet-stream' : 'application/json';
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  const json = (res.headers.get('content-type') || '').includes('json') ? JSON.parse(bytes.toString()) : undefined;
  return { status: res.status, json, bytes };
}

async function expectStatus(what, promise, status) {
  const res = await promise;
  if (res.status !== status) throw new Error(`${what}: HTTP ${res.status}, expected ${status}: ${res.bytes.toString().slice(0, 300)}`);
  return res;
}

async function volumeStatus(state, wanted) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await call(API, 'GET', `/v3/${state.project}/volumes/${state.volumeId}`, state.token);
    const status = res.json && res.json.volume && res.json.volume.status;
    if (status === wanted) return res.json.volume;
    if (res.status !== 200 || status === 'error' || Date.now() > deadline) {
      throw new Error(`volume ${state.volumeId}: HTTP ${res.status}, status ${status}, waiting for ${wanted}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A new server with the volume attached; returns the server's id and the guest's device name. */
async function attachToNewServer(state) {
  const server = await expectStatus('create server', call(COMPUTE, 'POST', '/v2.1/servers', state.token, { server: { name: 'durability' } }), 202);
  const serverId = server.json.server.id;
  const attach = await expectStatus(
    'attach',
    call(COMPUTE, 'POST', `/v2.1/servers/${serverId}/os-volume_attachments`, state.token, { volumeAttachment: { volumeId: state.volumeId } }),
    200,
  );
  return { serverId, device: String(attach.json.volumeAttachment.device).replace('/dev/', '') };
}

async function write(file) {
  const project = randomBytes(16).toString('hex');
  const state = { project, token: `demo:${project}` };
  const created = await expectStatus('create volume', call(API, 'POST', `/v3/${project}/volumes`, state.token, { volume: { size: 1, name: 'durability' } }), 202);
  state.volumeId = created.json.volume.id;
  await volumeStatus(state, 'available');
  const { serverId, device } = await attachToNewServer(state);
  const data = randomBytes(BLOCK);
  await expectStatus('guest write', call(COMPUTE, 'PUT', `/v2.1/servers/${serverId}/devices/${device}/data?offset=${OFFSET}`, state.token, data), 204);
  await expectStatus('guest flush', call(COMPUTE, 'POST', `/v2.1/servers/${serverId}/devices/${device}/flush`, state.token), 204);
  await expectStatus('detach', call(COMPUTE, 'DELETE', `/v2.1/servers/${serverId}/os-volume_attachments/${state.volumeId}`, state.token), 202);
  await volumeStatus(state, 'available');
  state.sha256 = createHash('sha256').update(data).digest('hex');
  writeFileSync(file, JSON.stringify(state));
  console.log(`durability: volume ${state.volumeId} written (block at ${OFFSET}, sha256 ${state.sha256.slice(0, 12)})`);
}

async function check(file) {
  const state = JSON.parse(readFileSync(file, 'utf8'));
  const volume = await volumeStatus(state, 'available');
  if (volume.size !== 1) throw new Error(`volume ${state.volumeId}: size ${volume.size}, expected 1`);
  const { serverId, device } = await attachToNewServer(state);
  const read = await expectStatus('guest read', call(COMPUTE, 'GET', `/v2.1/servers/${serverId}/devices/${device}/data?offset=${OFFSET}&length=${BLOCK}`, state.token), 200);
  const sha256 = createHash('sha256').update(read.bytes).digest('hex');
  if (sha256 !== state.sha256) throw new Error(`volume ${state.volumeId}: the block read back has sha256 ${sha256}, written ${state.sha256}`);
  console.log(`durability: volume ${state.volumeId} is still there after down/up, and reads back what was written`);
}

const [command, file] = process.argv.slice(2);
const run = { write, check }[command];
if (!run || !file) {
  console.error('usage: node tools/docker/durability.js write|check <state file>');
  process.exit(2);
}
run(file).catch((err) => {
  console.error(`durability ${command}: ${err.message}`);
  process.exit(1);
});
