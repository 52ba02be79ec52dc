import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readRange } from '@volume/testing';
import { ADMIN, ComputeGuest, MEMBER, OTHER_MEMBER, PROJECT, TestStack } from '@volume/testing-stack';

// The local compute host checks ownership as Nova does: it authenticates its callers as volume-api
// does and attaches with the caller's own token, so a project attaches only what it may see and
// does guest I/O only on its own servers; and nobody completes its swap's migration early.

jest.setTimeout(120_000);

const MIB = 1024 * 1024;
const SPAN = 8 * MIB;
/** An admin of a project of its own, so that nothing passes for being in project A. */
const CLOUD_ADMIN = { 'x-auth-token': 'cloudadmin:5e1f0d9c8b7a69584736251403f2e1d0', 'x-roles': 'admin' };
/** A reader of project A (noauth roles expand as a Keystone token's do). */
const READER = { 'x-auth-token': `auditor:${PROJECT}`, 'x-roles': 'reader' };
/** As nova-bridge calls volume-api for a swap: the service user in the server's project. */
const SERVICE = { 'x-auth-token': `nova:${PROJECT}`, 'x-roles': 'service' };
const NOT_FOUND = (what: string) => ({ itemNotFound: { code: 404, message: what } });

interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('local compute host tenancy (real volume-api, nova-bridge, workers, PostgreSQL and NATS)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    // Slow enough that a swap stays before its pivot while the test asks for an early completion.
    stack = await TestStack.start({ novaBridge: { SWAP_COPY_BPS_LIMIT: String(512 * 1024) } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  async function compute(headers: Record<string, string>, method: string, path: string, body?: unknown): Promise<Answer> {
    const res = await fetch(`${stack.computeUrl}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': Buffer.isBuffer(body) ? 'application/octet-stream' : 'application/json' }) },
      body: body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });
    const type = res.headers.get('content-type') ?? '';
    if (type.startsWith('application/octet-stream')) return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  async function createServer(headers: Record<string, string>, name: string): Promise<string> {
    const res = await compute(headers, 'POST', '/v2.1/servers', { server: { name } });
    expect(res.status).toBe(202);
    return res.body.server.id as string;
  }

  const attach = (headers: Record<string, string>, serverId: string, volumeId: string) =>
    compute(headers, 'POST', `/v2.1/servers/${serverId}/os-volume_attachments`, { volumeAttachment: { volumeId } });

  async function volumeRow(id: string): Promise<Record<string, unknown>> {
    const [volume] = await stack.sql(`SELECT status, attach_status, migration_status, host, provider_location FROM volumes WHERE id = $1`, [id]);
    const [{ n }] = await stack.sql(`SELECT count(*)::int AS n FROM volume_attachments WHERE volume_id = $1`, [id]);
    return { ...volume, attachments: n };
  }

  /** A server of project A with one of A's volumes attached. */
  async function serverOfA(name: string) {
    const serverId = await createServer(MEMBER, name);
    const volumeId = await stack.createVolume({ size: 1 }, MEMBER);
    const res = await attach(MEMBER, serverId, volumeId);
    expect(res.status).toBe(200);
    const device = String(res.body.volumeAttachment.device).replace('/dev/', '');
    return { serverId, volumeId, device };
  }

  it('when a caller sends no token, then the compute host answers 401 with Nova’s fault body', async () => {
    const res = await compute({}, 'POST', '/v2.1/servers', { server: { name: 'anonymous' } });
    expect(res.status).toBe(401);
    expect(res.body.unauthorized.code).toBe(401);
  });

  it('when project B attaches project A’s volume, then volume-api does not show it to B: 404, and the volume is untouched', async () => {
    const volumeId = await stack.createVolume({ size: 1 }, MEMBER);
    const before = await volumeRow(volumeId);
    const serverOfB = await createServer(OTHER_MEMBER, 'vm-of-b');
    const res = await attach(OTHER_MEMBER, serverOfB, volumeId);
    expect(res).toEqual({ status: 404, body: NOT_FOUND(`Volume ${volumeId} could not be found.`) });
    expect(await volumeRow(volumeId)).toEqual(before);
    expect(before).toMatchObject({ status: 'available', attachments: 0 });

    const serverA = await createServer(MEMBER, 'vm-of-a');
    expect(await attach(OTHER_MEMBER, serverA, volumeId)).toEqual({ status: 404, body: NOT_FOUND(`Instance ${serverA} could not be found.`) });
    expect((await attach(MEMBER, serverA, volumeId)).status).toBe(200);
    expect(await volumeRow(volumeId)).toMatchObject({ status: 'in-use', attachments: 1 });
  });

  it('when project B does guest I/O on A’s server, then the server is not found; A and an admin do it', async () => {
    const { serverId, volumeId, device } = await serverOfA('vm-io');
    const data = randomBytes(64 * 1024);
    const server = `/v2.1/servers/${serverId}`;
    const gone = NOT_FOUND(`Instance ${serverId} could not be found.`);
    expect(await compute(OTHER_MEMBER, 'PUT', `${server}/devices/${device}/data?offset=0`, data)).toEqual({ status: 404, body: gone });
    expect(await compute(OTHER_MEMBER, 'GET', `${server}/devices/${device}/data?offset=0&length=16`)).toEqual({ status: 404, body: gone });
    expect(await compute(OTHER_MEMBER, 'POST', `${server}/devices/${device}/flush`)).toEqual({ status: 404, body: gone });
    expect(await compute(OTHER_MEMBER, 'GET', server)).toEqual({ status: 404, body: gone });
    expect(await compute(OTHER_MEMBER, 'GET', `${server}/os-volume_attachments`)).toEqual({ status: 404, body: gone });
    expect(await compute(OTHER_MEMBER, 'DELETE', `${server}/os-volume_attachments/${volumeId}`)).toEqual({ status: 404, body: gone });
    expect(await volumeRow(volumeId)).toMatchObject({ status: 'in-use', attachments: 1 });

    const guestA = new ComputeGuest(stack.computeUrl as string, serverId, device, MEMBER['x-auth-token'], SPAN);
    await guestA.write(0, data);
    expect(await compute(CLOUD_ADMIN, 'GET', `${server}/devices/${device}/data?offset=0&length=${data.length}`)).toEqual({ status: 200, body: data });
    const byAdmin = randomBytes(64 * 1024);
    expect((await compute(CLOUD_ADMIN, 'PUT', `${server}/devices/${device}/data?offset=${MIB}`, byAdmin)).status).toBe(204);
    expect((await guestA.read(MIB, byAdmin.length)).equals(byAdmin)).toBe(true);
  });

  it('when a reader of A reads A’s server and its disk, then it may; writing, flushing, attaching and detaching are 403 naming Nova’s rule', async () => {
    const { serverId, volumeId, device } = await serverOfA('vm-reader');
    const server = `/v2.1/servers/${serverId}`;
    const refused = (rule: string) => ({ status: 403, body: { forbidden: { code: 403, message: `Policy doesn't allow ${rule} to be performed.` } } });
    expect((await compute(READER, 'GET', server)).status).toBe(200);
    expect((await compute(READER, 'GET', `${server}/os-volume_attachments`)).body.volumeAttachments).toHaveLength(1);
    expect((await compute(READER, 'GET', `${server}/devices/${device}/data?offset=0&length=16`)).status).toBe(200);
    expect(await compute(READER, 'PUT', `${server}/devices/${device}/data?offset=0`, randomBytes(16))).toEqual(refused('os_compute_api:os-local-devices:write'));
    expect(await compute(READER, 'POST', `${server}/devices/${device}/flush`)).toEqual(refused('os_compute_api:os-local-devices:write'));
    const other = await stack.createVolume({ size: 1 }, MEMBER);
    expect(await attach(READER, serverId, other)).toEqual(refused('os_compute_api:os-volumes-attachments:create'));
    expect(await compute(READER, 'DELETE', `${server}/os-volume_attachments/${volumeId}`)).toEqual(refused('os_compute_api:os-volumes-attachments:delete'));
    expect(await compute(READER, 'POST', '/v2.1/servers', { server: { name: 'by-reader' } })).toEqual(refused('os_compute_api:servers:create'));
    expect(await volumeRow(other)).toMatchObject({ status: 'available', attachments: 0 });
    expect(await volumeRow(volumeId)).toMatchObject({ status: 'in-use', attachments: 1 });
  });

  it('when an admin attaches a volume of A to A’s server, then it may; A detaches it again with its own token', async () => {
    const serverId = await createServer(MEMBER, 'vm-admin');
    const volumeId = await stack.createVolume({ size: 1 }, MEMBER);
    const res = await attach(CLOUD_ADMIN, serverId, volumeId);
    expect(res.status).toBe(200);
    expect(await volumeRow(volumeId)).toMatchObject({ status: 'in-use', attachments: 1 });
    expect((await compute(MEMBER, 'DELETE', `/v2.1/servers/${serverId}/os-volume_attachments/${volumeId}`)).status).toBe(202);
    expect(await volumeRow(volumeId)).toMatchObject({ status: 'available', attachments: 0 });
  });

  it('when os-migrate_volume_completion comes before the swap’s pivot, then it is refused (400) as admin and as service and nothing changes; the swap then completes', async () => {
    const { serverId, volumeId, device } = await serverOfA('vm-swap');
    const guest = new ComputeGuest(stack.computeUrl as string, serverId, device, MEMBER['x-auth-token'], SPAN);
    await guest.fill(64);
    await guest.flush();
    const sourcePath = (await compute(MEMBER, 'GET', `/v2.1/servers/${serverId}`)).body.server.devices[0].path as string;
    const host = (await volumeRow(volumeId)).host as string;
    const migrate = await stack.request('POST', `/v3/${PROJECT}/volumes/${volumeId}/action`, {
      headers: ADMIN,
      body: { 'os-migrate_volume': { host: host.startsWith('host-a') ? 'host-b@file#pool1' : 'host-a@file#pool1' } },
    });
    expect(migrate.status).toBe(202);
    const swap = () => compute(MEMBER, 'GET', `/v2.1/servers/${serverId}/os-volume_attachments/${volumeId}/swap`);
    await stack.waitFor(async () => (await swap()).body?.swap?.phase === 'copying', 'the swap to copy', 30_000);
    const [{ dest_volume_id: dest }] = await stack.sql(`SELECT dest_volume_id FROM volume_migrations WHERE volume_id = $1`, [volumeId]);
    const before = await volumeRow(volumeId);

    for (const [headers, error] of [[ADMIN, false], [SERVICE, false], [SERVICE, true]] as const) {
      const res = await stack.request('POST', `/v3/${PROJECT}/volumes/${volumeId}/action`, {
        headers,
        body: { 'os-migrate_volume_completion': { new_volume: dest, error } },
      });
      expect(res.status).toBe(400);
      expect(res.body.badRequest.message).toMatch(
        error ? /^Invalid volume: The compute service has not rolled back the swap of volume/ : /^Invalid volume: The compute service has not switched the guest of volume/,
      );
    }
    expect((await swap()).body.swap.phase).toBe('copying');
    expect(await volumeRow(volumeId)).toEqual(before);
    expect(before).toMatchObject({ status: 'in-use', migration_status: 'migrating' });
    expect(await volumeRow(dest)).toMatchObject({ migration_status: `target:${volumeId}` });
    expect((await readRange(sourcePath, 0, SPAN)).equals(guest.model)).toBe(true);

    // nova-bridge's own completion, after its pivot, goes through.
    await stack.waitFor(async () => (await volumeRow(volumeId)).migration_status === 'success', 'the migration to succeed', 60_000);
    const newPath = (await compute(MEMBER, 'GET', `/v2.1/servers/${serverId}`)).body.server.devices[0].path as string;
    expect(newPath).not.toBe(sourcePath);
    expect((await readRange(newPath, 0, SPAN)).equals(guest.model)).toBe(true);
    expect((await guest.read(0, SPAN)).equals(guest.model)).toBe(true);
    await stack.waitFor(async () => !existsSync(sourcePath), 'the old data to be removed');
  });
});
