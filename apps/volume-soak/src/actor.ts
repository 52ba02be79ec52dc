import { cancelMigration, migrateAttached, migrateDriverAssisted, migrateHostAssisted } from './migration-ops';
import { sleep } from './soak-client';
import { SoakModel, SoakVolume } from './soak-model';
import { OperationKind } from './tally';
import { attachVolume, createVolume, deleteVolume, detachVolume, OpContext } from './volume-ops';

/** The operations an actor chooses from (`refuse-busy` rides along with migrations). */
type Choice = Exclude<OperationKind, 'refuse-busy'>;

/** What a volume must be for each operation, and what runs it. */
const ACTIONS: Record<Exclude<Choice, 'create'>, { state: SoakVolume['state'][]; run: (ctx: OpContext, vol: SoakVolume) => Promise<void> }> = {
  attach: { state: ['available'], run: attachVolume },
  detach: { state: ['in-use'], run: detachVolume },
  'migrate-host': { state: ['available'], run: migrateHostAssisted },
  'migrate-driver': { state: ['available'], run: migrateDriverAssisted },
  'migrate-attached': { state: ['in-use'], run: migrateAttached },
  cancel: { state: ['in-use', 'available'], run: cancelMigration },
  delete: { state: ['error', 'available'], run: deleteVolume },
};

/**
 * The weights of the next choice: the population stays between a third of `max` and `max`
 * (creates below, deletes above, a failed volume is deleted first), migrations weigh most.
 */
export function operationWeights(model: SoakModel, max: number): Partial<Record<Choice, number>> {
  const live = model.live.length;
  const available = model.idle('available').length;
  const inUse = model.idle('in-use').length;
  const failed = model.idle('error').length;
  const floor = Math.max(2, Math.floor(max / 3));
  return {
    create: live >= max ? 0 : live < floor ? 6 : 2,
    attach: available && 2,
    detach: inUse && 1.5,
    'migrate-host': available && 3,
    'migrate-driver': available && 2,
    'migrate-attached': inUse && 2.5,
    cancel: (available || inUse) && 1,
    delete: failed ? 3 : live > floor && available ? 1.5 : 0,
  };
}

/** One actor: until the clock ends, one operation after another, each on a volume it alone holds meanwhile. */
export async function runActor(ctx: OpContext, clock: { until: number }): Promise<void> {
  while (Date.now() < clock.until) {
    const choice = ctx.rng.weighted(operationWeights(ctx.model, ctx.opts.volumes));
    if (choice === null) {
      await sleep(500);
      continue;
    }
    if (choice === 'create') {
      await createVolume(ctx);
      continue;
    }
    const action = ACTIONS[choice];
    // A failed volume goes first when deleting; else any volume in a state the operation takes.
    let vol: SoakVolume | null = null;
    for (const state of action.state) {
      vol = ctx.model.claim(ctx.rng, state);
      if (vol) break;
    }
    if (!vol) {
      await sleep(200);
      continue;
    }
    await action.run(ctx, vol);
  }
}
