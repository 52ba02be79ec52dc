import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ADMIN, DrillStack, PROJECT } from '@volume/testing-stack';
import { describeDrills, THROTTLED_WORKERS } from './drill-suite';
import { expected, migrate, outcome, sleep, volumeWithData, waitForEnd, waitForProgress } from './migration-drill';

const V = `/v3/${PROJECT}/volumes`;
/** A lost call is made up within this: the callers' own bound (60 s) or the worker's sweep (every 20 s). */
const MADE_UP_WITHIN_MS = 70_000;

const exists = (path: string) => stat(path).then(() => true, () => false);

/** The file of a volume row, where its host keeps it (`<stack>/<host>/<pool>/volume-<id>`). */
async function volumeFile(stack: DrillStack, id: string): Promise<string> {
  const [row] = await stack.sql(`SELECT host FROM volumes WHERE id = $1`, [id]);
  const [host, pool] = (row.host as string).split(/@[^#]*#/);
  return join(stack.dir, host, pool, `volume-${id}`);
}

async function volumeStatus(stack: DrillStack, id: string): Promise<string | undefined> {
  return (await stack.sql(`SELECT status FROM volumes WHERE id = $1`, [id]))[0]?.status;
}

/**
 * Calls lost to a service that is not up (a scheduler or nova-bridge restarting, NATS away), and
 * the work they leave behind (issue 17 §3): each is asked again, or found by a sweep, and nothing
 * stays `creating`, `deleting` or half-migrated.
 */
describeDrills('fault drills: calls lost to a service that is down (real processes)', (drills) => {
  drills.custom(
    "when a volume is deleted while NATS is down and the API dies before NATS is back, then its host's sweep deletes it, row and file",
    'delete lost in a NATS outage',
    {},
    async ({ env, stack }) => {
      const vol = await volumeWithData(stack);
      const file = await volumeFile(stack, vol.id);
      await env.nats.stop();
      const res = await stack.request('DELETE', `${V}/${vol.id}`, { headers: ADMIN });
      await stack.kill('volume-api');
      await env.nats.start();
      await stack.restart('volume-api');
      await stack.waitFor(async () => (await volumeStatus(stack, vol.id)) === undefined, `volume ${vol.id} deleted`, MADE_UP_WITHIN_MS).catch(() => undefined);
      expect({ answer: res.status, status: (await volumeStatus(stack, vol.id)) ?? 'gone', file: await exists(file) }).toEqual({
        answer: 202,
        status: 'gone',
        file: false,
      });
    },
  );

  drills.custom(
    'when a volume is created and another migrated while the scheduler is down, then both are answered at once and done once it is back',
    'create and migrate with the scheduler down',
    {},
    async ({ stack }) => {
      const vol = await volumeWithData(stack);
      await stack.kill('volume-scheduler');
      const startedAt = Date.now();
      const created = await stack.request('POST', V, { headers: ADMIN, body: { volume: { size: 1, name: 'scheduler-down' } } });
      await migrate(stack, vol);
      const answeredInMs = Date.now() - startedAt;
      await sleep(5_000);
      await stack.restart('volume-scheduler');
      const id = created.body?.volume?.id as string;
      await stack.waitFor(async () => (await volumeStatus(stack, id)) !== 'creating', `volume ${id} created`, MADE_UP_WITHIN_MS).catch(() => undefined);
      await waitForEnd(stack, vol, startedAt);
      expect({ created: created.status, quick: answeredInMs < 5_000, status: await volumeStatus(stack, id) }).toEqual({
        created: 202,
        quick: true,
        status: 'available',
      });
      expect(await outcome(stack, vol)).toEqual(expected(vol));
    },
  );

  drills.custom(
    'when os-reset_status cancels a migration whose source worker is dead, then the destination row and file are removed and the source keeps its data',
    'cancel with the source dead',
    THROTTLED_WORKERS,
    async ({ stack }) => {
      const vol = await volumeWithData(stack);
      const [{ host }] = await stack.sql(`SELECT host FROM volumes WHERE id = $1`, [vol.id]);
      const startedAt = Date.now();
      await migrate(stack, vol);
      await waitForProgress(stack, vol, 25);
      const [m] = await stack.sql(`SELECT dest_volume_id FROM volume_migrations WHERE volume_id = $1`, [vol.id]);
      const destFile = await volumeFile(stack, m.dest_volume_id);
      await stack.kill(vol.sourceHost);
      const reset = await stack.request('POST', `${V}/${vol.id}/action`, {
        headers: ADMIN,
        body: { 'os-reset_status': { migration_status: 'error' } },
      });
      const destRowGone = async () => (await stack.sql(`SELECT 1 FROM volumes WHERE id = $1`, [m.dest_volume_id])).length === 0;
      await stack.waitFor(destRowGone, 'the destination row removed', MADE_UP_WITHIN_MS).catch(() => undefined);
      const destination = { row: !(await destRowGone()), file: await exists(destFile) };
      await stack.restart(vol.sourceHost);
      await waitForEnd(stack, vol, startedAt);
      expect({ reset: reset.status, destination, ...(await outcome(stack, vol)) }).toEqual({
        ...expected(vol),
        reset: 202,
        destination: { row: false, file: false },
        migrationStatus: 'error',
        error: 'reset by an admin (os-reset_status)',
        host,
      });
    },
  );
});
