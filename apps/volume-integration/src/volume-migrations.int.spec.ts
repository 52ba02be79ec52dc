import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { ADMIN, PROJECT, TestStack } from '@volume/testing-stack';

// 3.73's volume-migrations resource on the real stack: a throttled host copy watched through
// GET /volume-migrations/{id}, live from its source worker, then as history.

jest.setTimeout(120_000);

const MIB = 1024 * 1024;
/** Per worker, for all its copies together: 72 MiB of data then take about 9 s. */
const LIMIT = 8 * MIB;
const INSTANCE = '9a0c2a52-8c1e-4d6f-9a77-1b2c3d4e5f61';

interface Sample {
  at: number;
  m: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('volume migrations as a resource (3.73, real apps, PostgreSQL, NATS)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await TestStack.start({ workerEnv: { VOLUME_COPY_BPS_LIMIT: String(LIMIT) } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** Three 24 MiB runs of data in a 1 GiB volume (the rest holes), written through an attachment. */
  async function fill(volumeId: string): Promise<void> {
    const att = await stack.request('POST', `/v3/${PROJECT}/attachments`, {
      headers: ADMIN,
      version: '3.44',
      body: { attachment: { volume_uuid: volumeId, instance_uuid: INSTANCE, connector: { host: 'test' } } },
    });
    const fh = await open(att.body.attachment.connection_info.data.device_path as string, 'r+');
    for (const offset of [0, 300, 700]) await fh.write(randomBytes(24 * MIB), 0, 24 * MIB, offset * MIB);
    await fh.close();
    await stack.request('DELETE', `/v3/${PROJECT}/attachments/${att.body.attachment.id}`, { headers: ADMIN, version: '3.44' });
  }

  it('when a throttled copy runs, then its processed bytes and last progress rise, its rate is the limit within 10 % and its ETA falls; then it is history', async () => {
    const id = await stack.createVolume({ size: 1, name: 'watched' });
    await fill(id);
    const shown = await stack.request('GET', `/v3/${PROJECT}/volumes/${id}`, { headers: ADMIN, version: '3.73' });
    const dest = (shown.body.volume['os-vol-host-attr:host'] as string).startsWith('host-a') ? 'host-b@file#pool1' : 'host-a@file#pool1';
    const started = await stack.request('POST', `/v3/${PROJECT}/volumes/${id}/action`, {
      headers: ADMIN,
      version: '3.73',
      body: { 'os-migrate_volume': { host: dest, force_host_copy: 'True' } },
    });
    expect(started.status).toBe(202);
    const [listed] = (await stack.request('GET', `/v3/${PROJECT}/volume-migrations?volume_id=${id}`, { headers: ADMIN, version: '3.73' })).body.volume_migrations;
    const url = `/v3/${PROJECT}/volume-migrations/${listed.id}`;

    const samples: Sample[] = [];
    const persisted: { read: number; last: string | null }[] = [];
    for (let m = listed; m.status === 'running'; await new Promise((r) => setTimeout(r, 500))) {
      m = (await stack.request('GET', url, { headers: ADMIN, version: '3.73' })).body.volume_migration;
      if (m.phase === 'copying' && m.source === 'live') samples.push({ at: Date.now(), m });
      const [row] = await stack.sql(`SELECT read_bytes::bigint AS read, last_progress_at AS last FROM volume_migrations WHERE id = $1`, [listed.id]);
      if (m.status === 'running') persisted.push({ read: Number(row.read), last: row.last?.toISOString() ?? null });
    }

    expect(samples.length).toBeGreaterThanOrEqual(8);
    const processed = samples.map((s) => s.m.processed_bytes as number);
    expect(processed).toEqual([...processed].sort((a, b) => a - b));
    expect(new Set(processed).size).toBeGreaterThanOrEqual(5);
    const lastProgress = samples.map((s) => Date.parse(`${s.m.last_progress_at}Z`));
    expect(lastProgress).toEqual([...lastProgress].sort((a, b) => a - b));
    expect(new Set(lastProgress).size).toBeGreaterThanOrEqual(5);
    // After the first seconds (the bucket's burst, the estimator's warm-up): the limit's rate. A sample
    // taken once the last bytes were read (the destination's flush and the switch-over still to come)
    // has nothing left to wait for at any rate: 0 s, `ready`, not the limit's time (a CI run met one).
    const settled = samples.filter(
      (s) => s.at - samples[0].at >= 3000 && s.m.rate_bytes_per_second !== null && !(s.m.bytes_to_read !== null && s.m.read_bytes >= s.m.bytes_to_read),
    );
    for (const s of samples.filter((x) => x.m.bytes_to_read !== null && x.m.read_bytes >= x.m.bytes_to_read)) {
      expect(s.m).toMatchObject({ eta_seconds: 0, eta_state: 'ready' });
    }
    expect(settled.length).toBeGreaterThanOrEqual(3);
    for (const s of settled) {
      expect(s.m.rate_bytes_per_second).toBeGreaterThan(LIMIT * 0.9);
      expect(s.m.rate_bytes_per_second).toBeLessThan(LIMIT * 1.1);
      expect(s.m.eta_state).toBe('throttled');
    }
    const etas = settled.map((s) => s.m.eta_seconds as number);
    expect(etas[etas.length - 1]).toBeLessThan(etas[0]);
    // The checkpoints carried the figures to the row, and its last progress only moves forward.
    expect(Math.max(...persisted.map((p) => p.read))).toBeGreaterThan(0);
    const lasts = persisted.map((p) => p.last).filter((l): l is string => l !== null);
    expect(lasts.length).toBeGreaterThan(0);
    expect(lasts).toEqual([...lasts].sort());

    const done = (await stack.request('GET', url, { headers: ADMIN, version: '3.73' })).body.volume_migration;
    expect(done).toMatchObject({ status: 'success', phase: 'done', progress: 100, source: 'persisted', eta_seconds: 0, destination_host: dest });
    expect(done.duration_seconds).toBeGreaterThan(5);
    expect(done.average_rate_bytes_per_second).toBeGreaterThan(0);
    const history = await stack.request('GET', `/v3/${PROJECT}/volume-migrations?status=success`, { headers: ADMIN, version: '3.73' });
    expect(history.body.volume_migrations.map((m: { id: string }) => m.id)).toContain(listed.id);
  });
});
