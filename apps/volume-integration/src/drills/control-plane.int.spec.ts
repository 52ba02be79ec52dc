import { Client } from 'pg';
import { ADMIN, PROJECT } from '@volume/testing-stack';
import { crash, describeDrills, THROTTLED_WORKERS } from './drill-suite';
import { expected, migrate, outcome, sleep, volumeWithData, waitForEnd } from './migration-drill';

/** Well within SHUTDOWN_TIMEOUT_S (20 s): the API stops at once, retries or not. */
const PROMPT_SHUTDOWN_MS = 5_000;

/** The apps that only decide (the API, the scheduler) crash at the worst moment and are started again (issue 17 §4). */
describeDrills('fault drills: volume-api and the scheduler killed and restarted (real processes)', (drills) => {
  drills.fault('when volume-api is SIGKILLed at 25 % of the copy and restarted, then the migration succeeds and the API answers', {
    name: 'volume-api killed',
    fault: ({ stack }) => crash(stack, 'volume-api'),
  });

  drills.custom(
    'when volume-api gets SIGTERM while it asks a scheduler that is down again (a create), then it exits cleanly within a few seconds and the create ends',
    'volume-api stopped in a retry',
    {},
    async ({ stack }) => {
      await stack.kill('volume-scheduler');
      const res = await stack.request('POST', `/v3/${PROJECT}/volumes`, { headers: ADMIN, body: { volume: { size: 1, name: 'never scheduled' } } });
      expect(res.status).toBe(202);
      // Into its backoff: the first attempts found no scheduler.
      await sleep(1_500);
      const api = stack.process('volume-api');
      const sentAt = Date.now();
      await api.stop(20_000);
      expect({ ms: Date.now() - sentAt < PROMPT_SHUTDOWN_MS, exit: api.exitReason }).toEqual({ ms: true, exit: 'exit code 0' });
      // Not left `creating` for good: a create no scheduler took ends, as when the bound passes.
      expect((await stack.sql(`SELECT status FROM volumes WHERE id = $1`, [res.body.volume.id]))[0].status).toBe('error');
    },
  );

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
