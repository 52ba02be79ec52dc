import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import pino from 'pino';
import { CodedError, ComputeSubjects, ErrorCode, MigrationSubjects, SwapVolumeRequest } from '@volume/contracts';
import { NatsService } from '@volume/platform';
import { fileSha256 as sha, readRange } from '@volume/testing';
import { ADMIN, PROJECT, TestStack } from '@volume/testing-stack';
import { createWorkerApp } from '@volume/worker-app';

jest.setTimeout(60_000);

const V = `/v3/${PROJECT}/volumes`;
const MIB = 1024 * 1024;
const SERVER = '3d1b7c4e-5f60-4a1b-9c2d-3e4f5a6b7c8d';

interface Attached {
  id: string;
  attachmentId: string;
  device: string;
  host: string;
}

/**
 * The source-host side of migrating an attached volume (Cinder's generic migration with Nova's swap):
 * the real API, scheduler and workers, and a stand-in nova-bridge that records the swaps it is asked
 * for. The compute side's own steps on the destination (Nova's new attachment) are written as rows,
 * so that these tests hold whatever the API accepts of them.
 */
describe('migrating an attached volume: scheduler and source worker (real apps, PostgreSQL, NATS)', () => {
  let stack: TestStack;
  let bridge: NatsService;
  const swaps: SwapVolumeRequest[] = [];
  /** Volumes whose swaps the stand-in refuses, as Nova's 409 would. */
  const refuse = new Set<string>();

  beforeAll(async () => {
    stack = await TestStack.start();
    bridge = await NatsService.connect(stack.env.NATS_URL, 'nova-bridge-stand-in', pino({ level: 'silent' }), stack.env.NATS_SUBJECT_PREFIX);
    bridge.serve(ComputeSubjects.swapVolume, (req) => {
      swaps.push(req);
      if (refuse.has(req.oldVolumeId)) throw new CodedError(ErrorCode.ComputeConflict, `Server ${req.serverId} is busy`);
      return { accepted: true as const };
    });
    await bridge.connection.flush();
  });

  afterAll(async () => {
    await bridge?.drain();
    await stack?.stop();
  });

  /** A volume with data, attached to SERVER through the API (3.44 attachment, then os-complete). */
  async function attachedVolume(): Promise<Attached> {
    const id = await stack.createVolume({ size: 1 });
    const created = await stack.request('POST', `/v3/${PROJECT}/attachments`, {
      headers: ADMIN,
      version: '3.44',
      body: { attachment: { volume_uuid: id, instance_uuid: SERVER, connector: { host: 'compute-1', mountpoint: '/dev/vdb' } } },
    });
    expect(created.status).toBe(200);
    const attachmentId = created.body.attachment.id as string;
    const done = await stack.request('POST', `/v3/${PROJECT}/attachments/${attachmentId}/action`, {
      headers: ADMIN,
      version: '3.44',
      body: { 'os-complete': null },
    });
    expect(done.status).toBe(204);
    const device = created.body.attachment.connection_info.data.device_path as string;
    const fh = await open(device, 'r+');
    await fh.write(randomBytes(2 * MIB), 0, 2 * MIB, 3 * MIB);
    await fh.close();
    const [row] = await stack.sql(`SELECT status, attach_status, host FROM volumes WHERE id = $1`, [id]);
    expect(row).toMatchObject({ status: 'in-use', attach_status: 'attached' });
    return { id, attachmentId, device, host: row.host };
  }

  /** os-migrate_volume through the API; the scheduler and the source worker take it from there. */
  async function migrate(v: Attached, destHost: string): Promise<string> {
    const res = await stack.request('POST', `${V}/${v.id}/action`, {
      headers: ADMIN,
      version: '3.72',
      body: { 'os-migrate_volume': { host: destHost } },
    });
    expect(res.status).toBe(202);
    const [m] = await stack.sql(`SELECT id FROM volume_migrations WHERE volume_id = $1`, [v.id]);
    return m.id;
  }

  async function migrationRow(migrationId: string) {
    return (await stack.sql(`SELECT status, mode, dest_volume_id, dest_host, error FROM volume_migrations WHERE id = $1`, [migrationId]))[0];
  }

  async function waitForMode(migrationId: string): Promise<void> {
    await stack.waitFor(async () => {
      const m = await migrationRow(migrationId);
      return (m.mode === 'compute-swap' && swaps.some((s) => s.migrationId === migrationId)) || m.status === 'error';
    }, 'the hand-over to the compute side');
  }

  const otherHost = (host: string) => (host.startsWith('host-a') ? 'host-b@file#pool1' : 'host-a@file#pool1');
  const otherPool = (host: string) => host.replace(/#pool[12]$/, host.endsWith('pool1') ? '#pool2' : '#pool1');
  const workerOf = (host: string) => host.split('@')[0];

  /** What Nova does on the destination before it calls the completion: attach it, then drop the old attachment. */
  async function novaSwapsOnto(v: Attached, newVolumeId: string): Promise<string> {
    const newAttachment = randomUUID();
    await stack.sql(
      `INSERT INTO volume_attachments (id, volume_id, project_id, instance_uuid, attached_host, mountpoint, attach_status, attach_mode,
                                       connector, attach_time, created_at)
       VALUES ($1, $2, $3, $4, 'compute-1', '/dev/vdb', 'attached', 'rw', '{"host": "compute-1"}', now(), now())`,
      [newAttachment, newVolumeId, PROJECT, SERVER],
    );
    await stack.sql(`UPDATE volumes SET status = 'in-use', attach_status = 'attached' WHERE id = $1`, [newVolumeId]);
    await stack.sql(`DELETE FROM volume_attachments WHERE id = $1`, [v.attachmentId]);
    await stack.sql(`UPDATE volumes SET attach_status = 'detached' WHERE id = $1`, [v.id]);
    return newAttachment;
  }

  it('when an in-use volume migrates to another pool of its own host, then it is host-assisted and the worker asks the compute side to swap, copying nothing', async () => {
    const v = await attachedVolume();
    const dest = otherPool(v.host);

    const migrationId = await migrate(v, dest);
    await waitForMode(migrationId);

    const m = await migrationRow(migrationId);
    expect(m).toMatchObject({ status: 'migrating', mode: 'compute-swap', dest_host: dest });
    expect(m.dest_volume_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(swaps.filter((s) => s.oldVolumeId === v.id)).toEqual([
      { migrationId, serverId: SERVER, attachmentId: v.attachmentId, oldVolumeId: v.id, newVolumeId: m.dest_volume_id },
    ]);
    const [vol] = await stack.sql(`SELECT status, attach_status, migration_status, host FROM volumes WHERE id = $1`, [v.id]);
    expect(vol).toMatchObject({ status: 'in-use', attach_status: 'attached', migration_status: 'migrating', host: v.host });
    const [target] = await stack.sql(`SELECT status, host, migration_status, provider_location FROM volumes WHERE id = $1`, [m.dest_volume_id]);
    expect(target).toMatchObject({ status: 'available', host: dest, migration_status: `target:${v.id}` });
    // The worker left the data to the compute side: the destination holds none of it.
    expect((await readRange(target.provider_location, 3 * MIB, 2 * MIB)).equals(Buffer.alloc(2 * MIB))).toBe(true);
    expect((await readRange(v.device, 3 * MIB, 2 * MIB)).equals(Buffer.alloc(2 * MIB))).toBe(false);

    // The source host restarts while the compute side swaps: it resumes copies, never this.
    const host = workerOf(v.host);
    await stack.workers.get(host)?.close();
    stack.workers.set(host, await createWorkerApp(stack.workerEnv(host)));
    await new Promise((r) => setTimeout(r, 500));
    expect(swaps.filter((s) => s.oldVolumeId === v.id)).toHaveLength(1);
    expect(await migrationRow(migrationId)).toMatchObject({ status: 'migrating', mode: 'compute-swap' });
    expect(await stack.sql(`SELECT status, migration_status FROM volumes WHERE id = $1`, [m.dest_volume_id])).toEqual([
      { status: 'available', migration_status: `target:${v.id}` },
    ]);
  });

  it('when a completion without error names a destination its host is still copying to, then it is refused and nothing swaps', async () => {
    const id = await stack.createVolume({ size: 1 });
    const [{ host }] = await stack.sql(`SELECT host FROM volumes WHERE id = $1`, [id]);
    const newVolumeId = await stack.createVolume({ size: 1 });
    await stack.sql(`UPDATE volumes SET migration_status = 'migrating', previous_status = 'available' WHERE id = $1`, [id]);
    await stack.sql(`UPDATE volumes SET migration_status = $2 WHERE id = $1`, [newVolumeId, `target:${id}`]);
    await stack.sql(
      `INSERT INTO volume_migrations (id, volume_id, dest_volume_id, source_host, dest_host, mode, status, started_at, updated_at)
       VALUES ($1, $2, $3, $4, $4, 'host-assisted', 'migrating', now(), now())`,
      [randomUUID(), id, newVolumeId, host],
    );

    await expect(
      (await stack.nats()).call(MigrationSubjects.completion, { volumeId: id, newVolumeId, error: false }, { host: workerOf(host) }),
    ).rejects.toMatchObject({ code: ErrorCode.InvalidVolume, message: expect.stringMatching(/being copied by its host/) });
    const [vol] = await stack.sql(`SELECT migration_status, host, name_id FROM volumes WHERE id = $1`, [id]);
    expect(vol).toEqual({ migration_status: 'migrating', host, name_id: null });
  });

  it('when the compute side refuses the swap, then the migration ends in error, the destination goes and the source is untouched', async () => {
    const v = await attachedVolume();
    refuse.add(v.id);
    const before = await sha(v.device);

    const migrationId = await migrate(v, otherHost(v.host));
    await stack.waitFor(async () => (await migrationRow(migrationId)).status === 'error', 'the migration to fail');

    const m = await migrationRow(migrationId);
    expect(m.error).toContain(ErrorCode.ComputeConflict);
    expect(swaps.filter((s) => s.oldVolumeId === v.id)).toHaveLength(1);
    expect(await stack.sql(`SELECT id FROM volumes WHERE id = $1`, [m.dest_volume_id])).toEqual([]);
    const [vol] = await stack.sql(`SELECT status, attach_status, migration_status, host FROM volumes WHERE id = $1`, [v.id]);
    expect(vol).toMatchObject({ status: 'in-use', attach_status: 'attached', migration_status: 'error', host: v.host });
    expect(await stack.sql(`SELECT id FROM volume_attachments WHERE volume_id = $1`, [v.id])).toEqual([{ id: v.attachmentId }]);
    expect(await sha(v.device)).toBe(before);
  });

  it('when the compute side completes with error, then the destination goes, the migration ends in error and the volume stays in-use on its data', async () => {
    const v = await attachedVolume();
    const before = await sha(v.device);
    const migrationId = await migrate(v, otherHost(v.host));
    await waitForMode(migrationId);
    const { dest_volume_id: newVolumeId } = await migrationRow(migrationId);

    const reply = await (await stack.nats()).call(
      MigrationSubjects.completion,
      { volumeId: v.id, newVolumeId, error: true },
      { host: workerOf(v.host) },
    );

    expect(reply).toEqual({ saveVolumeId: v.id });
    expect(await stack.sql(`SELECT id FROM volumes WHERE id = $1`, [newVolumeId])).toEqual([]);
    expect(await migrationRow(migrationId)).toMatchObject({ status: 'error' });
    const [vol] = await stack.sql(`SELECT status, attach_status, migration_status, host, name_id FROM volumes WHERE id = $1`, [v.id]);
    expect(vol).toMatchObject({ status: 'in-use', attach_status: 'attached', migration_status: 'error', host: v.host, name_id: null });
    expect(await sha(v.device)).toBe(before);
  });

  it('when the compute side completes without error, then the rows swap, its attachment moves to the volume, the old data goes, and a repeat answers the same', async () => {
    const v = await attachedVolume();
    const dest = otherHost(v.host);
    const migrationId = await migrate(v, dest);
    await waitForMode(migrationId);
    const { dest_volume_id: newVolumeId } = await migrationRow(migrationId);
    const nats = await stack.nats();
    const complete = (body: { newVolumeId: string; error: boolean }) =>
      nats.call(MigrationSubjects.completion, { volumeId: v.id, ...body }, { host: workerOf(v.host) });

    const stranger = await stack.createVolume({ size: 1 });
    await expect(complete({ newVolumeId: stranger, error: false })).rejects.toMatchObject({
      code: ErrorCode.InvalidVolume,
      message: 'Invalid volume: Destination volume not mid-migration.',
    });
    const newAttachment = await novaSwapsOnto(v, newVolumeId);
    const [target] = await stack.sql(`SELECT provider_location FROM volumes WHERE id = $1`, [newVolumeId]);

    expect(await complete({ newVolumeId, error: false })).toEqual({ saveVolumeId: v.id });

    const [vol] = await stack.sql(
      `SELECT status, attach_status, migration_status, migration_progress, host, name_id, provider_location, updated_at FROM volumes WHERE id = $1`,
      [v.id],
    );
    expect(vol).toMatchObject({
      status: 'in-use',
      attach_status: 'attached',
      migration_status: 'success',
      migration_progress: null,
      host: dest,
      name_id: newVolumeId,
      provider_location: target.provider_location,
    });
    expect(await stack.sql(`SELECT id, volume_id, attach_status FROM volume_attachments WHERE volume_id = ANY($1)`, [[v.id, newVolumeId]])).toEqual([
      { id: newAttachment, volume_id: v.id, attach_status: 'attached' },
    ]);
    expect(await stack.sql(`SELECT id FROM volumes WHERE id = $1`, [newVolumeId])).toEqual([]);
    expect(existsSync(v.device)).toBe(false);
    expect(existsSync(target.provider_location)).toBe(true);
    expect(await migrationRow(migrationId)).toMatchObject({ status: 'success', mode: 'compute-swap' });
    const shown = await stack.request('GET', `${V}/${v.id}`, { headers: ADMIN, version: '3.44' });
    expect(shown.body.volume).toMatchObject({ status: 'in-use', migration_status: 'success', 'os-vol-host-attr:host': dest });
    expect(shown.body.volume.attachments).toEqual([expect.objectContaining({ attachment_id: newAttachment, server_id: SERVER })]);

    // Nova retries a completion whose answer it lost: the same id, and nothing moves.
    expect(await complete({ newVolumeId, error: false })).toEqual({ saveVolumeId: v.id });
    expect(await complete({ newVolumeId, error: true })).toEqual({ saveVolumeId: v.id });
    const [again] = await stack.sql(`SELECT status, migration_status, host, updated_at FROM volumes WHERE id = $1`, [v.id]);
    expect(again).toEqual({ status: 'in-use', migration_status: 'success', host: dest, updated_at: vol.updated_at });
  });
});
