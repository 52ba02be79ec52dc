import { DrillApp, DrillEnvironment, DrillStack, DrillStackOptions } from '@volume/testing-stack';
import { COPY_BPS, DRILL_TIMEOUT_MS, DrillVolume, expected, migrateWithFault, sleep, volumeWithData } from './migration-drill';

/** Its servers' start and the apps' build (once per machine, into $TMPDIR/volume-drill-builds). */
const ENVIRONMENT_START_MS = 600_000;

/** Both workers' copy throttled to COPY_BPS, so that a fault lands mid-copy: the stack most drills run on. */
export const THROTTLED_WORKERS: DrillStackOptions = { workerEnv: { VOLUME_COPY_BPS_LIMIT: COPY_BPS } };

/** What a drill's steps act on: its fresh stack, and the environment's servers under it. */
export interface DrillContext {
  env: DrillEnvironment;
  stack: DrillStack;
}

export interface FaultDrill {
  /** The drill's stack (its directory and logs under the environment's). */
  name: string;
  /** The migration's progress (%) at which the fault lands; 25 unless given. */
  at?: number;
  /** THROTTLED_WORKERS unless given. */
  options?: DrillStackOptions;
  /** The volume the drill migrates; volumeWithData's unless given. */
  volume?: (stack: DrillStack) => Promise<DrillVolume>;
  fault: (drill: DrillContext & { vol: DrillVolume }) => Promise<void>;
}

export interface Drills {
  /** A drill whose fault lands mid-migration and which expects the migration to succeed all the same (`expected`). */
  fault(title: string, drill: FaultDrill): void;
  /** A drill with steps and checks of its own, on a fresh stack. */
  custom(title: string, name: string, options: DrillStackOptions, body: (drill: DrillContext) => Promise<void>): void;
}

/**
 * A drill spec file's suite: one environment (a PostgreSQL and a NATS of its own, the apps' build)
 * for the drills `define` states, each on a fresh stack, so that the file states only its faults.
 */
export function describeDrills(title: string, define: (drills: Drills) => void): void {
  // For the whole file, hooks included: stopping the environment waits for its servers.
  jest.setTimeout(DRILL_TIMEOUT_MS);

  describe(title, () => {
    let env: DrillEnvironment;

    beforeAll(async () => {
      env = await DrillEnvironment.start();
    }, ENVIRONMENT_START_MS);

    afterAll(async () => {
      await env?.stop();
    });

    const custom: Drills['custom'] = (name, stackName, options, body) =>
      it(name, () => env.run(stackName, options, (stack) => body({ env, stack })));

    define({
      custom,
      fault: (name, drill) =>
        custom(name, drill.name, drill.options ?? THROTTLED_WORKERS, async (ctx) => {
          const vol = await (drill.volume ?? volumeWithData)(ctx.stack);
          const result = await migrateWithFault(ctx.stack, vol, drill.at ?? 25, () => drill.fault({ ...ctx, vol }));
          expect(result).toEqual(expected(vol));
        }),
    });
  });
}

/** A server under the stack (PostgreSQL, NATS) stopped for `ms` and started again, as in an operator's restart. */
export async function outage(server: { stop(): Promise<void>; start(): Promise<void> }, ms: number): Promise<void> {
  await server.stop();
  await sleep(ms);
  await server.start();
}

/** An app SIGKILLed (no shutdown hook, no last checkpoint) and started again after `delayMs`, as by a supervisor. */
export async function crash(stack: DrillStack, app: DrillApp, delayMs = 0): Promise<void> {
  await stack.kill(app);
  if (delayMs > 0) await sleep(delayMs);
  await stack.restart(app);
}
