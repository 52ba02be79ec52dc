import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN, DrillInfrastructure, DrillStack, ensureAppBuild, NatsServer, PostgresServer, PROJECT } from '@volume/testing-stack';
import { runActor } from './actor';
import { FaultInjector } from './fault-injector';
import { findStuck, judge } from './final-check';
import { SeededRandom } from './seeded-random';
import { note, SoakClient } from './soak-client';
import { SoakModel } from './soak-model';
import { SoakOptions } from './soak-options';
import { failed, SoakFindings, soakReport } from './soak-report';
import { corruptedData, settledSnapshot } from './snapshot';
import { Tally } from './tally';
import { OpContext } from './volume-ops';

const MIB = 1024 * 1024;

/** When the operations and faults end: moved to now by an abort or Ctrl-C. */
export interface SoakClock {
  until: number;
}

/**
 * The soak: a stack of real processes on a PostgreSQL and a NATS of its own (the drills' harness),
 * actors running random operations while the injector runs random faults, until the clock ends;
 * then the last fault heals, in-flight work settles, and the final check reads the database and
 * the pools. Returns the report and whether it failed; the directory stays when it did.
 */
export async function runSoak(opts: SoakOptions, clock: SoakClock): Promise<{ report: string; failed: boolean }> {
  const started = Date.now();
  note(`seed ${opts.seed} (replay: npm run soak -- --seed ${opts.seed} --minutes ${opts.minutes}); building the apps`);
  const buildDir = await ensureAppBuild();
  const root = await mkdtemp(join(tmpdir(), 'volume-soak-'));
  // PostgreSQL runs as the OS user postgres when we are root: it must reach its directory inside.
  await chmod(root, 0o755);
  let pg: PostgresServer | undefined;
  let nats: NatsServer | undefined;
  let stack: DrillStack | undefined;
  let keep = opts.keep;
  try {
    pg = await PostgresServer.create(root);
    nats = await NatsServer.create(root);
    const infra: DrillInfrastructure = { pg, nats, buildDir };
    const bps = String(Math.round(opts.copyMibPerSecond * MIB));
    stack = await DrillStack.start(infra, join(root, 'stack'), { workerEnv: { VOLUME_COPY_BPS_LIMIT: bps }, novaBridgeEnv: { SWAP_COPY_BPS_LIMIT: bps } });
    note(`stack up in ${root} (logs: ${stack.dir}/*.log); ${opts.minutes} min of operations and faults`);
    const client = new SoakClient(stack);
    await client.api('setup: quota', 'PUT', `/v3/${PROJECT}/os-quota-sets/${PROJECT}`, {
      headers: ADMIN,
      body: { quota_set: { volumes: -1, gigabytes: -1 } },
      expect: [200],
    });

    const tally = new Tally();
    tally.onUnexpected = (u) => note(`unexpected: ${u.kind} ${u.volumeId ?? ''} ${u.message}${u.faults.length ? ` [during ${u.faults.join(', ')}]` : ''}`);
    const model = new SoakModel();
    clock.until = Math.min(clock.until, Date.now() + opts.minutes * 60_000);
    const injector = new FaultInjector(stack, infra, tally, SeededRandom.stream(opts.seed, 0), opts.faultGapSeconds);
    let aborted: string | null = null;
    const faults = injector.run(clock).catch((err: Error) => {
      aborted = `a fault did not heal: ${err.message.split('\n')[0]}`;
      note(aborted);
      clock.until = 0;
    });
    const actors = Array.from({ length: opts.actors }, (_, i) => {
      const ctx: OpContext = { client, model, tally, rng: SeededRandom.stream(opts.seed, i + 1), opts };
      return runActor(ctx, clock);
    });
    await faults;
    note('faults over (the last one healed); waiting for the operations in flight');
    await Promise.all(actors);
    await injector.reviveCrashed().catch((err: Error) => {
      aborted ??= `an app would not restart: ${err.message.split('\n')[0]}`;
    });

    note(`settling (at most ${opts.settleSeconds} s), then checking`);
    const snapshot = await settledSnapshot(client, stack.dir, opts.settleSeconds * 1000);
    const judgement = judge(snapshot, stack.dir, model.volumes.values());
    note(`hashing ${judgement.checks.length} volumes`);
    const apiDown = await client
      .api('check: list', 'GET', `/v3/${PROJECT}/volumes/detail?all_tenants=1`, { headers: ADMIN, expect: [200] })
      .then(() => null, (err: Error) => err.message);
    const findings: SoakFindings = { judgement, corrupted: await corruptedData(judgement.checks), stuck: findStuck(snapshot), aborted, apiDown };
    const isFailed = failed(findings);
    // An unexpected failure fails no run (nothing lost), but its logs are what tells why.
    keep ||= isFailed || tally.unexpected.length > 0;
    const report = soakReport(opts, tally, findings, Date.now() - started);
    return { report: `${report}\n${keep ? `logs, pools and database kept in ${root}` : ''}`, failed: isFailed };
  } catch (err) {
    keep = true;
    (err as Error).message += `\n(logs kept in ${root})`;
    throw err;
  } finally {
    await stack?.stop();
    await nats?.stop();
    await pg?.destroy();
    if (!keep) await rm(root, { recursive: true, force: true });
  }
}
