import { Client } from 'pg';
import { crash, describeDrills, THROTTLED_WORKERS } from './drill-suite';
import { expected, migrate, outcome, sleep, volumeWithData, waitForEnd } from './migration-drill';

/** The apps that only decide (the API, the scheduler) crash at the worst moment and are started again (issue 17 §4). */
describeDrills('fault drills: volume-api and the scheduler killed and restarted (real processes)', (drills) => {
  drills.fault('when volume-api is SIGKILLed at 25 % of the copy and restarted, then the migration succeeds and the API answers', {
    name: 'volume-api killed',
    fault: ({ stack }) => crash(stack, 'volume-api'),
  });

  drills.custom(
    'when the scheduler is SIGKILLed during placement and restarted, then the migration is placed and succeeds',
    'scheduler killed in placement',
    THROTTLED_WORKERS,
    async ({ stack }) => {
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
    },
  );
});
