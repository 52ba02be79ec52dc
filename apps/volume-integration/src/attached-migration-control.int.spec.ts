import { randomBytes } from 'node:crypto';
import { ADMIN, ComputeGuest, MEMBER, PROJECT, TestStack } from '@volume/testing-stack';

// 3.73's controls of an attached volume's migration through nova-bridge's local compute host: the
// swap's mirror honours the migration's own bandwidth, also when it changes mid-copy, reports its
// rate and time left as a host copy does, and a cancel before the pivot rolls it back.

jest.setTimeout(120_000);

const MIB = 1024 * 1024;
const SPAN = 96 * MIB;
const GUEST = { 'x-auth-token': `demo:${PROJECT}`, 'content-type': 'application/json' };

async function compute(url: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, { method, headers: GUEST, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe("an attached volume's migration, steered (real apps, local compute host)", () => {
  let stack: TestStack;

  beforeAll(async () => {
    // The host's swap limit is far above the migration's own: what paces the mirror is the migration's.
    stack = await TestStack.start({ novaBridge: { SWAP_COPY_BPS_LIMIT: String(64 * MIB) } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('when the swap runs under its own bandwidth, which changes mid-copy, and is cancelled before its pivot, then the guest stays on the source with its data', async () => {
    const computeUrl = stack.computeUrl as string;
    const server = await compute(computeUrl, 'POST', '/v2.1/servers', { server: { name: 'vm-steered' } });
    const serverId = server.body.server.id as string;
    const id = await stack.createVolume({ size: 1, name: 'attached-steered' }, MEMBER);
    const attach = await compute(computeUrl, 'POST', `/v2.1/servers/${serverId}/os-volume_attachments`, { volumeAttachment: { volumeId: id } });
    expect(attach.status).toBe(200);
    const device = String(attach.body.volumeAttachment.device).replace('/dev/', '');
    const guest = new ComputeGuest(computeUrl, serverId, device, GUEST['x-auth-token'], SPAN);
    for (let offset = 0; offset < SPAN; offset += MIB) await guest.write(offset, randomBytes(MIB));
    await guest.flush();

    const before = (await stack.request('GET', `/v3/${PROJECT}/volumes/${id}`, { headers: ADMIN, version: '3.73' })).body.volume;
    const sourceHost = before['os-vol-host-attr:host'] as string;
    const destHost = sourceHost.startsWith('host-a') ? 'host-b@file#pool1' : 'host-a@file#pool1';
    const action = (body: unknown) => stack.request('POST', `/v3/${PROJECT}/volumes/${id}/action`, { headers: ADMIN, version: '3.73', body });
    expect((await action({ 'os-migrate_volume': { host: destHost, bandwidth_bytes_per_second: 2 * MIB } })).status).toBe(202);
    const [listed] = (await stack.request('GET', `/v3/${PROJECT}/volume-migrations?volume_id=${id}`, { headers: ADMIN, version: '3.73' })).body
      .volume_migrations;
    const url = `/v3/${PROJECT}/volume-migrations/${listed.id}`;
    const show = async () => (await stack.request('GET', url, { headers: ADMIN, version: '3.73' })).body.volume_migration;

    // The mirror's bytes over three seconds: the migration's 2 MiB/s, not the host's 64. Measured
    // past its first chunks in flight (16 of 1 MiB), which go before the pacer makes them wait.
    await stack.waitFor(async () => {
      const m = await show();
      return m.mode === 'compute-swap' && m.source === 'live' && m.processed_bytes >= 16 * MIB;
    }, 'the mirror to copy', 30_000);
    const measure = async (ms: number) => {
      const start = { at: Date.now(), bytes: (await show()).processed_bytes as number };
      await new Promise((r) => setTimeout(r, ms));
      const m = await show();
      return { m, rate: ((m.processed_bytes - start.bytes) * 1000) / (Date.now() - start.at) };
    };
    // The reported rate settles at the limit once the first chunks in flight weigh little.
    await stack.waitFor(async () => (await show()).rate_bytes_per_second < 3 * MIB, 'the reported rate to settle', 30_000);
    const slow = await measure(3000);
    expect(slow.m.status).toBe('running');
    expect(slow.rate).toBeGreaterThan(MIB);
    expect(slow.rate).toBeLessThan(4 * MIB);
    // The mirror's own rate and time left, as a host copy reports them (the whole 1 GiB device is mirrored).
    expect(slow.m.rate_bytes_per_second).toBeGreaterThan(MIB);
    expect(slow.m.rate_bytes_per_second).toBeLessThan(4 * MIB);
    expect(['ready', 'throttled']).toContain(slow.m.eta_state);
    expect(slow.m.eta_seconds).toBeGreaterThan(100);

    // Raised mid-copy: the mirror takes it at once.
    expect((await action({ 'os-migrate_volume_set_bandwidth': { bytes_per_second: 8 * MIB } })).status).toBe(202);
    await new Promise((r) => setTimeout(r, 1000));
    const fast = await measure(2000);
    expect(fast.m.status).toBe('running');
    expect(fast.m.bandwidth_limit).toBe(8 * MIB);
    expect(fast.rate).toBeGreaterThan(5 * MIB);
    expect(fast.m.eta_seconds).toBeLessThan(slow.m.eta_seconds);

    expect((await action({ 'os-migrate_volume_cancel': null })).status).toBe(202);
    await stack.waitFor(async () => (await show()).status === 'cancelled', 'the swap to roll back', 30_000);
    const after = (await stack.request('GET', `/v3/${PROJECT}/volumes/${id}`, { headers: ADMIN, version: '3.73' })).body.volume;
    expect(after).toMatchObject({ status: 'in-use', migration_status: 'cancelled', 'os-vol-host-attr:host': sourceHost });
    expect(after.attachments).toHaveLength(1);
    for (let offset = 0; offset < SPAN; offset += 8 * MIB) {
      expect((await guest.read(offset, 8 * MIB)).equals(guest.model.subarray(offset, offset + 8 * MIB))).toBe(true);
    }
    const [{ dest_volume_id: destId }] = await stack.sql(`SELECT dest_volume_id FROM volume_migrations WHERE id = $1`, [listed.id]);
    await stack.waitFor(async () => (await stack.sql(`SELECT 1 FROM volumes WHERE id = $1`, [destId])).length === 0, 'the destination to go', 15_000);
  });
});
