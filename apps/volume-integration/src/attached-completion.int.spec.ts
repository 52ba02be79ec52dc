import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { ComputeSubjects, SwapProgressReply } from '@volume/contracts';
import { NatsService } from '@volume/platform';
import { ADMIN, MEMBER, OTHER_MEMBER, TestStack } from '@volume/testing-stack';
import { A, attachedVolumeSteps, BRIDGE, NOVA, SERVER, SERVICE_ROLE } from './support/attached-volumes';

// os-migrate_volume_completion, as the compute side (Nova, nova-bridge) ends a swap with it, and as
// nobody else may end a compute swap: only once nova-bridge reports the swap past its pivot (or
// rolled back, for an error). nova-bridge is a stand-in here that answers what each test sets;
// local-compute-host-tenancy.int.spec.ts refuses a premature completion during a real swap.

jest.setTimeout(120_000);

const COMPLETION_POLICY = "Policy doesn't allow volume_extension:volume_admin_actions:migrate_volume_completion to be performed.";

/** What nova-bridge answers about a swap in `phase`. */
function swapReply(phase: SwapProgressReply['phase'], completion: SwapProgressReply['completion']): SwapProgressReply {
  return { progress: null, phase, cur: null, end: null, updatedAt: null, completion, source: 'local' };
}
/** As nova-bridge answers while it completes a swap past its pivot (its own completion call). */
const PAST_PIVOT = swapReply('completing', 'success');

describe('os-migrate_volume_completion (real apps, PostgreSQL, NATS; a stand-in nova-bridge)', () => {
  let stack: TestStack;
  let bridge: NatsService | undefined;
  let answer: SwapProgressReply = PAST_PIVOT;
  const asked: string[] = [];
  const { action, completion, show, row, attachedVolume, markMigrating } = attachedVolumeSteps(() => stack);

  async function startBridge(): Promise<void> {
    bridge = await NatsService.connect(stack.env.NATS_URL, 'fake-nova-bridge', pino({ level: 'silent' }), stack.env.NATS_SUBJECT_PREFIX);
    bridge.serve(ComputeSubjects.swapProgress, async ({ volumeId }) => {
      asked.push(volumeId);
      return answer;
    });
    await bridge.connection.flush();
  }

  beforeAll(async () => {
    stack = await TestStack.start();
    await startBridge();
  });

  beforeEach(() => {
    answer = PAST_PIVOT;
  });

  afterAll(async () => {
    await bridge?.drain();
    await stack?.stop();
  });

  /** The rows a completion would change: the volume, its destination, the migration. */
  async function state(id: string, dest: string) {
    const [migration] = await stack.sql(`SELECT status, mode FROM volume_migrations WHERE volume_id = $1`, [id]);
    return { volume: await row(id), dest: await row(dest), migration };
  }

  async function swappingVolume(): Promise<{ id: string; dest: string }> {
    const { id } = await attachedVolume();
    const dest = await stack.createVolume({ size: 1 });
    await markMigrating(id, dest);
    return { id, dest };
  }

  describe('Cinder\'s checks, then the compute side\'s word', () => {
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

  describe('of a compute swap, as nova-bridge reports it', () => {
    it('when nova-bridge reports the swap before its pivot, then a completion is refused with 400, as admin and as service, and nothing changes', async () => {
      const { id, dest } = await swappingVolume();
      const before = await state(id, dest);
      for (const phase of ['accepted', 'copying', 'ready', 'pivoting'] as const) {
        answer = swapReply(phase, null);
        for (const headers of [ADMIN, BRIDGE, NOVA]) {
          const res = await completion(id, { new_volume: dest, error: false }, headers);
          expect([res.status, res.body]).toEqual([
            400,
            {
              badRequest: {
                code: 400,
                message: `Invalid volume: The compute service has not switched the guest of volume ${id} to the new volume (swap ${phase}); it completes the migration itself after its pivot.`,
              },
            },
          ]);
        }
      }
      answer = swapReply('copying', null);
      const error = await completion(id, { new_volume: dest, error: true }, BRIDGE);
      expect([error.status, error.body.badRequest.message]).toEqual([
        400,
        `Invalid volume: The compute service has not rolled back the swap of volume ${id} (swap copying); it completes the migration itself once it has.`,
      ]);
      expect(asked).toContain(id);
      expect(await state(id, dest)).toEqual(before);
      expect(before).toMatchObject({ volume: { status: 'in-use', migration_status: 'migrating' }, migration: { status: 'migrating' } });
    });

    it('when nova-bridge knows no swap of the volume, then a completion is refused and nothing changes', async () => {
      const { id, dest } = await swappingVolume();
      const before = await state(id, dest);
      answer = swapReply(null, null);
      const res = await completion(id, { new_volume: dest, error: false }, ADMIN);
      expect([res.status, res.body.badRequest.message]).toEqual([400, `Invalid volume: The compute service knows no swap of volume ${id} to complete.`]);
      expect(await state(id, dest)).toEqual(before);
    });

    it('when the swap is past its pivot, then a completion with error is refused: the guest runs on the destination', async () => {
      const { id, dest } = await swappingVolume();
      const before = await state(id, dest);
      const res = await completion(id, { new_volume: dest, error: true }, ADMIN);
      expect([res.status, res.body.badRequest.message]).toEqual([
        400,
        `Invalid volume: Volume ${id} is past its swap's pivot: the guest runs on the new volume, so only a successful completion ends the migration.`,
      ]);
      expect(await state(id, dest)).toEqual(before);
    });

    it('when nova-bridge does not answer, then 503 and nothing changes: no completion on a guess', async () => {
      const { id, dest } = await swappingVolume();
      const before = await state(id, dest);
      await bridge?.drain();
      bridge = undefined;
      try {
        const res = await completion(id, { new_volume: dest, error: false }, BRIDGE);
        expect(res.status).toBe(503);
        expect(res.body.serviceUnavailable.message).toBe(
          `The compute service did not say whether the swap of volume ${id} is past its pivot; the migration was not completed. Try again later.`,
        );
      } finally {
        await startBridge();
      }
      expect(await state(id, dest)).toEqual(before);
    });

    it('when nova-bridge rolls the swap back, then its completion with error ends the migration in error with the volume in-use on its source', async () => {
      const { id, dest } = await swappingVolume();
      const sourceHost = (await row(id)).host;
      answer = swapReply('copying', 'error');
      const res = await completion(id, { new_volume: dest, error: true }, BRIDGE);
      expect([res.status, res.body]).toEqual([200, { save_volume_id: id }]);
      expect(await row(id)).toMatchObject({ status: 'in-use', migration_status: 'error', host: sourceHost });
    });

    it('when the migration is a host copy, then nova-bridge is not asked (the source host guards its own copy)', async () => {
      const { id } = await attachedVolume();
      const dest = await stack.createVolume({ size: 1 });
      await markMigrating(id, dest, 'host-assisted');
      const res = await completion(id, { new_volume: dest, error: false }, ADMIN);
      expect(res.status).toBe(400);
      expect(asked).not.toContain(id);
    });
  });
});
