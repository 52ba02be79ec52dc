import { join } from 'node:path';
import { fileSha256 } from '@volume/testing';
import { describeDrills, outage, THROTTLED_WORKERS } from './drill-suite';
import { expected, migrateWithFault, sleep, volumeWithData } from './migration-drill';

/**
 * The servers under the stack go away mid-migration and come back, as in an operator's restart
 * (issue 17 §4). The drills own these servers (free ports, temporary directories): the machine's
 * PostgreSQL and NATS are never touched.
 */
describeDrills('fault drills: NATS and PostgreSQL restarted under a throttled migration (real processes)', (drills) => {
  drills.fault('when NATS stops for 5 s at 25 % of the copy and comes back, then the migration succeeds with the data intact', {
    name: 'nats down 5 s',
    fault: ({ env }) => outage(env.nats, 5_000),
  });

  drills.fault('when PostgreSQL stops for 5 s at 25 % of the copy and comes back, then the migration succeeds with the data intact', {
    name: 'postgres down 5 s mid-copy',
    fault: ({ env }) => outage(env.pg, 5_000),
  });

  drills.custom(
    'when PostgreSQL stops for 15 s across the end of the copy (the row swap), then the finished copy is kept and the migration succeeds',
    'postgres down 15 s across the swap',
    THROTTLED_WORKERS,
    async ({ env, stack }) => {
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
    },
  );
});
