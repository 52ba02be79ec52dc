import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN, PROJECT, TestStack } from '@volume/testing-stack';
import { cleanEnv, runVolctl, VOLCTL } from './test-support/run-volctl';

// The copies are throttled so that a watch sees them move; the CLI starts from the sources (~2 s each).
jest.setTimeout(120_000);

const MIB = 1024 * 1024;
const INSTANCE = '5e0c2a52-8c1e-4d6f-9a77-1b2c3d4e5f62';
const PERCENT = /copying (\d+)%/;

describe('volctl against the whole stack (real apps, PostgreSQL, NATS)', () => {
  let stack: TestStack;
  let env: Record<string, string>;

  /** Data the copy has to read (a fresh volume is all holes, skipped unread): written through an attachment. */
  async function volumeWithData(name: string, bytes: number): Promise<{ id: string; host: string }> {
    const id = await stack.createVolume({ size: 1, name });
    const att = await stack.request('POST', `/v3/${PROJECT}/attachments`, {
      headers: ADMIN,
      version: '3.27',
      body: { attachment: { volume_uuid: id, instance_uuid: INSTANCE, connector: { host: 'volctl-test' } } },
    });
    const device = await open(att.body.attachment.connection_info.data.device_path, 'r+');
    await device.write(randomBytes(bytes), 0, bytes, 0);
    await device.close();
    await stack.request('DELETE', `/v3/${PROJECT}/attachments/${att.body.attachment.id}`, { headers: ADMIN, version: '3.27' });
    const shown = await stack.request('GET', `/v3/${PROJECT}/volumes/${id}`, { headers: ADMIN });
    return { id, host: shown.body.volume['os-vol-host-attr:host'] };
  }

  const otherHost = (host: string) => (host.startsWith('host-a') ? 'host-b@file#pool1' : 'host-a@file#pool1');

  beforeAll(async () => {
    // 8 MiB/s: 40 MiB take five seconds, several progress events (about one a second).
    stack = await TestStack.start({ workerEnv: { VOLUME_COPY_BPS_LIMIT: String(8 * MIB) } });
    await stack.api.app.listen(0, '127.0.0.1');
    const { port } = stack.api.app.getHttpServer().address() as { port: number };
    env = { OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: `http://127.0.0.1:${port}/v3`, OS_USER_ID: 'admin', OS_PROJECT_ID: PROJECT };
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('when volumes are listed as JSON and one is shown by name, then both are the API\'s volumes', async () => {
    const id = await stack.createVolume({ size: 1, name: 'listed' });
    const list = await runVolctl(['volumes', 'list', '-f', 'json'], env);
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(list.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ ID: id, Name: 'listed', Status: 'available', Size: 1 })]));

    const shown = await runVolctl(['volumes', 'show', 'listed', '-f', 'json'], env);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id, name: 'listed', 'os-vol-host-attr:host': expect.stringMatching(/^host-[ab]@file#pool[12]$/) });
  });

  it('when a name is unknown or shared, then show exits 4 or 2 with a message and no stack trace', async () => {
    const missing = await runVolctl(['volumes', 'show', 'nobody-has-this-name'], env);
    expect(missing).toEqual({ code: 4, stdout: '', stderr: "volctl: no volume with name or id 'nobody-has-this-name'\n" });

    const a = await stack.createVolume({ size: 1, name: 'twin' });
    const b = await stack.createVolume({ size: 1, name: 'twin' });
    const shared = await runVolctl(['volumes', 'show', 'twin'], env);
    expect(shared.code).toBe(2);
    expect(shared.stderr).toMatch(/^volctl: more than one volume is named 'twin'; give one of their ids: /);
    expect(shared.stderr).toContain(a);
    expect(shared.stderr).toContain(b);
  });

  it('when pools are listed, then each pool shows with its free space; a clouds.yaml entry gives the same', async () => {
    const table = await runVolctl(['pools'], env);
    expect(table.code).toBe(0);
    for (const pool of ['host-a@file#pool1', 'host-a@file#pool2', 'host-b@file#pool1', 'host-b@file#pool2']) expect(table.stdout).toContain(pool);
    expect(table.stdout).toMatch(/Name\s+│ Backend\s+│ Total GB\s+│ Free GB/);

    const dir = await mkdtemp(join(tmpdir(), 'volctl-clouds-'));
    try {
      const auth = { endpoint: env.OS_ENDPOINT, user_id: 'admin', project_id: PROJECT };
      await writeFile(join(dir, 'clouds.yaml'), `clouds:\n  local:\n    auth_type: noauth\n    auth: ${JSON.stringify(auth)}\n`);
      const viaCloud = await runVolctl(['--os-cloud', 'local', 'pools', '-f', 'value', '-c', 'Name'], {}, dir);
      expect(viaCloud.code).toBe(0);
      expect(viaCloud.stdout.trim().split('\n').sort()).toEqual(['host-a@file#pool1', 'host-a@file#pool2', 'host-b@file#pool1', 'host-b@file#pool2']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('when a destination names several pools, then migrate is a usage error listing them', async () => {
    const { id } = await volumeWithData('ambiguous-dest', MIB);
    const res = await runVolctl(['migrate', id, 'host-b'], env);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe("volctl: 'host-b' names several pools; give one of: host-b@file#pool1, host-b@file#pool2\n");
  });

  it('when a volume is migrated with --watch, then one plain line per event ends in success, and the history lists it as JSON', async () => {
    // 40 MiB: five seconds of copy, a progress event about each.
    const { id, host } = await volumeWithData('watched', 40 * MIB);
    const dest = otherHost(host);
    // Polls 30 s apart would see the copy once at most: the lines come from the events stream.
    const started = Date.now();
    const res = await runVolctl(['migrate', 'watched', dest, '--force-host-copy', '--watch', '--interval', '30'], env);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines[0]).toBe(`Migrating volume watched (${id}) from ${host} to ${dest}.`);
    const progress = lines.slice(1, -1);
    for (const line of progress) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ watched -> host-[ab]@file#pool1: /);
    const percents = progress.map((l) => PERCENT.exec(l)?.[1]).filter((p) => p !== undefined).map(Number);
    expect(percents.length).toBeGreaterThanOrEqual(2);
    expect([...percents].sort((x, y) => x - y)).toEqual(percents);
    expect(new Set(progress).size).toBe(progress.length);
    expect(lines.at(-1)).toMatch(new RegExp(`^\\S+ watched -> ${dest.replace(/[@#]/g, '.')}: success in \\d+s \\(avg [\\d.]+ MiB/s\\)$`));

    const history = await runVolctl(['migrations', 'list', '--volume', 'watched', '-f', 'json'], env);
    expect(history.code).toBe(0);
    const rows = JSON.parse(history.stdout);
    expect(rows).toEqual([expect.objectContaining({ Volume: id, Source: host, Destination: dest, Status: 'success', Phase: 'done', Progress: 100 })]);
    expect(rows[0].Duration).toBeGreaterThan(2);
  });

  it('when every running migration is watched, then it follows one started elsewhere to its end, live', async () => {
    // 64 MiB at 8 MiB/s: still running when the CLI, started after, has come up (~2 s).
    const { id, host } = await volumeWithData('watched-all', 64 * MIB);
    const started = await stack.request('POST', `/v3/${PROJECT}/volumes/${id}/action`, { headers: ADMIN, body: { 'os-migrate_volume': { host: otherHost(host) } } });
    expect(started.status).toBe(202);
    const since = Date.now();
    const res = await runVolctl(['migrations', 'watch', '--interval', '30'], env);
    expect(res.code).toBe(0);
    expect(Date.now() - since).toBeLessThan(30_000);
    expect(res.stdout).toMatch(new RegExp(`${id} -> host-[ab]@file#pool1: copying \\d+%`));
    expect(res.stdout.trim().split('\n').at(-1)).toMatch(new RegExp(`^\\S+ ${id} -> host-[ab]@file#pool1: success in \\d+s`));
    expect((await runVolctl(['migrations', 'watch'], env)).stdout).toBe('No running migrations.\n');
  });

  it('when Ctrl-C stops a watch, then it exits 130 saying the migration keeps running, and the migration still succeeds', async () => {
    const { id, host } = await volumeWithData('interrupted', 64 * MIB);
    await stack.request('POST', `/v3/${PROJECT}/volumes/${id}/action`, { headers: ADMIN, body: { 'os-migrate_volume': { host: otherHost(host) } } });
    const [migration] = (await stack.request('GET', `/v3/${PROJECT}/volume-migrations?volume_id=${id}`, { headers: ADMIN, version: '3.73' })).body.volume_migrations;
    const child = spawn(process.execPath, [VOLCTL, 'migrations', 'watch', migration.id], { env: cleanEnv(env) });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    await stack.waitFor(async () => /copying/.test(stdout), 'a progress line', 20_000);
    const code = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    expect(await code).toBe(130);
    expect(stdout.trim().split('\n').at(-1)).toBe(`Stopped watching; the migration keeps running on the server (volctl migrations watch ${migration.id}).`);
    await stack.waitFor(
      async () => (await stack.request('GET', `/v3/${PROJECT}/volumes/${id}`, { headers: ADMIN })).body.volume.migration_status === 'success',
      'the migration to succeed after the watch stopped',
      30_000,
    );
  });

  it("when a migration's destination bears the volume's name, then cancel by that name cancels it", async () => {
    // 32 MiB at 1 MiB/s: the destination row exists for half a minute unless cancelled.
    const { id, host } = await volumeWithData('twinned', 32 * MIB);
    const started = await stack.request('POST', `/v3/${PROJECT}/volumes/${id}/action`, {
      headers: ADMIN,
      version: '3.73',
      body: { 'os-migrate_volume': { host: otherHost(host), force_host_copy: true, bandwidth_bytes_per_second: MIB } },
    });
    expect(started.status).toBe(202);
    const named = async () => (await stack.request('GET', `/v3/${PROJECT}/volumes/detail?name=twinned`, { headers: ADMIN })).body.volumes as { migration_status: string }[];
    await stack.waitFor(async () => (await named()).some((v) => v.migration_status === `target:${id}`), 'the destination row', 20_000);

    expect(await runVolctl(['migrations', 'cancel', 'twinned'], env)).toEqual({ code: 0, stdout: `Cancelling the migration of volume ${id}; the source stays as it was.\n`, stderr: '' });
    await stack.waitFor(
      async () => (await stack.request('GET', `/v3/${PROJECT}/volume-migrations?volume_id=${id}`, { headers: ADMIN, version: '3.73' })).body.volume_migrations[0]?.status === 'cancelled',
      'the migration to be cancelled',
      30_000,
    );
  });

  it('when migrate --watch runs under a pseudo-terminal, then a bar is drawn and redrawn in place until success', async () => {
    // 40 MiB: five seconds of progress events (about one a second), enough redraws to count.
    const { host } = await volumeWithData('on-a-tty', 40 * MIB);
    const command = [process.execPath, VOLCTL, 'migrate', 'on-a-tty', otherHost(host), '--force-host-copy', '--watch'];
    // util-linux's script(1) gives the command a terminal; -e returns its exit code.
    const out = await new Promise<{ code: number; text: string }>((resolve) => {
      execFile('script', ['-q', '-e', '-c', command.map((a) => `'${a}'`).join(' '), '/dev/null'], { env: cleanEnv({ ...env, COLUMNS: '160' }), timeout: 120_000 }, (err, stdout) =>
        resolve({ code: err ? Number(err.code) : 0, text: stdout }),
      );
    });
    expect(out.code).toBe(0);
    // Each redraw moves the cursor back over the bar (ESC [ ... ) and writes it again.
    const frames = out.text.split(/\x1b\[[0-9;]*[A-Za-z]/).filter((f) => /on-a-tty\s+\[[█░]+\]/.test(f));
    const shownBytes = new Set(frames.map((f) => /\| ([\d.]+ \S+) of 1\.0 GiB \|/.exec(f)?.[1]).filter(Boolean));
    expect(shownBytes.size).toBeGreaterThanOrEqual(3);
    expect(frames.at(-1)).toMatch(/\[█+\] 100% \| success/);
    expect(out.text).toMatch(/\| [\d.]+ MiB\/s \| ETA /);
    expect(out.text).toMatch(/on-a-tty -> host-[ab]@file#pool1: success in \d+s/);
  });
});
