import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { fileSha256 as sha, freePort } from '@volume/testing';
import { ADMIN, MEMBER, PROJECT, TestStack } from '@volume/testing-stack';

// Migrations are throttled on purpose, so that progress can be watched: give them time.
jest.setTimeout(120_000);

const V = `/v3/${PROJECT}/volumes`;
const MIB = 1024 * 1024;
const INSTANCE = '9a0c2a52-8c1e-4d6f-9a77-1b2c3d4e5f61';

/** Writes through the volume's attachment, as a consumer would, then detaches; returns the device path. */
async function writeThroughAttachment(stack: TestStack, volumeId: string, chunks: { offset: number; data: Buffer }[]): Promise<string> {
  const att = await stack.request('POST', `/v3/${PROJECT}/attachments`, {
    headers: ADMIN,
    version: '3.44',
    body: { attachment: { volume_uuid: volumeId, instance_uuid: INSTANCE, connector: { host: 'test' } } },
  });
  const device = att.body.attachment.connection_info.data.device_path as string;
  const fh = await open(device, 'r+');
  for (const c of chunks) await fh.write(c.data, 0, c.data.length, c.offset);
  await fh.close();
  await stack.request('DELETE', `/v3/${PROJECT}/attachments/${att.body.attachment.id}`, { headers: ADMIN, version: '3.44' });
  return device;
}

async function devicePathOf(stack: TestStack, volumeId: string): Promise<string> {
  const att = await stack.request('POST', `/v3/${PROJECT}/attachments`, {
    headers: ADMIN,
    version: '3.44',
    body: { attachment: { volume_uuid: volumeId, instance_uuid: INSTANCE, connector: { host: 'test' } } },
  });
  await stack.request('DELETE', `/v3/${PROJECT}/attachments/${att.body.attachment.id}`, { headers: ADMIN, version: '3.44' });
  return att.body.attachment.connection_info.data.device_path as string;
}


async function migrate(stack: TestStack, id: string, host: string, extra: Record<string, unknown> = {}, headers = ADMIN) {
  return stack.request('POST', `${V}/${id}/action`, { headers, version: '3.72', body: { 'os-migrate_volume': { host, ...extra } } });
}

/** The source worker's /metrics, scraped every 200 ms until `done` settles: the copy's series seen. */
async function scrapeCopyMetrics(port: number, volumeId: string, done: Promise<unknown>): Promise<{ processed: number[]; eta: number[]; sinceProgress: number[] }> {
  const seen = { processed: [] as number[], eta: [] as number[], sinceProgress: [] as number[] };
  let finished = false;
  const end = () => {
    finished = true;
  };
  done.then(end, end); // the caller awaits `done` itself and sees its failure
  const value = (text: string, name: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{volume_id="${volumeId}"`));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  while (!finished) {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const processed = value(text, 'volume_migration_processed_bytes');
    if (processed !== undefined) seen.processed.push(processed);
    const eta = value(text, 'volume_migration_eta_seconds');
    if (eta !== undefined) seen.eta.push(eta);
    const since = value(text, 'volume_migration_seconds_since_progress');
    if (since !== undefined) seen.sinceProgress.push(since);
    await new Promise((r) => setTimeout(r, 200));
  }
  return seen;
}

describe('volume migration with live migration_progress (real apps, PostgreSQL, NATS)', () => {
  let stack: TestStack;
  const healthPorts: Record<string, number> = {};

  beforeAll(async () => {
    for (const host of ['host-a', 'host-b']) healthPorts[host] = await freePort();
    // 24 MiB/s per worker: a 64 MiB copy takes a few seconds, long enough to watch. Each worker
    // also serves its probes and /metrics.
    stack = await TestStack.start({
      workerEnv: (host) => ({ VOLUME_COPY_BPS_LIMIT: String(24 * MIB), HEALTH_PORT: String(healthPorts[host]) }),
    });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('when an admin migrates a volume with data to another host, then 3.72 shows rising progress and the data arrives intact', async () => {
    const id = await stack.createVolume({ size: 1, name: 'moving' });
    const before = await stack.request('GET', `${V}/${id}`, { headers: ADMIN, version: '3.72' });
    const sourceHost = before.body.volume['os-vol-host-attr:host'] as string;
    const destHost = sourceHost.startsWith('host-a') ? 'host-b@file#pool1' : 'host-a@file#pool1';
    const chunks = [0, 300, 700].map((m) => ({ offset: m * MIB, data: randomBytes(24 * MIB) }));
    const oldDevice = await writeThroughAttachment(stack, id, chunks);
    const want = await sha(oldDevice);

    const res = await migrate(stack, id, destHost, { force_host_copy: 'True' });
    expect(res.status).toBe(202);

    const watching = stack.watchMigration(id, 60_000);
    const scraped = await scrapeCopyMetrics(healthPorts[sourceHost.split('@')[0]], id, watching);
    const { seen, hiddenBelow372, hiddenFromMember, hiddenFromList } = await watching;

    const after = await stack.request('GET', `${V}/${id}`, { headers: ADMIN, version: '3.72' });
    expect(after.body.volume).toMatchObject({ id, status: 'available', migration_status: 'success', 'os-vol-host-attr:host': destHost });
    expect(after.body.volume['os-vol-mig-status-attr:name_id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(after.body.volume).not.toHaveProperty('migration_progress');
    const numeric = seen.map(Number);
    expect(numeric.length).toBeGreaterThanOrEqual(3);
    expect(numeric).toEqual([...numeric].sort((a, b) => a - b));
    expect(hiddenBelow372).toBe(true);
    expect(hiddenFromMember).toBe(true);
    expect(hiddenFromList).toBe(true);
    // The source worker's metrics followed the copy: processed bytes rising, a time left once it
    // had a rate, and never long since the copy last moved.
    expect(new Set(scraped.processed).size).toBeGreaterThanOrEqual(3);
    expect(scraped.processed).toEqual([...scraped.processed].sort((a, b) => a - b));
    expect(scraped.eta.length).toBeGreaterThan(0);
    expect(Math.max(...scraped.eta)).toBeLessThan(60);
    expect(Math.max(...scraped.sinceProgress)).toBeLessThan(5);

    const newDevice = await devicePathOf(stack, id);
    expect(newDevice).not.toBe(oldDevice);
    expect(await sha(newDevice)).toBe(want);
    expect(existsSync(oldDevice)).toBe(false);
    const rows = await stack.sql(`SELECT id FROM volumes WHERE migration_status LIKE 'target:%' OR id <> $1 AND display_name = 'moving'`, [id]);
    expect(rows).toEqual([]);
    const [m] = await stack.sql(`SELECT status, mode, bytes_done::bigint AS done, bytes_total::bigint AS total FROM volume_migrations WHERE volume_id = $1`, [id]);
    expect(m).toMatchObject({ status: 'success', mode: 'host-assisted' });
    expect(m.done).toBe(m.total);
  });

  it('when the destination is a pool of the same host and no copy is forced, then the driver moves the data', async () => {
    const id = await stack.createVolume({ size: 1 });
    const shown = await stack.request('GET', `${V}/${id}`, { headers: ADMIN, version: '3.72' });
    const src = shown.body.volume['os-vol-host-attr:host'] as string;
    const dest = src.replace(/#pool[12]$/, src.endsWith('pool1') ? '#pool2' : '#pool1');
    const data = randomBytes(MIB);
    const oldDevice = await writeThroughAttachment(stack, id, [{ offset: 5 * MIB, data }]);
    expect((await migrate(stack, id, dest)).status).toBe(202);
    await stack.waitFor(async () => (await stack.sql(`SELECT migration_status FROM volumes WHERE id = $1`, [id]))[0].migration_status === 'success', 'moved');
    const [m] = await stack.sql(`SELECT mode FROM volume_migrations WHERE volume_id = $1`, [id]);
    expect(m.mode).toBe('driver-assisted');
    const newDevice = await devicePathOf(stack, id);
    expect(existsSync(oldDevice)).toBe(false);
    const fh = await open(newDevice, 'r');
    const back = Buffer.alloc(MIB);
    await fh.read(back, 0, MIB, 5 * MIB);
    await fh.close();
    expect(back.equals(data)).toBe(true);
  });

  it('when migrate is refused, then Cinder answers with its texts and the volume is untouched', async () => {
    const id = await stack.createVolume({ size: 1 });
    const shown = await stack.request('GET', `${V}/${id}`, { headers: ADMIN, version: '3.72' });
    const here = shown.body.volume['os-vol-host-attr:host'] as string;
    const cases: [Record<string, unknown>, number, string][] = [
      [{ host: here }, 400, `Invalid volume: Volume ${id} status must be available or in-use, must not be migrating, have snapshots, be replicated, be part of a group and destination host/cluster must be different than the current one`],
      [{ host: 'nohost@nobackend#nopool' }, 400, "Invalid host: No available service named 'nohost@nobackend#nopool'"],
      [{}, 400, 'Invalid input received: One and only one of cluster and host must be set.'],
      [{ host: 'host-b@file', force_host_copy: 'maybe' }, 400, "Invalid input for field/attribute force_host_copy. Value: maybe. 'maybe' is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', 'y', 't', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no', 'n', 'f']"],
    ];
    for (const [body, status, message] of cases) {
      const res = await stack.request('POST', `${V}/${id}/action`, { headers: ADMIN, version: '3.70', body: { 'os-migrate_volume': body } });
      expect([res.status, res.body.badRequest?.message]).toEqual([status, message]);
    }
    const member = await migrate(stack, id, 'host-b@file', {}, MEMBER);
    expect(member.status).toBe(403);
    expect(member.body.forbidden.message).toBe("Policy doesn't allow volume_extension:volume_admin_actions:migrate_volume to be performed.");
    const after = await stack.request('GET', `${V}/${id}`, { headers: ADMIN, version: '3.72' });
    expect(after.body.volume).toMatchObject({ status: 'available', migration_status: null, 'os-vol-host-attr:host': here });
  });

  it('when two migrate calls race, then exactly one wins', async () => {
    const id = await stack.createVolume({ size: 1 });
    const shown = await stack.request('GET', `${V}/${id}`, { headers: ADMIN, version: '3.72' });
    const dest = (shown.body.volume['os-vol-host-attr:host'] as string).startsWith('host-a') ? 'host-b@file' : 'host-a@file';
    const results = await Promise.all([migrate(stack, id, dest), migrate(stack, id, dest), migrate(stack, id, dest)]);
    expect(results.map((r) => r.status).sort()).toEqual([202, 400, 400]);
    await stack.waitFor(async () => (await stack.sql(`SELECT migration_status FROM volumes WHERE id = $1`, [id]))[0].migration_status === 'success', 'migrated');
  });

  it('when lock_volume is set, then the volume shows maintenance during the migration and gets its status back', async () => {
    const id = await stack.createVolume({ size: 1 });
    await writeThroughAttachment(stack, id, [{ offset: 0, data: randomBytes(48 * MIB) }]);
    const shown = await stack.request('GET', `${V}/${id}`, { headers: ADMIN, version: '3.72' });
    const dest = (shown.body.volume['os-vol-host-attr:host'] as string).startsWith('host-a') ? 'host-b@file' : 'host-a@file';
    expect((await migrate(stack, id, dest, { lock_volume: true })).status).toBe(202);
    const during = await stack.request('GET', `${V}/${id}`, { headers: ADMIN, version: '3.72' });
    expect(during.body.volume.status).toBe('maintenance');
    const del = await stack.request('DELETE', `${V}/${id}`, { headers: ADMIN });
    expect(del.status).toBe(400);
    await stack.waitFor(async () => (await stack.sql(`SELECT migration_status FROM volumes WHERE id = $1`, [id]))[0].migration_status === 'success', 'migrated', 60_000);
    const after = await stack.request('GET', `${V}/${id}`, { headers: ADMIN, version: '3.72' });
    expect(after.body.volume.status).toBe('available');
  });

  it('when an admin resets a migrating volume, then the copy stops, the destination goes and the source stays readable', async () => {
    const id = await stack.createVolume({ size: 1 });
    const data = randomBytes(96 * MIB);
    const device = await writeThroughAttachment(stack, id, [{ offset: 0, data }]);
    const shown = await stack.request('GET', `${V}/${id}`, { headers: ADMIN, version: '3.72' });
    const dest = (shown.body.volume['os-vol-host-attr:host'] as string).startsWith('host-a') ? 'host-b@file' : 'host-a@file';
    await migrate(stack, id, dest);
    await stack.waitFor(async () => (await stack.sql(`SELECT migration_status FROM volumes WHERE id = $1`, [id]))[0].migration_status === 'migrating', 'migrating');
    const reset = await stack.request('POST', `${V}/${id}/action`, { headers: ADMIN, body: { 'os-reset_status': { migration_status: 'error' } } });
    expect(reset.status).toBe(202);
    await stack.waitFor(async () => (await stack.sql(`SELECT count(*)::int AS n FROM volumes WHERE migration_status = $1`, [`target:${id}`]))[0].n === 0, 'destination removed', 30_000);
    const head = Buffer.alloc(MIB);
    const fh = await open(device, 'r');
    await fh.read(head, 0, MIB, 0);
    await fh.close();
    expect(head.equals(data.subarray(0, MIB))).toBe(true);
    const after = await stack.request('GET', `${V}/${id}`, { headers: ADMIN, version: '3.72' });
    expect(after.body.volume).toMatchObject({ status: 'available', migration_status: 'error' });
  });
});
