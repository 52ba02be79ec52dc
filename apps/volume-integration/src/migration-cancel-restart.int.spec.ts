import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { fileSha256 } from '@volume/testing';
import { ADMIN, PROJECT, TestStack } from '@volume/testing-stack';

// A cancel outlives its source worker (issue 14 §2): asked while the worker is dead, it is on the
// row (`cancelling`), and the restarted worker ends the migration cancelled instead of resuming it.

jest.setTimeout(120_000);

const MIB = 1024 * 1024;
const INSTANCE = '5c0c2a52-8c1e-4d6f-9a77-1b2c3d4e5f63';

describe('a cancel while the source worker is down (real processes, PostgreSQL, NATS)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    // host-b's pools are small, so that the volume lands on host-a: the process the test kills.
    stack = await TestStack.start({
      workerEnv: (host): Record<string, string> => (host === 'host-b' ? { VOLUME_POOL_CAPACITY_GB: '20' } : {}),
      processWorkers: ['host-a'],
    });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('when the source worker restarts after the cancel, then the migration ends cancelled, the destination goes and the source is intact', async () => {
    const id = await stack.createVolume({ size: 1, name: 'cancelled-while-down' });
    const att = await stack.request('POST', `/v3/${PROJECT}/attachments`, {
      headers: ADMIN,
      version: '3.44',
      body: { attachment: { volume_uuid: id, instance_uuid: INSTANCE, connector: { host: 'test' } } },
    });
    const device = att.body.attachment.connection_info.data.device_path as string;
    expect(device).toContain('host-a');
    const fh = await open(device, 'r+');
    await fh.write(randomBytes(48 * MIB), 0, 48 * MIB, 0);
    await fh.close();
    await stack.request('DELETE', `/v3/${PROJECT}/attachments/${att.body.attachment.id}`, { headers: ADMIN, version: '3.44' });
    const original = await fileSha256(device);

    const action = (body: unknown) => stack.request('POST', `/v3/${PROJECT}/volumes/${id}/action`, { headers: ADMIN, version: '3.73', body });
    expect((await action({ 'os-migrate_volume': { host: 'host-b@file#pool1', bandwidth_bytes_per_second: 2 * MIB } })).status).toBe(202);
    await stack.waitFor(
      async () => Number((await stack.sql(`SELECT read_bytes::bigint AS r FROM volume_migrations WHERE volume_id = $1`, [id]))[0]?.r ?? 0) > 0,
      'the copy to run',
      30_000,
    );
    const [{ id: migrationId, dest_volume_id: destId }] = await stack.sql(`SELECT id, dest_volume_id FROM volume_migrations WHERE volume_id = $1`, [id]);
    const worker = stack.processes.get('host-a');
    await worker?.kill();

    expect((await action({ 'os-migrate_volume_cancel': null })).status).toBe(202);
    const [held] = await stack.sql(`SELECT status FROM volume_migrations WHERE id = $1`, [migrationId]);
    expect(held.status).toBe('cancelling');

    await worker?.start(() => stack.serviceUp('host-a'));
    await stack.waitFor(
      async () => (await stack.sql(`SELECT status FROM volume_migrations WHERE id = $1`, [migrationId]))[0].status === 'cancelled',
      'the restarted worker to end the migration',
      30_000,
    );
    const [volume] = await stack.sql(`SELECT migration_status, status, host FROM volumes WHERE id = $1`, [id]);
    expect(volume).toMatchObject({ migration_status: 'cancelled', status: 'available' });
    expect(volume.host).toMatch(/^host-a@/);
    await stack.waitFor(async () => (await stack.sql(`SELECT 1 FROM volumes WHERE id = $1`, [destId])).length === 0, 'the destination to go');
    expect(await fileSha256(device)).toBe(original);
  });
});
