import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { fileSha256 as sha } from '@volume/testing';
import { ADMIN, PROJECT, TestStack } from '@volume/testing-stack';

// Migrations are throttled on purpose, so that progress can be watched: give them time.
jest.setTimeout(120_000);

const V = `/v3/${PROJECT}/volumes`;
const MIB = 1024 * 1024;
const INSTANCE = '7b0c2a52-8c1e-4d6f-9a77-1b2c3d4e5f62';

async function connect(stack: TestStack, volumeId: string): Promise<{ device: string; attachmentId: string }> {
  const att = await stack.request('POST', `/v3/${PROJECT}/attachments`, {
    headers: ADMIN,
    version: '3.44',
    body: { attachment: { volume_uuid: volumeId, instance_uuid: INSTANCE, connector: { host: 'test' } } },
  });
  return { device: att.body.attachment.connection_info.data.device_path, attachmentId: att.body.attachment.id };
}

async function disconnect(stack: TestStack, attachmentId: string): Promise<void> {
  await stack.request('DELETE', `/v3/${PROJECT}/attachments/${attachmentId}`, { headers: ADMIN, version: '3.44' });
}


/**
 * The source worker runs as its own OS process, so that the test can kill it as a crash would
 * (SIGKILL: no shutdown hook, no last checkpoint) and start it again.
 */
describe('a source worker killed mid-copy (real processes, PostgreSQL, NATS)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await TestStack.start({ workerEnv: { VOLUME_COPY_BPS_LIMIT: String(32 * MIB) }, processWorkers: ['host-a'] });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('when the source worker is killed and restarted, then the migration resumes from its checkpoint and the data arrives intact', async () => {
    // Volumes spread over the pools; take one that landed on host-a, the process we can kill.
    let id = '';
    for (let i = 0; i < 8 && !id; i++) {
      const candidate = await stack.createVolume({ size: 1 });
      const [row] = await stack.sql(`SELECT host FROM volumes WHERE id = $1`, [candidate]);
      if ((row.host as string).startsWith('host-a@')) id = candidate;
    }
    expect(id).not.toBe('');
    const { device, attachmentId } = await connect(stack, id);
    const fh = await open(device, 'r+');
    await fh.write(randomBytes(160 * MIB), 0, 160 * MIB, 0);
    await fh.close();
    await disconnect(stack, attachmentId);
    const want = await sha(device);

    const res = await stack.request('POST', `${V}/${id}/action`, {
      headers: ADMIN,
      version: '3.72',
      body: { 'os-migrate_volume': { host: 'host-b@file#pool2' } },
    });
    expect(res.status).toBe(202);
    // Let it copy past a checkpoint (persisted at most once a second), then kill it.
    await stack.waitFor(async () => {
      const [m] = await stack.sql(`SELECT bytes_done::bigint AS done FROM volume_migrations WHERE volume_id = $1`, [id]);
      return Number(m?.done ?? 0) >= 32 * MIB;
    }, 'a checkpoint', 30_000);
    const worker = stack.processes.get('host-a');
    await worker?.kill();
    const [paused] = await stack.sql(
      `SELECT v.migration_status, m.bytes_done::bigint AS done FROM volumes v JOIN volume_migrations m ON m.volume_id = v.id WHERE v.id = $1`,
      [id],
    );
    expect(paused.migration_status).toBe('migrating');
    const shownWhileDown = await stack.request('GET', `${V}/${id}`, { headers: ADMIN, version: '3.72' });
    expect(Number(shownWhileDown.body.volume.migration_progress)).toBeGreaterThan(0);

    await worker?.start(() => stack.serviceUp('host-a'));
    await stack.waitFor(
      async () => (await stack.sql(`SELECT migration_status FROM volumes WHERE id = $1`, [id]))[0].migration_status === 'success',
      'migration to finish after restart',
      60_000,
    );
    expect(worker?.output).toContain('resuming copy from checkpoint');
    const moved = await connect(stack, id);
    expect(moved.device).not.toBe(device);
    expect(await sha(moved.device)).toBe(want);
    await disconnect(stack, moved.attachmentId);
  }, 120_000);
});
