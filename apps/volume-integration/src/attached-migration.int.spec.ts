import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { ADMIN, ComputeGuest, MEMBER, PROJECT, TestStack } from '@volume/testing-stack';

// The swap is throttled on purpose, so that its progress can be watched.
jest.setTimeout(120_000);

const V = `/v3/${PROJECT}/volumes`;
const MIB = 1024 * 1024;
const BLOCK = 64 * 1024;
/** The guest writes inside this span, so that writes land both behind and ahead of the copier. */
const SPAN = 96 * MIB;
const GUEST = { 'x-auth-token': `demo:${PROJECT}`, 'content-type': 'application/json' };

/** Block offsets where the file differs from what the guest wrote (the model; zero where it never wrote). */
async function mismatches(path: string, guest: ComputeGuest): Promise<number[]> {
  const fh = await open(path, 'r');
  const bad: number[] = [];
  try {
    const buf = Buffer.alloc(BLOCK);
    for (let offset = 0; offset < guest.span; offset += BLOCK) {
      await fh.read(buf, 0, BLOCK, offset);
      if (!buf.equals(guest.model.subarray(offset, offset + BLOCK))) bad.push(offset);
    }
  } finally {
    await fh.close();
  }
  return bad;
}

async function compute(url: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, { method, headers: GUEST, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, text };
}

describe('migrating an attached volume through nova-bridge (real apps, local compute host)', () => {
  let stack: TestStack;
  let computeUrl: string;

  beforeAll(async () => {
    // 12 MiB/s: the ~96 MiB the guest touches take several seconds to mirror.
    stack = await TestStack.start({ novaBridge: { SWAP_COPY_BPS_LIMIT: String(12 * MIB) } });
    computeUrl = stack.computeUrl as string;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('when an in-use volume migrates while its guest writes, then progress rises at 3.72 and every guest write reaches the new host', async () => {
    const server = await compute(computeUrl, 'POST', '/v2.1/servers', { server: { name: 'vm-1' } });
    expect(server.status).toBe(202);
    const serverId = server.body.server.id as string;
    const id = await stack.createVolume({ size: 1, name: 'attached' }, MEMBER);
    const attach = await compute(computeUrl, 'POST', `/v2.1/servers/${serverId}/os-volume_attachments`, { volumeAttachment: { volumeId: id } });
    expect(attach.status).toBe(200);
    const device = String(attach.body.volumeAttachment.device).replace('/dev/', '');

    const before = await stack.request('GET', `${V}/${id}`, { headers: ADMIN, version: '3.72' });
    expect(before.body.volume.status).toBe('in-use');
    const sourceHost = before.body.volume['os-vol-host-attr:host'] as string;
    const oldPath = before.body.volume.attachments[0] ? await devicePath(stack, id) : '';
    const destHost = sourceHost.startsWith('host-a') ? 'host-b@file#pool1' : 'host-a@file#pool1';

    // Data before the migration, then a guest that keeps writing during it.
    const guest = new ComputeGuest(computeUrl, serverId, device, GUEST['x-auth-token'], SPAN);
    for (let offset = 0; offset < SPAN; offset += 4 * MIB) await guest.write(offset, randomBytes(BLOCK));
    // About 50 random 64 KiB writes a second, all through nova-bridge.
    guest.start(20);

    const res = await stack.request('POST', `${V}/${id}/action`, {
      headers: ADMIN,
      version: '3.72',
      body: { 'os-migrate_volume': { host: destHost } },
    });
    expect(res.status).toBe(202);

    const { seen, hiddenBelow372, hiddenFromMember, hiddenFromList } = await stack.watchMigration(id, 90_000);
    await guest.stop();
    expect(guest.errors).toEqual([]);

    const after = (await stack.request('GET', `${V}/${id}`, { headers: ADMIN, version: '3.72' })).body.volume;
    expect(after.migration_status).toBe('success');
    expect(after.id).toBe(id);
    expect(after.status).toBe('in-use');
    expect(after['os-vol-host-attr:host']).toBe(destHost);
    expect(after.attachments).toHaveLength(1);
    expect(after).not.toHaveProperty('migration_progress');

    // Rising, integer, never backwards, at most 99 while swapping; only for admins at 3.72.
    const numbers = seen.map(Number);
    expect(new Set(numbers).size).toBeGreaterThanOrEqual(3);
    expect(numbers.every((n, i) => Number.isInteger(n) && n <= 99 && (i === 0 || n >= numbers[i - 1]))).toBe(true);
    expect(hiddenBelow372).toBe(true);
    expect(hiddenFromMember).toBe(true);
    expect(hiddenFromList).toBe(true);

    // Every write the guest made, before and during the copy, is on the new volume; the old data is gone.
    const newPath = await devicePath(stack, id);
    expect(newPath).not.toBe(oldPath);
    expect(guest.writes).toBeGreaterThan(SPAN / (4 * MIB));
    expect(await mismatches(newPath, guest)).toEqual([]);
    await stack.waitFor(async () => !existsSync(oldPath), 'the old data to be removed');

    // The guest keeps running on the new volume.
    const after1 = randomBytes(BLOCK);
    await guest.write(0, after1);
    expect((await guest.read(0, BLOCK)).equals(after1)).toBe(true);
  });
});

/** The file behind the volume's (only) attachment, as the compute host connected it. */
async function devicePath(stack: TestStack, volumeId: string): Promise<string> {
  const res = await stack.request('GET', `/v3/${PROJECT}/attachments/detail?volume_id=${volumeId}`, { headers: ADMIN, version: '3.44' });
  const att = res.body.attachments.find((a: { status: string }) => a.status === 'attached');
  return att.connection_info.data.device_path as string;
}
