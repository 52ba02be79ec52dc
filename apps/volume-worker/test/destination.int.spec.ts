import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { CodedError, ErrorCode, MigrationSubjects } from '@volume/contracts';
import { NatsService } from '@volume/platform';
import { WorkerRpcClient } from '@volume/rpc-clients';
import { testNatsUrl } from '@volume/testing';
import { MigrationDataServer } from '../src/copy/data-server';
import { DestinationWait } from '../src/migration/destination-wait';
import { TargetSweep } from '../src/migration/target-sweep/target-sweep.service';
import { closeRemoteTarget } from '../src/migration/this-host';
import { MIB, sparseFile } from './copy-helpers';
import { openWorkerBench, seedMigration, seedVolume, silentLog as log, WorkerBench } from './migration-fixtures';

// The source's patience with its destination host (real PostgreSQL for heartbeats and migrations,
// real NATS for the calls), and the destination's own cleanup of stream targets.

describe('a migration and its destination host', () => {
  let bench: WorkerBench;
  let nats: NatsService;
  const destHost = `dest-${randomBytes(4).toString('hex')}`;
  const destPool = `${destHost}@file#pool1`;

  beforeAll(async () => {
    bench = await openWorkerBench('destination');
    nats = await NatsService.connect(testNatsUrl(), 'destination-int-test', log, `t${randomBytes(6).toString('hex')}`);
  });

  afterAll(async () => {
    await nats?.drain();
    await bench?.close();
  });

  /** The destination backend's service row, its last heartbeat `ageS` seconds ago. */
  async function heartbeat(ageS: number): Promise<void> {
    await bench.sql.query(
      `INSERT INTO services (uuid, host, "binary", topic, availability_zone, report_count, created_at, updated_at)
       VALUES ($1, $2, 'cinder-volume', 'cinder-volume', 'nova', 1, now(), now() - make_interval(secs => $3))
       ON CONFLICT (host, "binary") DO UPDATE SET updated_at = EXCLUDED.updated_at`,
      [randomUUID(), `${destHost}@file`, ageS],
    );
  }

  const noResponders = () => new CodedError(ErrorCode.Unavailable, `No service answers on volume.${destHost}.create_volume.v1`);

  function waitFor(cfg: { SERVICE_DOWN_TIME_S: number; MIGRATION_PEER_WAIT_S: number }, alive: { calls: number } = { calls: 0 }) {
    return new DestinationWait({
      ds: bench.ds,
      cfg,
      destPoolHost: destPool,
      log,
      keepAlive: async () => {
        alive.calls++;
        return true;
      },
    });
  }

  it('when the destination host is restarting (its heartbeat fresh), then the call is made again until it answers, and the migration is kept alive meanwhile', async () => {
    await heartbeat(0);
    let attempts = 0;
    const alive = { calls: 0 };
    const answer = await waitFor({ SERVICE_DOWN_TIME_S: 60, MIGRATION_PEER_WAIT_S: 1 }, alive).run('create the destination volume', async () => {
      if (++attempts < 4) throw noResponders();
      return 'available';
    });
    expect(answer).toBe('available');
    expect(attempts).toBe(4);
    expect(alive.calls).toBe(3);
  });

  it('when the destination host stays down past the wait, then the migration gives up on it with the reason', async () => {
    await heartbeat(3_600);
    const giving = waitFor({ SERVICE_DOWN_TIME_S: 1, MIGRATION_PEER_WAIT_S: 1 }).run('create the destination volume', async () => {
      throw noResponders();
    });
    await expect(giving).rejects.toThrow(`the destination host ${destHost} has been down for more than 1 s (could not create the destination volume: No service answers`);
  });

  it('when the destination refuses (not an absence), then nothing is retried', async () => {
    await heartbeat(0);
    let attempts = 0;
    const refused = new CodedError(ErrorCode.InvalidVolume, 'Volume x is not an available migration destination');
    await expect(
      waitFor({ SERVICE_DOWN_TIME_S: 60, MIGRATION_PEER_WAIT_S: 300 }).run('open the migration target', async () => {
        attempts++;
        throw refused;
      }),
    ).rejects.toBe(refused);
    expect(attempts).toBe(1);
  });

  it('when the destination starts listening only after the source asks it to close its target, then the close is asked again and confirmed', async () => {
    const migrationId = randomUUID();
    const closed: string[] = [];
    const closing = closeRemoteTarget(bench.cfg, new WorkerRpcClient(nats), { destPoolHost: destPool, migrationId }, { log });
    await new Promise((resolve) => setTimeout(resolve, 300));
    nats.serve(
      MigrationSubjects.closeTarget,
      ({ migrationId: id }) => {
        closed.push(id);
        return { closed: true };
      },
      { host: destHost },
    );
    await nats.connection.flush();
    await expect(closing).resolves.toBe(true);
    expect(closed).toEqual([migrationId]);
  });

  it('when a stream target\'s migration is over (its source never closed it), then the destination\'s sweep closes it and keeps the live ones', async () => {
    const server = new MigrationDataServer({ host: '127.0.0.1', port: 0 });
    await server.start();
    try {
      const source = await seedVolume(bench, { pool: 'pool1', migrationStatus: 'migrating' });
      const live = await seedMigration(bench, { volumeId: source, fromPool: 'pool1', toPool: 'pool2', mode: 'host-assisted' });
      const endedSource = await seedVolume(bench, { pool: 'pool1', migrationStatus: 'success' });
      const ended = await seedMigration(bench, { volumeId: endedSource, fromPool: 'pool1', toPool: 'pool2', mode: 'host-assisted', status: 'success' });
      const forgotten = randomUUID();
      const file = join(bench.dir, 'target');
      await sparseFile(file, MIB);
      for (const migrationId of [live, ended, forgotten]) server.register({ migrationId, path: file, sizeBytes: MIB, secret: 's' });

      const sweep = new TargetSweep(bench.ds, server, nats, log);
      expect((await sweep.sweep()).sort()).toEqual([ended, forgotten].sort());
      expect(server.targetIds).toEqual([live]);
    } finally {
      await server.stop();
    }
  });
});
