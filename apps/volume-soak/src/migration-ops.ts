import { ACTIVE_MIGRATION_STATUSES } from '@volume/domain';
import { VOLUME_MIGRATIONS } from '@volume/microversion';
import { ADMIN, MEMBER } from '@volume/testing-stack';
import { sleep } from './soak-client';
import { destinations, SoakVolume } from './soak-model';
import { OperationKind, StepFailed } from './tally';
import { isSettled, OpContext, OPERATION_BOUND_MS, runOperation, V, volumeRow } from './volume-ops';

interface MigrationRecord {
  id: string;
  status: string;
  error: string | null;
  mode: string | null;
  finished_at: Date | null;
}

function latestMigration(ctx: OpContext, volumeId: string): Promise<MigrationRecord | undefined> {
  return ctx.client
    .sql<MigrationRecord>(`SELECT id, status, error, mode, finished_at FROM volume_migrations WHERE volume_id = $1 ORDER BY started_at DESC LIMIT 1`, [volumeId])
    .then((r) => r[0]);
}

/** os-migrate_volume as an admin at 3.72; the record it started (read back, the 202 has no body). */
async function requestMigration(ctx: OpContext, step: string, vol: SoakVolume, host: string, forceHostCopy: boolean, lockVolume = false): Promise<MigrationRecord> {
  const before = await ctx.client.until(step, `the migrations of ${vol.id}`, OPERATION_BOUND_MS, async () => (await latestMigration(ctx, vol.id)) ?? null);
  await ctx.client.api(step, 'POST', `${V}/${vol.id}/action`, {
    headers: ADMIN,
    version: '3.72',
    body: { 'os-migrate_volume': { host, force_host_copy: forceHostCopy, lock_volume: lockVolume } },
    expect: [202],
  });
  return ctx.client.until(step, `the migration record of ${vol.id}`, OPERATION_BOUND_MS, async () => {
    const m = await latestMigration(ctx, vol.id);
    return m && m.id !== before?.id ? m : undefined;
  });
}

/** Until nothing is under way on the volume; then how its last migration ended. */
async function waitMigrationEnd(ctx: OpContext, step: string, vol: SoakVolume): Promise<MigrationRecord> {
  await ctx.client.until(step, `the migration of ${vol.id} to end`, OPERATION_BOUND_MS, async () => {
    const row = await volumeRow(ctx.client, vol.id);
    if (!row) throw new StepFailed({ kind: 'outcome', step, message: `volume ${vol.id} is gone` });
    return isSettled(row) ? row : undefined;
  });
  const m = await ctx.client.until(step, `the migration record of ${vol.id}`, OPERATION_BOUND_MS, () => latestMigration(ctx, vol.id));
  const row = await ctx.client.until(step, `the row of ${vol.id}`, OPERATION_BOUND_MS, () => volumeRow(ctx.client, vol.id));
  vol.host = row.host;
  return m;
}

/** A migration that ended in error failed: every fault of issue 17 §3 must be survived with `success`. */
function requireSuccess(step: string, m: MigrationRecord): void {
  if (m.status !== 'success') throw new StepFailed({ kind: 'outcome', step, message: `migration ${m.id} (${m.mode ?? 'no mode'}) ended ${m.status}: ${m.error ?? ''}` });
}

/**
 * What must be refused while the volume migrates: a second os-migrate_volume, or (detached) a
 * delete. Asked only while the volume's row says it migrates; a 4xx is the right answer, an
 * acceptance is right only if the migration had ended by the time the API answered.
 */
async function probeRefusal(ctx: OpContext, vol: SoakVolume, first: MigrationRecord, host: string): Promise<MigrationRecord | undefined> {
  const kind: OperationKind = 'refuse-busy';
  const row = await volumeRow(ctx.client, vol.id).catch(() => undefined);
  if (!row || !ACTIVE_MIGRATION_STATUSES.includes(row.migration_status ?? '')) return;
  const start = Date.now();
  const tryDelete = vol.state === 'available' && ctx.rng.chance(0.5);
  try {
    if (tryDelete) await ctx.client.api('refuse-busy: delete', 'DELETE', `${V}/${vol.id}`, { headers: MEMBER, expect: [202] });
    else {
      await ctx.client.api('refuse-busy: second migration', 'POST', `${V}/${vol.id}/action`, {
        headers: ADMIN,
        body: { 'os-migrate_volume': { host, force_host_copy: true } },
        expect: [202],
      });
    }
  } catch (err) {
    if (!(err instanceof StepFailed)) throw err;
    ctx.tally.failed(kind, vol.id, err.failure, true, start);
    return;
  }
  const answered = Date.now();
  if (tryDelete) vol.deleteAccepted = true;
  // A deleted volume's migration records go with it: then nothing tells when the migration ended.
  const [m] = await ctx.client
    .sql<MigrationRecord>(`SELECT id, status, error, mode, finished_at FROM volume_migrations WHERE id = $1`, [first.id])
    .catch(() => [] as MigrationRecord[]);
  if (m?.finished_at && new Date(m.finished_at).getTime() <= answered) {
    ctx.tally.ok(kind);
    return m;
  }
  const what = tryDelete ? 'a delete' : 'a second migration';
  const when = m ? (m.finished_at ? `ended only at ${new Date(m.finished_at).toISOString()}` : 'was still under way') : 'was under way just before (its record went with the volume)';
  ctx.tally.failed(kind, vol.id, { kind: 'outcome', step: kind, message: `${what} of ${vol.id} was accepted while migration ${first.id} ${when}` }, false, start);
  return m;
}

/** A detached volume to the other host, or to its own host's other pool with force_host_copy: the source host copies. */
export function migrateHostAssisted(ctx: OpContext, vol: SoakVolume): Promise<void> {
  return runOperation(ctx, 'migrate-host', vol, async () => {
    const dests = destinations(vol.host as string);
    const sameHost = ctx.rng.chance(0.25);
    const host = sameHost ? dests.sameHost : ctx.rng.pick(dests.otherHost);
    const first = await requestMigration(ctx, 'migrate-host', vol, host, sameHost || ctx.rng.chance(0.5), ctx.rng.chance(0.3));
    const probed = ctx.rng.chance(0.3) ? await probeRefusal(ctx, vol, first, host) : undefined;
    if (vol.deleteAccepted) {
      // The probe's delete was taken: the volume goes, and how its migration ended is what the probe read.
      if (probed) requireSuccess('migrate-host', probed);
      return;
    }
    requireSuccess('migrate-host', await waitMigrationEnd(ctx, 'migrate-host: wait end', vol));
  });
}

/** A detached volume to its host's other pool without force_host_copy: the driver moves the file. */
export function migrateDriverAssisted(ctx: OpContext, vol: SoakVolume): Promise<void> {
  return runOperation(ctx, 'migrate-driver', vol, async () => {
    await requestMigration(ctx, 'migrate-driver', vol, destinations(vol.host as string).sameHost, false);
    requireSuccess('migrate-driver', await waitMigrationEnd(ctx, 'migrate-driver: wait end', vol));
  });
}

/** An attached volume anywhere else: nova-bridge swaps it under the guest. */
export function migrateAttached(ctx: OpContext, vol: SoakVolume): Promise<void> {
  return runOperation(ctx, 'migrate-attached', vol, async () => {
    const dests = destinations(vol.host as string);
    const host = ctx.rng.pick([dests.sameHost, ...dests.otherHost]);
    const first = await requestMigration(ctx, 'migrate-attached', vol, host, false);
    if (ctx.rng.chance(0.3)) await probeRefusal(ctx, vol, first, host);
    requireSuccess('migrate-attached', await waitMigrationEnd(ctx, 'migrate-attached: wait end', vol));
  });
}

/**
 * A migration stopped mid-way, either of two ways. os-reset_status of migration_status (a detached
 * volume's host copy), which the copying worker sees at its next checkpoint. Or 3.73's
 * os-migrate_volume_cancel, of a host copy or of an attached volume's swap, where the compute side
 * decides: 202 (cancelled, or ending so), or 400 once past the switch-over (the migration goes on
 * to `success`). Either end is right (the cancel may land after the copy finished); the migration
 * must end, and a cancelled one's destination must not stay behind.
 */
export function cancelMigration(ctx: OpContext, vol: SoakVolume): Promise<void> {
  return runOperation(ctx, 'cancel', vol, async () => {
    const attached = vol.state === 'in-use';
    const byReset = !attached && ctx.rng.chance(0.4);
    const dests = destinations(vol.host as string);
    const host = attached ? ctx.rng.pick([dests.sameHost, ...dests.otherHost]) : ctx.rng.pick(dests.otherHost);
    const m = await requestMigration(ctx, 'cancel: migrate', vol, host, !attached);
    await ctx.client.until('cancel: wait copying', `the migration of ${vol.id} to copy`, OPERATION_BOUND_MS, async () => {
      const row = await volumeRow(ctx.client, vol.id);
      return row && row.migration_status !== 'starting' ? true : undefined;
    });
    await sleep(ctx.rng.int(0, 2_000));
    if (byReset) {
      await ctx.client.api('cancel: reset', 'POST', `${V}/${vol.id}/action`, { headers: ADMIN, body: { 'os-reset_status': { migration_status: 'error' } }, expect: [202] });
    } else {
      await ctx.client.api('cancel: os-migrate_volume_cancel', 'POST', `${V}/${vol.id}/action`, {
        headers: ADMIN,
        version: VOLUME_MIGRATIONS,
        body: { 'os-migrate_volume_cancel': {} },
        expect: [202, 400],
      });
    }
    const end = await waitMigrationEnd(ctx, 'cancel: wait end', vol);
    if (end.id !== m.id || ACTIVE_MIGRATION_STATUSES.includes(end.status)) {
      throw new StepFailed({ kind: 'outcome', step: 'cancel', message: `migration ${m.id} still ${end.status} after the cancel` });
    }
    ctx.tally.cancels[end.status === 'success' ? 'late' : 'stopped']++;
    if (end.status === 'success') return;
    await ctx.client.until('cancel: destination removed', `the destination of ${vol.id} to be removed`, OPERATION_BOUND_MS, async () => {
      const [t] = await ctx.client.sql(`SELECT count(*)::int AS n FROM volumes WHERE migration_status = $1`, [`target:${vol.id}`]);
      return t.n === 0 ? true : undefined;
    });
  });
}
