import { Client } from 'pg';
import { DrillEnvironment } from '@volume/testing-stack';
import { COPY_BPS, DRILL_TIMEOUT_MS, expected, migrate, migrateWithFault, outcome, sleep, volumeWithData, waitForEnd } from './migration-drill';

jest.setTimeout(DRILL_TIMEOUT_MS);

/** The apps that only decide (the API, the scheduler) crash at the worst moment and are started again (issue 17 §4). */
describe('fault drills: volume-api and the scheduler killed and restarted (real processes)', () => {
  let env: DrillEnvironment;
  const workerEnv = { VOLUME_COPY_BPS_LIMIT: COPY_BPS };

  beforeAll(async () => {
    env = await DrillEnvironment.start();
  }, 600_000);

  afterAll(async () => {
    await env?.stop();
  });

  it('when volume-api is SIGKILLed at 25 % of the copy and restarted, then the migration succeeds and the API answers', () =>
    env.run('volume-api killed', { workerEnv }, async (stack) => {
      const vol = await volumeWithData(stack);
      const result = await migrateWithFault(stack, vol, 25, async () => {
        await stack.kill('volume-api');
        await stack.restart('volume-api');
      });
      expect(result).toEqual(expected(vol));
    }));

  it('when the scheduler is SIGKILLed during placement and restarted, then the migration is placed and succeeds', () =>
    env.run('scheduler killed in placement', { workerEnv }, async (stack) => {
      const vol = await volumeWithData(stack);
      // Placement locks the pools (so that concurrent placements never overfill one): holding them
      // keeps the scheduler inside placement, after it accepted the migration, until it is killed.
      const pools = new Client({ connectionString: stack.databaseUrl });
      await pools.connect();
      await pools.query('BEGIN');
      await pools.query('SELECT name FROM pools FOR UPDATE');
      const startedAt = Date.now();
      try {
        await migrate(stack, vol);
        await stack.waitFor(
          async () =>
            (
              await stack.sql(
                `SELECT count(*)::int AS n FROM pg_stat_activity
                  WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%FROM pools%FOR UPDATE%'`,
              )
            )[0].n > 0,
          'the scheduler to wait for the pools in placement',
        );
        await stack.kill('volume-scheduler');
      } finally {
        await pools.end();
      }
      await sleep(1_000);
      await stack.restart('volume-scheduler');
      await waitForEnd(stack, vol, startedAt);
      expect(await outcome(stack, vol)).toEqual(expected(vol));
    }));
});
