import { join } from 'node:path';
import { fileSha256 } from '@volume/testing';
import { DrillEnvironment } from '@volume/testing-stack';
import { COPY_BPS, DRILL_TIMEOUT_MS, expected, migrateWithFault, sleep, volumeWithData } from './migration-drill';

jest.setTimeout(DRILL_TIMEOUT_MS);

/**
 * The servers under the stack go away mid-migration and come back, as in an operator's restart
 * (issue 17 §4). The drills own these servers (free ports, temporary directories): the machine's
 * PostgreSQL and NATS are never touched.
 */
describe('fault drills: NATS and PostgreSQL restarted under a throttled migration (real processes)', () => {
  let env: DrillEnvironment;
  const workerEnv = { VOLUME_COPY_BPS_LIMIT: COPY_BPS };

  beforeAll(async () => {
    env = await DrillEnvironment.start();
  }, 600_000);

  afterAll(async () => {
    await env?.stop();
  });

  it('when NATS stops for 5 s at 25 % of the copy and comes back, then the migration succeeds with the data intact', () =>
    env.run('nats down 5 s', { workerEnv }, async (stack) => {
      const vol = await volumeWithData(stack);
      const result = await migrateWithFault(stack, vol, 25, async () => {
        await env.nats.stop();
        await sleep(5_000);
        await env.nats.start();
      });
      expect(result).toEqual(expected(vol));
    }));

  it('when PostgreSQL stops for 5 s at 25 % of the copy and comes back, then the migration succeeds with the data intact', () =>
    env.run('postgres down 5 s mid-copy', { workerEnv }, async (stack) => {
      const vol = await volumeWithData(stack);
      const result = await migrateWithFault(stack, vol, 25, async () => {
        await env.pg.stop();
        await sleep(5_000);
        await env.pg.start();
      });
      expect(result).toEqual(expected(vol));
    }));

  it('when PostgreSQL stops for 15 s across the end of the copy (the row swap), then the finished copy is kept and the migration succeeds', () =>
    env.run('postgres down 15 s across the swap', { workerEnv }, async (stack) => {
      const vol = await volumeWithData(stack);
      let copiedWhileDown = false;
      const result = await migrateWithFault(stack, vol, 70, async () => {
        const [m] = await stack.sql(`SELECT dest_volume_id, dest_host FROM volume_migrations WHERE volume_id = $1`, [vol.id]);
        const destFile = join(stack.dir, vol.destHost, (m.dest_host as string).split('#')[1], `volume-${m.dest_volume_id}`);
        await env.pg.stop();
        // Near the end of the outage: the whole copy must be on the destination by then, or this
        // drill did not put the outage across the end of the copy.
        const [, sha] = await Promise.all([sleep(15_000), sleep(12_000).then(() => fileSha256(destFile).catch((err) => String(err)))]);
        copiedWhileDown = sha === vol.sha256;
        await env.pg.start();
      });
      expect({ ...result, copiedWhileDown }).toEqual({ ...expected(vol), copiedWhileDown: true });
    }));
});
