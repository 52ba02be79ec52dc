'use strict';
// The bench as a Cinder client of the stack it started: requests to the API, and the volumes it
// measures with (made, placed on a host, found on disk, filled).
const fs = require('fs');
const crypto = require('crypto');
const { PROJECT, ADMIN, INSTANCE, BLOCK, log } = require('./common');
const { state, sql, waitFor } = require('./stack');

const V = `/v3/${PROJECT}/volumes`;

async function api(method, p, { body, version } = {}) {
  const headers = { ...ADMIN, accept: 'application/json' };
  if (version) headers['openstack-api-version'] = `volume ${version}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(state.baseUrl + p, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30000),
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  return { status: res.status, body: json, text };
}

async function volumeRow(id) {
  return (await sql(`SELECT status, host, migration_status, migration_progress FROM volumes WHERE id = $1`, [id]))[0];
}

async function createVolume(size, name) {
  const res = await api('POST', V, { body: { volume: { size, name } } });
  if (res.status !== 202) throw new Error(`create volume: HTTP ${res.status} ${res.text}`);
  const id = res.body.volume.id;
  let row;
  await waitFor(async () => ['available', 'error'].includes((row = await volumeRow(id)).status), `volume ${id} available`, 60000);
  if (row.status !== 'available') throw new Error(`volume ${id} went to ${row.status}`);
  return { id, host: row.host };
}

async function deleteVolume(id) {
  const res = await api('DELETE', `${V}/${id}`);
  if (res.status !== 202) throw new Error(`delete volume ${id}: HTTP ${res.status} ${res.text}`);
}

/** A volume of `size` GiB on `host`: the scheduler spreads, so create until one lands there. */
async function createVolumeOn(hostName, size, name) {
  const extras = [];
  try {
    for (let attempt = 0; attempt < 8; attempt++) {
      const v = await createVolume(size, name);
      if (v.host.startsWith(`${hostName}@`)) return v;
      extras.push(v.id);
    }
    throw new Error(`no ${size} GiB volume landed on ${hostName} in 8 creates`);
  } finally {
    for (const id of extras) await deleteVolume(id).catch((err) => log(`deleting extra volume ${id}: ${err.message}`));
  }
}

/** The volume's file, as a consumer finds it: connection_info of an attachment, which then goes. */
async function devicePathOf(volumeId) {
  const att = await api('POST', `/v3/${PROJECT}/attachments`, {
    version: '3.44',
    body: { attachment: { volume_uuid: volumeId, instance_uuid: INSTANCE, connector: { host: 'bench', initiator: 'bench' } } },
  });
  if (att.status !== 200) throw new Error(`attach ${volumeId}: HTTP ${att.status} ${att.text}`);
  const device = att.body.attachment.connection_info.data.device_path;
  const del = await api('DELETE', `/v3/${PROJECT}/attachments/${att.body.attachment.id}`, { version: '3.44' });
  if (del.status !== 200) throw new Error(`detach ${volumeId}: HTTP ${del.status} ${del.text}`);
  await waitFor(async () => (await volumeRow(volumeId)).status === 'available', `volume ${volumeId} available after detach`);
  return device;
}

/** Fills the file fully with random (incompressible) data and makes it durable. */
function fillRandom(file, bytes) {
  const fd = fs.openSync(file, 'r+');
  try {
    const buffer = Buffer.allocUnsafe(BLOCK);
    for (let offset = 0; offset < bytes; offset += BLOCK) {
      const length = Math.min(BLOCK, bytes - offset);
      crypto.randomFillSync(buffer, 0, length);
      let done = 0;
      while (done < length) done += fs.writeSync(fd, buffer, done, length - done, offset + done);
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (fs.statSync(file).size !== bytes) throw new Error(`${file} is not ${bytes} bytes`);
}

const otherHost = (host) => (host.startsWith('host-a@') ? 'host-b@file#pool1' : 'host-a@file#pool1');

async function currentHost(volumeId) {
  return (await volumeRow(volumeId)).host;
}

module.exports = { V, api, volumeRow, createVolume, createVolumeOn, devicePathOf, fillRandom, otherHost, currentHost };
