import { randomBytes } from 'node:crypto';
import { COMPUTE_URL, request, waitFor } from './support/http';

/**
 * An attached volume moves to the other storage host while its guest writes, through nova-bridge's
 * local compute host (`npm start` and the compose stack serve its API on 8774; E2E_COMPUTE_URL).
 */
const PROJECT = randomBytes(16).toString('hex');
const ADMIN = `admin:${PROJECT}`;
const MEMBER = `demo:${PROJECT}`;
const V = `/v3/${PROJECT}/volumes`;
const BLOCK = 64 * 1024;

async function compute(method: string, path: string, body?: unknown | Buffer) {
  const raw = Buffer.isBuffer(body);
  const res = await fetch(`${COMPUTE_URL}/v2.1${path}`, {
    method,
    headers: { 'x-auth-token': MEMBER, 'content-type': raw ? 'application/octet-stream' : 'application/json' },
    body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  const json = (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(bytes.toString()) : undefined;
  return { status: res.status, body: json, bytes };
}

describe(`an attached volume migrates through nova-bridge (${COMPUTE_URL})`, () => {
  it('when a volume attached to a local server is migrated while its guest writes, then it arrives in-use on the other host with every write', async () => {
    const server = await compute('POST', '/servers', { server: { name: 'e2e-vm' } });
    expect(server.status).toBe(202);
    const serverId = server.body.server.id as string;

    const created = await request('POST', V, { token: MEMBER, body: { volume: { size: 1, name: 'e2e-attached' } } });
    expect(created.status).toBe(202);
    const id = created.body.volume.id as string;
    await waitFor(`volume ${id} available`, async () => {
      const s = (await request('GET', `${V}/${id}`, { token: ADMIN })).body?.volume?.status;
      return s === 'available' ? true : undefined;
    });
    const attach = await compute('POST', `/servers/${serverId}/os-volume_attachments`, { volumeAttachment: { volumeId: id } });
    expect(attach.status).toBe(200);
    const device = String(attach.body.volumeAttachment.device).replace('/dev/', '');

    // The guest writes before and during the migration; each block's last write is remembered.
    const written = new Map<number, Buffer>();
    const write = async (block: number) => {
      const data = randomBytes(BLOCK);
      const res = await compute('PUT', `/servers/${serverId}/devices/${device}/data?offset=${block * BLOCK}`, data);
      expect(res.status).toBe(204);
      written.set(block, data);
    };
    for (let b = 0; b < 64; b += 4) await write(b);

    const before = (await request('GET', `${V}/${id}`, { token: ADMIN, version: '3.72' })).body.volume;
    expect(before.status).toBe('in-use');
    const source = before['os-vol-host-attr:host'] as string;
    const dest = source.startsWith('host-a') ? 'host-b@file#pool1' : 'host-a@file#pool1';
    const res = await request('POST', `${V}/${id}/action`, { token: ADMIN, version: '3.72', body: { 'os-migrate_volume': { host: dest } } });
    expect(res.status).toBe(202);

    let block = 0;
    const progress: number[] = [];
    const after = await waitFor(
      'the migration to end',
      async () => {
        await write(block++ % 64);
        const v = (await request('GET', `${V}/${id}`, { token: ADMIN, version: '3.72' })).body.volume;
        if (v.migration_progress !== undefined) progress.push(Number(v.migration_progress));
        return ['success', 'error'].includes(v.migration_status) ? v : undefined;
      },
      120_000,
      50,
    );
    expect(after).toMatchObject({ id, migration_status: 'success', status: 'in-use', 'os-vol-host-attr:host': dest });
    expect(progress.every((p, i) => p <= 99 && (i === 0 || p >= progress[i - 1]))).toBe(true);

    // The guest runs on the new volume and reads back every block it wrote.
    for (const [b, data] of written) {
      const read = await compute('GET', `/servers/${serverId}/devices/${device}/data?offset=${b * BLOCK}&length=${BLOCK}`);
      expect([b, read.bytes.equals(data)]).toEqual([b, true]);
    }
  });
});
