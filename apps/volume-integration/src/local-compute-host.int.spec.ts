import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { PolicyEnforcer } from '@volume/auth';
import { CodedError, ComputeSubjects } from '@volume/contracts';
import { createDataSource } from '@volume/persistence';
import { NatsService } from '@volume/platform';
import {
  BlockFile,
  Guest,
  GuestDevice,
  LocalComputeAdapter,
  loadNovaBridgeConfig,
  MirrorOptions,
  OpenGuest,
  openBlockFile,
} from '@volume/nova-bridge-app';
import { readRange } from '@volume/testing';
import { ADMIN, ComputeGuest, PROJECT, TestStack } from '@volume/testing-stack';

const MIB = 1024 * 1024;
const BLOCK = 64 * 1024;
/** The guest writes inside this span; the rest of the 1 GiB volume stays a hole. */
const SPAN = 8 * MIB;
const TOKEN = `demo:${PROJECT}`;

/** A target whose writes fail after `okBytes`, as a full or broken destination disk would. */
function failingTarget(okBytes: number): (path: string) => Promise<BlockFile> {
  return async (path) => {
    const file = await openBlockFile(path);
    let written = 0;
    return {
      ...file,
      read: (p, l) => file.read(p, l),
      datasync: () => file.datasync(),
      stat: () => file.stat(),
      close: () => file.close(),
      write: async (position, data) => {
        written += data.length;
        if (written > okBytes) throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
        return file.write(position, data);
      },
    };
  };
}

describe('local compute host (real volume-api, scheduler, workers, PostgreSQL and NATS)', () => {
  let stack: TestStack;
  let ds: DataSource;
  let nats: NatsService;
  let adapter: LocalComputeAdapter;
  let computeUrl: string;
  /** Mirror options per source file (throttles, injected target failures). */
  const mirrorOptions = new Map<string, MirrorOptions>();

  const openGuest: OpenGuest = async (path, size) => {
    const device = await GuestDevice.open(path, size);
    const guest: Guest = {
      get path() {
        return device.path;
      },
      get sizeBytes() {
        return device.sizeBytes;
      },
      read: (o, l) => device.read(o, l),
      write: (o, d) => device.write(o, d),
      flush: () => device.flush(),
      close: () => device.close(),
      startMirror: (target, opts) => device.startMirror(target, { ...opts, ...mirrorOptions.get(device.path) }),
    };
    return guest;
  };

  async function compute(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await fetch(`${computeUrl}${path}`, {
      method,
      headers: { 'x-auth-token': TOKEN, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  async function volumeRow(id: string): Promise<Record<string, string | null>> {
    return (await stack.sql(`SELECT status, migration_status, host, provider_location FROM volumes WHERE id = $1`, [id]))[0];
  }

  /** A server with one 1 GiB volume attached, and its guest. */
  async function serverWithVolume(name: string) {
    const server = await compute('POST', '/v2.1/servers', { server: { name } });
    expect(server.status).toBe(202);
    const serverId = server.body.server.id as string;
    const volumeId = await stack.createVolume({ size: 1 });
    const attach = await compute('POST', `/v2.1/servers/${serverId}/os-volume_attachments`, { volumeAttachment: { volumeId } });
    expect(attach.status).toBe(200);
    const device = (attach.body.volumeAttachment.device as string).replace('/dev/', '');
    const shown = await compute('GET', `/v2.1/servers/${serverId}`);
    const path = shown.body.server.devices[0].path as string;
    return { serverId, volumeId, device, path, guest: new ComputeGuest(computeUrl, serverId, device, TOKEN, SPAN) };
  }

  /** Cinder's os-migrate_volume to the other storage host; the worker asks this compute host to swap. */
  async function migrate(volumeId: string): Promise<void> {
    const host = (await volumeRow(volumeId)).host as string;
    const dest = host.startsWith('host-a') ? 'host-b@file#pool1' : 'host-a@file#pool1';
    const res = await stack.request('POST', `/v3/${PROJECT}/volumes/${volumeId}/action`, {
      headers: ADMIN,
      body: { 'os-migrate_volume': { host: dest, force_host_copy: false } },
    });
    expect(res.status).toBe(202);
  }

  async function waitMigrationStatus(volumeId: string, statuses: string[], timeoutMs = 20_000): Promise<string> {
    let last: string | null = null;
    await stack.waitFor(
      async () => {
        last = (await volumeRow(volumeId)).migration_status;
        return last !== null && statuses.includes(last);
      },
      `migration_status in ${statuses.join(',')}`,
      timeoutMs,
    );
    return last as unknown as string;
  }

  let config: ReturnType<typeof loadNovaBridgeConfig>;
  async function startAdapter(): Promise<void> {
    const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
    adapter = new LocalComputeAdapter({ ds, nats, config, log, policy: PolicyEnforcer.create() }, openGuest);
    await adapter.start();
    computeUrl = adapter.apiUrl as string;
  }

  beforeAll(async () => {
    stack = await TestStack.start();
    let apiUrl = stack.apiUrl;
    if (!apiUrl) {
      await stack.api.app.listen(0, '127.0.0.1');
      const address = stack.api.app.getHttpServer().address() as { port: number };
      apiUrl = `http://127.0.0.1:${address.port}`;
    }
    ds = await createDataSource({ url: stack.db.url }).initialize();
    nats = await stack.nats();
    config = loadNovaBridgeConfig({
      ...stack.env,
      NOVA_BRIDGE_HOST: 'compute-test',
      NOVA_ADAPTER: 'local',
      VOLUME_API_URL: apiUrl,
      COMPUTE_API_PORT: '0',
      SWAP_STALL_TIMEOUT_S: '10',
    });
    await startAdapter();
    // What nova-bridge's module does with the adapter.
    nats.serve(ComputeSubjects.swapVolume, (req) => adapter.swapVolume(req));
    nats.serve(ComputeSubjects.swapProgress, (req) => adapter.swapProgress(req));
    nats.serve(ComputeSubjects.cancelSwap, (req) => adapter.cancelSwap(req));
    await nats.connection.flush();
  }, 30_000);

  afterAll(async () => {
    await adapter?.stop();
    await ds?.destroy();
    await stack?.stop();
  });

  it('when a volume is attached, then it is in-use, listed, and guest writes, flushes and reads land in its file', async () => {
    const { serverId, volumeId, device, path, guest } = await serverWithVolume('vm-attach');
    expect(device).toBe('vdb');
    const volume = await stack.request('GET', `/v3/${PROJECT}/volumes/${volumeId}`, { headers: ADMIN });
    expect(volume.body.volume.status).toBe('in-use');
    expect(volume.body.volume.attachments).toEqual([expect.objectContaining({ server_id: serverId, device: '/dev/vdb' })]);
    const listed = await compute('GET', `/v2.1/servers/${serverId}/os-volume_attachments`);
    expect(listed.body).toEqual({ volumeAttachments: [{ id: volumeId, serverId, volumeId, device: '/dev/vdb' }] });

    const data = randomBytes(MIB);
    await guest.write(3 * MIB, data);
    await guest.flush();
    expect((await guest.read(3 * MIB, MIB)).equals(data)).toBe(true);
    expect((await readRange(path, 3 * MIB, MIB)).equals(data)).toBe(true);
  });

  it('when the compute API gets bad input, then it answers Nova fault bodies, never a 500', async () => {
    const { serverId, device } = await serverWithVolume('vm-faults');
    expect(await compute('GET', `/v2.1/servers/00000000-0000-4000-8000-000000000000`)).toEqual({
      status: 404,
      body: { itemNotFound: { code: 404, message: 'Instance 00000000-0000-4000-8000-000000000000 could not be found.' } },
    });
    expect((await compute('POST', '/v2.1/servers', { server: {} })).body).toHaveProperty('badRequest.code', 400);
    const beyond = await compute('GET', `/v2.1/servers/${serverId}/devices/${device}/data?offset=${1024 ** 3}&length=1`);
    expect(beyond.status).toBe(400);
    expect((await compute('GET', `/v2.1/servers/${serverId}/devices/${device}/data?offset=-1&length=1`)).status).toBe(400);
    expect((await compute('GET', `/v2.1/servers/${serverId}/devices/vdz/data?length=1`)).status).toBe(404);
    const missingVolume = await compute('POST', `/v2.1/servers/${serverId}/os-volume_attachments`, {
      volumeAttachment: { volumeId: '00000000-0000-4000-8000-000000000000' },
    });
    expect(missingVolume).toEqual({
      status: 404,
      body: { itemNotFound: { code: 404, message: 'Volume 00000000-0000-4000-8000-000000000000 could not be found.' } },
    });
  });

  it('when a swap is asked for a volume that is not migrating or a server that does not exist, then it is refused as Nova refuses it', async () => {
    const { serverId, volumeId } = await serverWithVolume('vm-refuse');
    const other = await stack.createVolume({ size: 1 });
    const req = { migrationId: '00000000-0000-4000-8000-000000000001', serverId, attachmentId: volumeId, oldVolumeId: volumeId, newVolumeId: other };
    await expect(adapter.swapVolume(req)).rejects.toMatchObject({
      code: 'NOVA.CONFLICT',
      message: `volume ${volumeId} is not migrating; this API should only be called by Cinder`,
    });
    const unknown = { ...req, serverId: '00000000-0000-4000-8000-000000000002' };
    await expect(adapter.swapVolume(unknown)).rejects.toBeInstanceOf(CodedError);
    await expect(adapter.swapVolume(unknown)).rejects.toMatchObject({ code: 'NOVA.NOT_FOUND' });
    await expect(adapter.swapVolume({ ...req, oldVolumeId: other })).rejects.toMatchObject({ code: 'NOVA.NOT_FOUND' });
    await expect(adapter.swapVolume({ ...req, serverId: 'not-a-uuid' })).rejects.toMatchObject({ code: 'NOVA.NOT_FOUND' });
    expect(await adapter.swapProgress({ volumeId: 'not-a-uuid' })).toMatchObject({ progress: null, phase: null });
    // Nothing changed: the volume is still in-use, no swap recorded.
    expect((await volumeRow(volumeId)).status).toBe('in-use');
    expect(await adapter.swapProgress({ volumeId })).toMatchObject({ progress: null, phase: null, source: 'local' });
    expect(await adapter.cancelSwap({ volumeId, reason: 'test' })).toEqual({ outcome: 'not-found', phase: null });
  });

  it('when an attached volume migrates while the guest writes, then the guest ends on the new volume with every write, and progress never goes back nor reaches 100', async () => {
    const { serverId, volumeId, path: oldPath, guest } = await serverWithVolume('vm-swap');
    await guest.fill(32);
    // Throttled, so that the guest writes behind and ahead of the copier for a while.
    mirrorOptions.set(oldPath, { bytesPerSecond: 4 * MIB });
    guest.start(5);
    const seen: number[] = [];
    let writesDuringCopy = 0;
    await migrate(volumeId);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const reply = await adapter.swapProgress({ volumeId });
      if (reply.progress !== null) seen.push(Number(reply.progress));
      if (reply.phase === 'copying' && writesDuringCopy === 0) writesDuringCopy = guest.writes;
      if ((await volumeRow(volumeId)).migration_status === 'success') break;
      if (Date.now() > deadline) throw new Error(`swap did not complete: ${JSON.stringify(reply)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const writesAtEnd = guest.writes;
    await new Promise((r) => setTimeout(r, 200));
    await guest.stop();
    expect(guest.errors).toEqual([]);
    expect(writesDuringCopy).toBeGreaterThan(0);
    expect(writesAtEnd).toBeGreaterThan(writesDuringCopy);

    expect(seen.length).toBeGreaterThan(0);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
    expect(Math.max(...seen)).toBeLessThanOrEqual(99);

    const shown = await compute('GET', `/v2.1/servers/${serverId}`);
    const dev = shown.body.server.devices[0];
    expect(dev.volumeId).toBe(volumeId);
    expect(dev.path).not.toBe(oldPath);
    const row = await volumeRow(volumeId);
    expect(row.status).toBe('in-use');
    expect(dev.path).toBe(row.provider_location);
    expect((await readRange(dev.path, 0, SPAN)).equals(guest.model)).toBe(true);
    expect((await guest.read(0, SPAN)).equals(guest.model)).toBe(true);
    const swap = await compute('GET', `/v2.1/servers/${serverId}/os-volume_attachments/${volumeId}/swap`);
    expect(swap.body.swap).toMatchObject({ phase: 'completed', progress: null, oldVolumeId: volumeId });
    expect(await adapter.cancelSwap({ volumeId, reason: 'too late' })).toEqual({ outcome: 'past-pivot', phase: 'completed' });
    const attachment = await stack.sql(`SELECT id, attach_status FROM volume_attachments WHERE volume_id = $1`, [volumeId]);
    expect(attachment).toEqual([{ id: dev.attachmentId, attach_status: 'attached' }]);
  }, 30_000);

  it('when the destination fails before the pivot, then the swap rolls back, the source holds every write and the guest keeps writing to it', async () => {
    const { serverId, volumeId, path: sourcePath, guest } = await serverWithVolume('vm-fail');
    await guest.fill(32);
    mirrorOptions.set(sourcePath, { bytesPerSecond: 4 * MIB, hooks: { openTarget: failingTarget(MIB) } });
    guest.start(5);
    await migrate(volumeId);
    expect(await waitMigrationStatus(volumeId, ['success', 'error'])).toBe('error');
    const writesAtRollback = guest.writes;
    await new Promise((r) => setTimeout(r, 300));
    await guest.stop();
    expect(guest.errors).toEqual([]);
    expect(guest.writes).toBeGreaterThan(writesAtRollback);

    const dev = (await compute('GET', `/v2.1/servers/${serverId}`)).body.server.devices[0];
    expect(dev).toMatchObject({ volumeId, path: sourcePath });
    expect((await readRange(sourcePath, 0, SPAN)).equals(guest.model)).toBe(true);
    expect((await volumeRow(volumeId)).status).toBe('in-use');
    const swap = await compute('GET', `/v2.1/servers/${serverId}/os-volume_attachments/${volumeId}/swap`);
    expect(swap.body.swap).toMatchObject({ phase: 'failed', progress: null });
    expect(swap.body.swap.error).toMatch(/EIO/);
    expect(await adapter.swapProgress({ volumeId })).toMatchObject({ progress: null, phase: 'failed' });
  }, 30_000);

  it('when a swap is cancelled before its pivot, then it rolls back and the migration ends in error with the guest on the source', async () => {
    const { serverId, volumeId, path: sourcePath, guest } = await serverWithVolume('vm-cancel');
    await guest.fill(64);
    mirrorOptions.set(sourcePath, { bytesPerSecond: 512 * 1024 });
    await migrate(volumeId);
    await stack.waitFor(async () => (await adapter.swapProgress({ volumeId })).phase === 'copying', 'copying');
    expect(await adapter.cancelSwap({ volumeId, reason: 'watchdog: stalled' })).toEqual({ outcome: 'cancelled', phase: 'cancelled' });
    expect(await waitMigrationStatus(volumeId, ['success', 'error'])).toBe('error');
    await guest.write(0, randomBytes(BLOCK));
    await guest.flush();
    expect((await readRange(sourcePath, 0, SPAN)).equals(guest.model)).toBe(true);
    const dev = (await compute('GET', `/v2.1/servers/${serverId}`)).body.server.devices[0];
    expect(dev.path).toBe(sourcePath);
  }, 30_000);

  it('when nova-bridge stops mid-copy and starts again, then the swap resumes onto the same target, pivots, and the guest goes on with its data on the destination', async () => {
    const { serverId, volumeId, path: sourcePath, device, guest } = await serverWithVolume('vm-restart');
    await guest.fill(64);
    mirrorOptions.set(sourcePath, { bytesPerSecond: 512 * 1024 });
    await migrate(volumeId);
    await stack.waitFor(async () => (await adapter.swapProgress({ volumeId })).phase === 'copying', 'copying');
    await adapter.stop();
    const [swap] = await stack.sql(`SELECT phase, target_path FROM compute_swaps WHERE old_volume_id = $1`, [volumeId]);
    expect(swap.phase).toBe('copying');
    // The guest wrote on while the bridge was away: the resumed mirror must carry that too.
    const offline = await open(sourcePath, 'r+');
    const late = randomBytes(BLOCK);
    await offline.write(late, 0, BLOCK, 3 * BLOCK);
    await offline.close();
    late.copy(guest.model, 3 * BLOCK);
    mirrorOptions.set(sourcePath, {});
    await startAdapter();
    expect(await waitMigrationStatus(volumeId, ['success', 'error'])).toBe('success');
    const dev = (await compute('GET', `/v2.1/servers/${serverId}`)).body.server.devices[0];
    expect(dev.path).toBe(swap.target_path);
    const after = new ComputeGuest(computeUrl, serverId, device, TOKEN, SPAN);
    guest.model.copy(after.model);
    expect((await after.read(0, SPAN)).equals(after.model)).toBe(true);
    await after.write(BLOCK, randomBytes(BLOCK));
    await after.flush();
    expect((await readRange(swap.target_path, 0, SPAN)).equals(after.model)).toBe(true);
    expect((await volumeRow(volumeId)).status).toBe('in-use');
  }, 30_000);
});
