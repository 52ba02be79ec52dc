import { randomBytes } from 'node:crypto';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileSha256 as sha256 } from '@volume/testing';
import { ADMIN, PROJECT, TestStack } from '@volume/testing-stack';

// 3.73's controls of a migration on the real stack (issue 14 §2): the pre-flight estimate against
// real durations, a bandwidth change mid-copy, and a cancel before and after the switch-over.

jest.setTimeout(180_000);

const MIB = 1024 * 1024;
/** The hosts' ceiling for all their copies together: above every migration's own limit below. */
const HOST_LIMIT = 32 * MIB;
const INSTANCE = '9a0c2a52-8c1e-4d6f-9a77-1b2c3d4e5f61';
const DEST = 'host-b@file#pool1';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Resource = Record<string, any>;

describe('migration controls (3.73, real apps, PostgreSQL, NATS)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    // host-b's pools are small: the capacity weigher puts every new volume on host-a, so that each
    // migration to DEST goes between the same two hosts.
    stack = await TestStack.start({
      workerEnv: (host) => ({ VOLUME_COPY_BPS_LIMIT: String(HOST_LIMIT), ...(host === 'host-b' ? { VOLUME_POOL_CAPACITY_GB: '20' } : {}) }),
    });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** A 1 GiB volume on host-a holding three `runMib` MiB runs of random data (the rest holes); its file's path. */
  async function filledVolume(name: string, runMib: number): Promise<{ id: string; path: string }> {
    const id = await stack.createVolume({ size: 1, name });
    const [{ host }] = await stack.sql(`SELECT host FROM volumes WHERE id = $1`, [id]);
    expect(host).toMatch(/^host-a@/);
    const att = await stack.request('POST', `/v3/${PROJECT}/attachments`, {
      headers: ADMIN,
      version: '3.44',
      body: { attachment: { volume_uuid: id, instance_uuid: INSTANCE, connector: { host: 'test' } } },
    });
    const path = att.body.attachment.connection_info.data.device_path as string;
    const fh = await open(path, 'r+');
    for (const offset of [0, 300, 700]) await fh.write(randomBytes(runMib * MIB), 0, runMib * MIB, offset * MIB);
    await fh.close();
    await stack.request('DELETE', `/v3/${PROJECT}/attachments/${att.body.attachment.id}`, { headers: ADMIN, version: '3.44' });
    return { id, path };
  }

  function act(volumeId: string, body: unknown) {
    return stack.request('POST', `/v3/${PROJECT}/volumes/${volumeId}/action`, { headers: ADMIN, version: '3.73', body });
  }

  /** Starts a host copy to DEST; its migration's URL. */
  async function migrate(volumeId: string, bandwidth?: number): Promise<string> {
    const args = { host: DEST, force_host_copy: 'True', ...(bandwidth ? { bandwidth_bytes_per_second: bandwidth } : {}) };
    expect((await act(volumeId, { 'os-migrate_volume': args })).status).toBe(202);
    const [m] = (await stack.request('GET', `/v3/${PROJECT}/volume-migrations?volume_id=${volumeId}&limit=1`, { headers: ADMIN, version: '3.73' })).body
      .volume_migrations;
    return `/v3/${PROJECT}/volume-migrations/${m.id}`;
  }

  async function show(url: string): Promise<Resource> {
    return (await stack.request('GET', url, { headers: ADMIN, version: '3.73' })).body.volume_migration;
  }

  async function until(url: string, done: (m: Resource) => boolean, what: string, timeoutMs = 60_000): Promise<Resource> {
    let last: Resource = {};
    await stack.waitFor(async () => done((last = await show(url))), what, timeoutMs);
    return last;
  }

  /** The files of the stack's workers named for `volumeName`. */
  async function filesOf(volumeName: string): Promise<string[]> {
    const entries = await readdir(stack.dataDir, { recursive: true });
    return entries.filter((e) => e.endsWith(`volume-${volumeName}`)).map((e) => join(stack.dataDir, e));
  }

  /** The estimate of moving `volumeId` to DEST, with the bandwidth it would be started with. */
  async function estimateOf(volumeId: string, bandwidth?: number): Promise<Resource> {
    const asked = await stack.request('POST', `/v3/${PROJECT}/volume-migrations/estimate`, {
      headers: ADMIN,
      version: '3.73',
      body: { volume_id: volumeId, host: DEST, ...(bandwidth ? { bandwidth_bytes_per_second: bandwidth } : {}) },
    });
    expect(asked.status).toBe(200);
    return asked.body.estimate;
  }

  async function migrated(volumeId: string, bandwidth?: number): Promise<Resource> {
    const done = await until(await migrate(volumeId, bandwidth), (m) => m.status !== 'running', 'a copy');
    expect(done.status).toBe('success');
    return done;
  }

  const offBy = (estimate: Resource, done: Resource) => Math.abs(estimate.expected_seconds - done.duration_seconds) / done.duration_seconds;

  it('when throttled and unthrottled copies between two hosts are recorded, then an estimate is within 25 % of a real copy, with and without a bandwidth', async () => {
    // History: a copy under its own limit (its rate is the limit's: 24 MiB at 4 MiB/s) and two at
    // the hosts' pace (144 MiB each at the hosts' ceiling, some 4.5 s: long enough that whole seconds are close).
    await migrated((await filledVolume('history-throttled', 8)).id, 4 * MIB);
    for (let i = 0; i < 2; i++) await migrated((await filledVolume(`history-${i}`, 48)).id);

    const free = (await filledVolume('estimated', 48)).id;
    const throttled = (await filledVolume('estimated-throttled', 24)).id;
    const unlimited = await estimateOf(free);
    expect(unlimited).toMatchObject({
      bytes_to_copy: 144 * MIB,
      total_bytes: 1024 * MIB,
      basis: { migrations: 2, between: ['host-a@file', 'host-b@file'] },
      confidence: 'history',
      limited_by: null,
    });
    const THROTTLE = 12 * MIB;
    const limited = await estimateOf(throttled, THROTTLE);
    expect(limited).toMatchObject({ expected_rate_bytes_per_second: THROTTLE, expected_seconds: 6, basis: { migrations: 2 }, limited_by: 'bandwidth' });
    // Pre-flight: the volume is where it was, and nothing migrates.
    const [v] = await stack.sql(`SELECT migration_status FROM volumes WHERE id = $1`, [free]);
    expect(v.migration_status).toBeNull();

    expect(offBy(unlimited, await migrated(free))).toBeLessThanOrEqual(0.25);
    expect(offBy(limited, await migrated(throttled, THROTTLE))).toBeLessThanOrEqual(0.25);
  });

  it('when the bandwidth of a running copy is raised, then its rate shows it within 3 s, and the copy ends', async () => {
    const OLD = 2 * MIB;
    const { id } = await filledVolume('steered', 24);
    const url = await migrate(id, OLD);
    // A few seconds at the old limit, so that the rate is the old limit's.
    const before = await until(url, (m) => m.phase === 'copying' && m.source === 'live' && m.rate_bytes_per_second !== null && m.read_bytes >= 8 * MIB, 'copying');
    expect(before.bandwidth_limit).toBe(OLD);
    expect(before.rate_bytes_per_second).toBeLessThan(OLD * 1.5);

    const changedAt = Date.now();
    expect((await act(id, { 'os-migrate_volume_set_bandwidth': { bytes_per_second: 16 * MIB } })).status).toBe(202);
    const faster = await until(url, (m) => m.status !== 'running' || m.rate_bytes_per_second > 3 * OLD, 'the rate to follow the new limit', 10_000);
    expect(faster.status).toBe('running');
    expect(Date.now() - changedAt).toBeLessThanOrEqual(3000);
    expect(faster.bandwidth_limit).toBe(16 * MIB);
    expect((await until(url, (m) => m.status !== 'running', 'the steered copy')).status).toBe('success');
  });

  it('when a copy is cancelled before its switch-over, then the source is byte-identical, the destination gone, and it can migrate again', async () => {
    const { id, path } = await filledVolume('cancelled', 24);
    const original = await sha256(path);
    const url = await migrate(id, 2 * MIB);
    const copying = await until(url, (m) => m.phase === 'copying' && m.processed_bytes > 0, 'copying');
    const [{ dest_volume_id: destId }] = await stack.sql(`SELECT dest_volume_id FROM volume_migrations WHERE id = $1`, [copying.id]);
    expect(await filesOf(destId)).toHaveLength(1);

    expect((await act(id, { 'os-migrate_volume_cancel': null })).status).toBe(202);
    const ended = await until(url, (m) => m.status === 'cancelled', 'the cancel', 15_000);
    expect(ended).toMatchObject({ status: 'cancelled', error: null });
    const [volume] = await stack.sql(`SELECT migration_status, status, host FROM volumes WHERE id = $1`, [id]);
    expect(volume).toMatchObject({ migration_status: 'cancelled', status: 'available' });
    expect(volume.host).toMatch(/^host-a@/);
    expect(await sha256(path)).toBe(original);
    await stack.waitFor(async () => (await stack.sql(`SELECT 1 FROM volumes WHERE id = $1`, [destId])).length === 0, 'the destination row to go');
    expect(await filesOf(destId)).toEqual([]);
    // Repeating it is harmless.
    expect((await act(id, { 'os-migrate_volume_cancel': null })).status).toBe(202);

    const again = await until(await migrate(id), (m) => m.status !== 'running', 'the migration after the cancel');
    expect(again.status).toBe('success');
    const [moved] = await stack.sql(`SELECT COALESCE(name_id::text, id::text) AS name, host FROM volumes WHERE id = $1`, [id]);
    expect(moved.host).toBe(DEST);
    const [file] = (await filesOf(moved.name)).filter((f) => f.includes('host-b'));
    expect(await sha256(file)).toBe(original);

    // Past the switch-over: nothing to undo.
    const late = await act(id, { 'os-migrate_volume_cancel': null });
    expect(late.status).toBe(400);
    expect(late.body.badRequest.message).toBe(`Invalid volume: The migration of volume ${id} is past its switch-over to the destination and cannot be cancelled.`);
  });
});
