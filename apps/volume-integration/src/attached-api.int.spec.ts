import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { ComputeSubjects, SwapProgressReply } from '@volume/contracts';
import { NatsService } from '@volume/platform';
import { ADMIN, MEMBER, OTHER_MEMBER, PROJECT, TestStack } from '@volume/testing-stack';

// The API side of migrating an attached volume (docs/attached-volume-migration.md): the service role
// Nova calls as, begin/roll detaching, the attachment steps of the swap, the completion, and the
// 3.72 progress of a swap. State that other services would make is set up with SQL.

jest.setTimeout(120_000);

/**
 * Nova's service user acts from its own project on every project's volumes, through the routes
 * without a project id (with one, Cinder insists it is the caller's: "Malformed request url").
 */
const SERVICE_PROJECT = 'c0ffee00c0ffee00c0ffee00c0ffee00';
const NOVA = { 'x-auth-token': `nova:${SERVICE_PROJECT}` };
const SERVICE_ROLE = { 'x-auth-token': `bridge:${SERVICE_PROJECT}`, 'x-roles': 'service' };
/** As nova-bridge's local compute host calls: the server's project in the token and the URL, and the service role. */
const BRIDGE = { 'x-auth-token': `nova:${PROJECT}`, 'x-roles': 'service' };

/** The caller's own project in the URL, as the clients build it; project-less for other projects. */
function base(headers: Record<string, string>): string {
  return headers['x-auth-token'].endsWith(`:${PROJECT}`) ? `/v3/${PROJECT}` : '/v3';
}
const V = (headers: Record<string, string>) => `${base(headers)}/volumes`;
const A = (headers: Record<string, string>) => `${base(headers)}/attachments`;
const SERVER = '3d1c6f0a-7b2e-4c59-9a11-2f4e5d6c7b8a';
const MIGRATION_KEYS = ['migration_status', 'os-vol-mig-status-attr:migstat', 'os-vol-mig-status-attr:name_id'];
const ADMIN_ONLY_KEYS = ['os-vol-host-attr:host', 'provider_id', 'cluster_name', 'migration_progress'];
const COMPLETION_POLICY = "Policy doesn't allow volume_extension:volume_admin_actions:migrate_volume_completion to be performed.";
const DETACH_REFUSAL =
  "Invalid volume: Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.";

describe('attached-volume migration, API side (real apps, PostgreSQL, NATS)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await TestStack.start();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const action = (id: string, body: unknown, headers: Record<string, string>, version = '3.0') =>
    stack.request('POST', `${V(headers)}/${id}/action`, { headers, version, body });
  const completion = (id: string, args: unknown, headers: Record<string, string> = NOVA) =>
    action(id, { 'os-migrate_volume_completion': args }, headers);
  const show = (id: string, headers: Record<string, string>, version = '3.72') => stack.request('GET', `${V(headers)}/${id}`, { headers, version });
  const row = async (id: string) =>
    (await stack.sql(`SELECT status, attach_status, migration_status, previous_status, host FROM volumes WHERE id = $1`, [id]))[0];

  /** An in-use volume: reserved, connected and completed through the attachments API. */
  async function attachedVolume(headers: Record<string, string> = ADMIN): Promise<{ id: string; attachmentId: string }> {
    const id = await stack.createVolume({ size: 1 });
    const att = await stack.request('POST', A(headers), {
      headers,
      version: '3.44',
      body: { attachment: { volume_uuid: id, instance_uuid: SERVER, connector: { host: 'compute-1', mountpoint: '/dev/vdb' } } },
    });
    expect(att.status).toBe(200);
    const done = await stack.request('POST', `${A(headers)}/${att.body.attachment.id}/action`, { headers, version: '3.44', body: { 'os-complete': null } });
    expect(done.status).toBe(204);
    return { id, attachmentId: att.body.attachment.id };
  }

  /** What the API and the scheduler leave once a migration of `id` to `destId` runs (by default a compute swap). */
  async function markMigrating(id: string, destId: string, mode = 'compute-swap'): Promise<void> {
    const src = await row(id);
    const dst = await row(destId);
    await stack.sql(`UPDATE volumes SET migration_status = 'migrating', previous_status = status WHERE id = $1`, [id]);
    await stack.sql(`UPDATE volumes SET migration_status = $2 WHERE id = $1`, [destId, `target:${id}`]);
    await stack.sql(
      `INSERT INTO volume_migrations (id, volume_id, dest_volume_id, source_host, dest_host, mode, status, force_host_copy,
                                      lock_volume, bytes_total, bytes_done, started_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $7, 'migrating', false, false, $6, 0, now(), now())`,
      [randomUUID(), id, destId, src.host, dst.host, 1024 ** 3, mode],
    );
  }

  describe('the service role', () => {
    it('when Nova reads a migrating volume of another project, then it sees the migration states but not where the data lives', async () => {
      const { id } = await attachedVolume();
      const dest = await stack.createVolume({ size: 1 });
      await markMigrating(id, dest);
      await stack.sql(`UPDATE volumes SET migration_progress = '12', name_id = $2 WHERE id = $1`, [id, randomUUID()]);

      for (const headers of [NOVA, SERVICE_ROLE]) {
        const res = await show(id, headers);
        expect(res.status).toBe(200);
        for (const key of MIGRATION_KEYS) expect(res.body.volume).toHaveProperty(key);
        for (const key of ADMIN_ONLY_KEYS) expect(res.body.volume).not.toHaveProperty(key);
        expect(res.body.volume).toMatchObject({ status: 'in-use', migration_status: 'migrating', 'os-vol-mig-status-attr:migstat': 'migrating' });
        expect(res.body.volume.attachments[0].host_name).toBeNull();
        const target = await show(dest, headers);
        expect(target.body.volume.migration_status).toBe(`target:${id}`);
      }

      const member = await show(id, MEMBER);
      for (const key of [...MIGRATION_KEYS, ...ADMIN_ONLY_KEYS]) expect(member.body.volume).not.toHaveProperty(key);
      expect((await show(id, OTHER_MEMBER)).status).toBe(404);

      const admin = await show(id, ADMIN);
      for (const key of [...MIGRATION_KEYS, 'os-vol-host-attr:host', 'provider_id', 'cluster_name']) expect(admin.body.volume).toHaveProperty(key);
    });

    it('when Nova reads and connects an attachment of another project, then it may', async () => {
      const id = await stack.createVolume({ size: 1 });
      const att = await stack.request('POST', A(ADMIN), { headers: ADMIN, version: '3.44', body: { attachment: { volume_uuid: id, instance_uuid: SERVER } } });
      const attId = att.body.attachment.id as string;
      expect((await stack.request('GET', `${A(OTHER_MEMBER)}/${attId}`, { headers: OTHER_MEMBER, version: '3.44' })).status).toBe(404);
      expect((await stack.request('GET', `${A(NOVA)}/${attId}`, { headers: NOVA, version: '3.44' })).status).toBe(200);
      const put = await stack.request('PUT', `${A(NOVA)}/${attId}`, {
        headers: NOVA,
        version: '3.44',
        body: { attachment: { connector: { host: 'compute-1', mountpoint: '/dev/vdc' } } },
      });
      expect(put.status).toBe(200);
      expect(put.body.attachment.connection_info.data.device_path).toEqual(expect.any(String));
      expect(await row(id)).toMatchObject({ status: 'attaching' });
      const del = await stack.request('DELETE', `${A(NOVA)}/${attId}`, { headers: NOVA, version: '3.44' });
      expect(del.status).toBe(200);
      expect(await row(id)).toMatchObject({ status: 'available', attach_status: 'detached' });
    });
  });

  describe('os-begin_detaching and os-roll_detaching', () => {
    it('when an in-use volume begins detaching and rolls back, then it goes detaching and back to in-use', async () => {
      const { id } = await attachedVolume();
      const begin = await action(id, { 'os-begin_detaching': null }, MEMBER);
      expect(begin.status).toBe(202);
      expect(await row(id)).toMatchObject({ status: 'detaching' });
      const again = await action(id, { 'os-begin_detaching': {} }, NOVA);
      expect([again.status, again.body?.badRequest?.message]).toEqual([400, DETACH_REFUSAL]);
      const roll = await action(id, { 'os-roll_detaching': null }, NOVA);
      expect(roll.status).toBe(202);
      expect(await row(id)).toMatchObject({ status: 'in-use' });
      const rollAgain = await action(id, { 'os-roll_detaching': {} }, ADMIN);
      expect(rollAgain.status).toBe(202);
      expect(await row(id)).toMatchObject({ status: 'in-use' });
    });

    it('when the volume is not attached, then begin is refused with Cinder\'s text and roll changes nothing', async () => {
      const id = await stack.createVolume({ size: 1 });
      const begin = await action(id, { 'os-begin_detaching': null }, MEMBER);
      expect([begin.status, begin.body.badRequest.message]).toEqual([400, DETACH_REFUSAL]);
      expect((await action(id, { 'os-roll_detaching': null }, MEMBER)).status).toBe(202);
      expect(await row(id)).toMatchObject({ status: 'available' });
    });

    it('when the in-use volume migrates, then begin is no error and the status stays in-use', async () => {
      const { id } = await attachedVolume();
      await markMigrating(id, await stack.createVolume({ size: 1 }));
      const begin = await action(id, { 'os-begin_detaching': null }, NOVA);
      expect(begin.status).toBe(202);
      expect(await row(id)).toMatchObject({ status: 'in-use', migration_status: 'migrating' });
    });

    it('when a member of another project asks, then the volume is not found', async () => {
      const { id } = await attachedVolume();
      expect((await action(id, { 'os-begin_detaching': null }, OTHER_MEMBER)).status).toBe(404);
      expect((await action(id, { 'os-roll_detaching': null }, OTHER_MEMBER)).status).toBe(404);
      expect(await row(id)).toMatchObject({ status: 'in-use' });
    });
  });

  describe('os-migrate_volume on an in-use volume', () => {
    it('when an admin migrates an in-use volume with lock_volume, then it is accepted and the volume stays in-use', async () => {
      const { id } = await attachedVolume();
      const src = await row(id);
      const dest = (src.host as string).startsWith('host-a') ? 'host-b@file' : 'host-a@file';
      const res = await action(id, { 'os-migrate_volume': { host: dest, lock_volume: true } }, ADMIN, '3.72');
      expect(res.status).toBe(202);
      const during = await row(id);
      expect(during).toMatchObject({ status: 'in-use', previous_status: 'in-use' });
      expect(['starting', 'migrating', 'error', 'success']).toContain(during.migration_status);
      // No compute side runs in this stack, so the swap is refused and the migration ends; the
      // volume never left in-use.
      await stack.waitFor(async () => ['error', 'success'].includes((await row(id)).migration_status), 'migration end', 60_000);
      expect(await row(id)).toMatchObject({ status: 'in-use' });
    });
  });

  describe('os-migrate_volume_completion', () => {
    it('when refused, then 404 for the volume comes before 403, 403 before the body, the body before the new volume', async () => {
      const { id } = await attachedVolume();
      const unknown = randomUUID();
      const missing = await completion(unknown, {}, MEMBER);
      expect([missing.status, missing.body.itemNotFound.message]).toEqual([404, `Volume ${unknown} could not be found.`]);
      expect((await completion(id, {}, OTHER_MEMBER)).status).toBe(404);
      const member = await completion(id, { bogus: 1 }, MEMBER);
      expect([member.status, member.body.forbidden.message]).toEqual([403, COMPLETION_POLICY]);
      const body = await completion(id, {}, NOVA);
      expect([body.status, body.body.badRequest.message]).toEqual([
        400,
        "Invalid input for field/attribute os-migrate_volume_completion. Value: {}. 'new_volume' is a required property",
      ]);
      const notUuid = await completion(id, { new_volume: 'abc' }, ADMIN);
      expect([notUuid.status, notUuid.body.badRequest.message]).toEqual([
        400,
        "Invalid input for field/attribute new_volume. Value: abc. 'abc' is not a 'uuid'",
      ]);
      const badError = await completion(id, { new_volume: unknown, error: 1 }, NOVA);
      expect(badError.body.badRequest.message).toBe("Invalid input for field/attribute error. Value: 1. 1 is not of type 'string', 'null', 'boolean'");
      const newMissing = await completion(id, { new_volume: unknown }, NOVA);
      expect([newMissing.status, newMissing.body.itemNotFound.message]).toEqual([404, `Volume ${unknown} could not be found.`]);
    });

    it('when the volumes are not source and destination of one migration, then Cinder\'s checks answer 400', async () => {
      const { id } = await attachedVolume();
      const other = await stack.createVolume({ size: 1 });
      await stack.sql(`UPDATE volumes SET migration_status = $2 WHERE id = $1`, [other, `target:${id}`]);
      const notSource = await completion(id, { new_volume: other, error: false });
      expect([notSource.status, notSource.body.badRequest.message]).toEqual([400, 'Invalid volume: Source volume not mid-migration.']);
      await stack.sql(`UPDATE volumes SET migration_status = NULL WHERE id = $1`, [other]);
      await stack.sql(`UPDATE volumes SET migration_status = 'migrating' WHERE id = $1`, [id]);
      const notDest = await completion(id, { new_volume: other, error: false });
      expect(notDest.body.badRequest.message).toBe('Invalid volume: Destination volume not mid-migration.');
      const stranger = randomUUID();
      await stack.sql(`UPDATE volumes SET migration_status = $2 WHERE id = $1`, [other, `target:${stranger}`]);
      const wrongDest = await completion(id, { new_volume: other, error: false }, SERVICE_ROLE);
      expect(wrongDest.body.badRequest.message).toBe(`Invalid volume: Destination has migration_status target:${stranger}, expected target:${id}.`);
      expect(await row(id)).toMatchObject({ status: 'in-use', migration_status: 'migrating' });
    });

    it('when neither volume migrates (a plain swap), then the attachments move to the new volume and its id is saved', async () => {
      const { id, attachmentId } = await attachedVolume();
      const other = await stack.createVolume({ size: 1 });
      const res = await completion(id, { new_volume: other, error: false });
      expect([res.status, res.body]).toEqual([200, { save_volume_id: other }]);
      expect(await row(id)).toMatchObject({ status: 'available', attach_status: 'detached' });
      expect(await row(other)).toMatchObject({ status: 'in-use', attach_status: 'attached' });
      const [att] = await stack.sql(`SELECT volume_id FROM volume_attachments WHERE id = $1`, [attachmentId]);
      expect(att.volume_id).toBe(other);
    });

    it('when a plain swap failed (error true), then nothing moves and the new volume\'s id is answered', async () => {
      const { id, attachmentId } = await attachedVolume();
      const other = await stack.createVolume({ size: 1 });
      const res = await completion(id, { new_volume: other, error: 'false' });
      expect([res.status, res.body]).toEqual([200, { save_volume_id: other }]);
      expect(await row(id)).toMatchObject({ status: 'in-use', attach_status: 'attached' });
      const [att] = await stack.sql(`SELECT volume_id FROM volume_attachments WHERE id = $1`, [attachmentId]);
      expect(att.volume_id).toBe(id);
    });

    it('when it is repeated after success, then the volume\'s id is answered again without asking the worker', async () => {
      const id = await stack.createVolume({ size: 1 });
      const gone = randomUUID();
      await stack.sql(`UPDATE volumes SET migration_status = 'success', host = 'nohost@file#pool1' WHERE id = $1`, [id]);
      await stack.sql(
        `INSERT INTO volume_migrations (id, volume_id, dest_volume_id, source_host, dest_host, mode, status, force_host_copy,
                                        lock_volume, bytes_total, bytes_done, started_at, updated_at, finished_at)
         VALUES ($1, $2, $3, 'nohost@file#pool1', 'host-b@file#pool1', 'compute-swap', 'success', false, false, 1, 1, now(), now(), now())`,
        [randomUUID(), id, gone],
      );
      // The destination row is gone and no worker serves `nohost`: only the recorded success answers.
      const res = await completion(id, { new_volume: gone, error: false });
      expect([res.status, res.body]).toEqual([200, { save_volume_id: id }]);
      const other = await completion(id, { new_volume: randomUUID(), error: false });
      expect(other.status).toBe(404);
    });

    it('when the source host does not answer, then a Cinder 500 fault and the volume is unchanged', async () => {
      const { id } = await attachedVolume();
      const dest = await stack.createVolume({ size: 1 });
      await markMigrating(id, dest);
      await stack.sql(`UPDATE volumes SET host = 'nohost@file#pool1' WHERE id = $1`, [id]);
      const res = await completion(id, { new_volume: dest, error: false });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({
        computeFault: { code: 500, message: 'The server has either erred or is incapable of performing the requested operation.' },
      });
      expect(await row(id)).toMatchObject({ status: 'in-use', migration_status: 'migrating' });
    });

    it('when Nova drives the whole swap (as nova-bridge calls, and from its own project), then the volume stays in-use and keeps its id', async () => {
      const { id, attachmentId } = await attachedVolume();
      const dest = await stack.createVolume({ size: 1 });
      await markMigrating(id, dest);
      const destHost = (await row(dest)).host;

      expect((await action(id, { 'os-begin_detaching': null }, NOVA)).status).toBe(202);
      const created = await stack.request('POST', A(NOVA), { headers: NOVA, version: '3.44', body: { attachment: { volume_uuid: dest, instance_uuid: SERVER } } });
      expect(created.status).toBe(200);
      const newAtt = created.body.attachment.id as string;
      expect(await row(dest)).toMatchObject({ status: 'reserved' });
      const put = await stack.request('PUT', `${A(BRIDGE)}/${newAtt}`, {
        headers: BRIDGE,
        version: '3.44',
        body: { attachment: { connector: { host: 'compute-1', mountpoint: '/dev/vdb' } } },
      });
      expect(put.status).toBe(200);
      expect((await stack.request('POST', `${A(BRIDGE)}/${newAtt}/action`, { headers: BRIDGE, version: '3.44', body: { 'os-complete': null } })).status).toBe(204);
      expect(await row(dest)).toMatchObject({ status: 'in-use', attach_status: 'attached' });

      const del = await stack.request('DELETE', `${A(BRIDGE)}/${attachmentId}`, { headers: BRIDGE, version: '3.44' });
      expect(del.status).toBe(200);
      expect(await row(id)).toMatchObject({ status: 'in-use', attach_status: 'detached', migration_status: 'migrating' });

      const done = await completion(id, { new_volume: dest, error: false }, BRIDGE);
      expect([done.status, done.body]).toEqual([200, { save_volume_id: id }]);
      const after = await show(id, ADMIN);
      expect(after.body.volume).toMatchObject({ id, status: 'in-use', migration_status: 'success', 'os-vol-host-attr:host': destHost });
      expect(after.body.volume.attachments).toEqual([expect.objectContaining({ attachment_id: newAtt, server_id: SERVER })]);

      const repeated = await completion(id, { new_volume: dest, error: false }, NOVA);
      expect([repeated.status, repeated.body]).toEqual([200, { save_volume_id: id }]);
    });
  });

  describe('migration_progress (3.72) of a swapping in-use volume', () => {
    let bridge: NatsService;
    let answer: SwapProgressReply | 'silent';
    const asked: string[] = [];

    beforeAll(async () => {
      bridge = await NatsService.connect(stack.env.NATS_URL, 'fake-nova-bridge', pino({ level: 'silent' }), stack.env.NATS_SUBJECT_PREFIX);
      bridge.serve(ComputeSubjects.swapProgress, async ({ volumeId }) => {
        asked.push(volumeId);
        if (answer === 'silent') await new Promise((r) => setTimeout(r, 1_000));
        return answer === 'silent' ? reply(null) : answer;
      });
    });

    afterAll(async () => {
      await bridge?.drain();
    });

    const reply = (progress: string | null): SwapProgressReply => ({
      progress,
      phase: progress === null ? null : 'copying',
      cur: null,
      end: null,
      updatedAt: null,
      source: 'local',
    });
    const ttl = () => new Promise((r) => setTimeout(r, 300));

    it('when nova-bridge reports the swap, then an admin at 3.72 sees its value; else the persisted one, never going backwards', async () => {
      const { id } = await attachedVolume();
      await markMigrating(id, await stack.createVolume({ size: 1 }));
      await stack.sql(`UPDATE volumes SET migration_progress = '12' WHERE id = $1`, [id]);

      answer = reply(null);
      expect((await show(id, ADMIN)).body.volume.migration_progress).toBe('12');
      expect(asked).toContain(id);

      await ttl();
      answer = reply('57');
      const live = await show(id, ADMIN);
      expect(live.body.volume).toMatchObject({ status: 'in-use', migration_status: 'migrating', migration_progress: '57' });
      expect((await show(id, ADMIN, '3.71')).body.volume).not.toHaveProperty('migration_progress');
      expect((await show(id, NOVA)).body.volume).not.toHaveProperty('migration_progress');
      expect((await show(id, MEMBER)).body.volume).not.toHaveProperty('migration_progress');

      // No answer within the budget: the persisted 12 trails what was just shown, so 57 stays.
      await ttl();
      answer = 'silent';
      const started = Date.now();
      expect((await show(id, ADMIN)).body.volume.migration_progress).toBe('57');
      expect(Date.now() - started).toBeLessThan(900);

      await ttl();
      answer = reply(null);
      await stack.sql(`UPDATE volumes SET migration_progress = '63' WHERE id = $1`, [id]);
      expect((await show(id, ADMIN)).body.volume.migration_progress).toBe('63');
    });

    it('when the migration is a host copy, then nova-bridge is not asked', async () => {
      const id = await stack.createVolume({ size: 1 });
      await markMigrating(id, await stack.createVolume({ size: 1 }), 'host-assisted');
      await stack.sql(`UPDATE volumes SET migration_progress = '5', host = 'nohost@file#pool1' WHERE id = $1`, [id]);
      answer = reply('99');
      const res = await show(id, ADMIN);
      expect(res.body.volume.migration_progress).toBe('5');
      expect(asked).not.toContain(id);
    });
  });
});
