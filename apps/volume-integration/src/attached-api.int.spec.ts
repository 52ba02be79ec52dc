import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { ComputeSubjects, SwapProgressReply } from '@volume/contracts';
import { NatsService } from '@volume/platform';
import { ADMIN, MEMBER, OTHER_MEMBER, TestStack } from '@volume/testing-stack';
import { A, attachedVolumeSteps, NOVA, SERVER, SERVICE_ROLE } from './support/attached-volumes';

// The API side of migrating an attached volume (docs/attached-volume-migration.md): the service role
// Nova calls as, begin/roll detaching, the attachment steps of the swap, and the 3.72 progress of a
// swap (its completion: attached-completion.int.spec.ts). State that other services would make is
// set up with SQL.

jest.setTimeout(120_000);

const MIGRATION_KEYS = ['migration_status', 'os-vol-mig-status-attr:migstat', 'os-vol-mig-status-attr:name_id'];
const ADMIN_ONLY_KEYS = ['os-vol-host-attr:host', 'provider_id', 'cluster_name', 'migration_progress'];
const DETACH_REFUSAL =
  "Invalid volume: Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.";

describe('attached-volume migration, API side (real apps, PostgreSQL, NATS)', () => {
  let stack: TestStack;
  const { action, show, row, attachedVolume, markMigrating } = attachedVolumeSteps(() => stack);

  beforeAll(async () => {
    stack = await TestStack.start();
  });

  afterAll(async () => {
    await stack?.stop();
  });

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
      completion: null,
      source: 'local',
    });
    // Past the second in which GETs are answered with the last live answer while a new lookup runs: the next GET waits for its own.
    const ttl = () => new Promise((r) => setTimeout(r, 1_100));

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
