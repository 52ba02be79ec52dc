import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { ACTIVE_MIGRATION_STATUSES } from '@volume/domain';
import { fileSha256 } from '@volume/testing';
import { ADMIN, MEMBER, PROJECT } from '@volume/testing-stack';
import { SeededRandom } from './seeded-random';
import { SoakClient, sleep } from './soak-client';
import { SoakModel, SoakVolume } from './soak-model';
import { SoakOptions } from './soak-options';
import { OperationKind, StepFailed, Tally } from './tally';

export const V = `/v3/${PROJECT}/volumes`;
const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const PIECE = 4 * MIB;
/** The instance the data writer's own connection names (a host writing the volume, as os-brick's local connector). */
const WRITER_INSTANCE = '5e0c7b1a-2f3d-4c8e-9a6b-7d1e2f3a4b5c';

/** From the request to the end state, faults included: a throttled copy, a fault of at most 15 s, restarts, retries. */
export const OPERATION_BOUND_MS = 180_000;
/** How long a volume may take to leave a transitional status before the soak stops waiting for it. */
const SETTLE_BOUND_MS = 60_000;
/** An actor's pause after a failed operation. */
const FAILURE_BACKOFF_MS = 2_000;
/** Volume statuses that say something is under way on it. */
export const TRANSITIONAL_STATUSES = ['creating', 'deleting', 'attaching', 'detaching', 'reserved', 'maintenance'];

export interface OpContext {
  client: SoakClient;
  model: SoakModel;
  tally: Tally;
  rng: SeededRandom;
  opts: SoakOptions;
}

export interface VolumeRow {
  id: string;
  status: string;
  attach_status: string | null;
  migration_status: string | null;
  host: string | null;
  name_id: string | null;
}

export function volumeRow(client: SoakClient, id: string): Promise<VolumeRow | undefined> {
  return client.sql<VolumeRow>(`SELECT id, status, attach_status, migration_status, host, name_id FROM volumes WHERE id = $1`, [id]).then((r) => r[0]);
}

export function isSettled(row: VolumeRow): boolean {
  return !TRANSITIONAL_STATUSES.includes(row.status) && !ACTIVE_MIGRATION_STATUSES.includes(row.migration_status ?? '');
}

/**
 * Runs one operation on `vol` (taken by the caller) and counts its outcome. After a failure the
 * volume's state is read again from the database, once it settles, for the next operation.
 */
export async function runOperation(ctx: OpContext, kind: OperationKind, vol: SoakVolume | null, op: () => Promise<void>): Promise<void> {
  const start = Date.now();
  try {
    await op();
    ctx.tally.ok(kind);
  } catch (err) {
    const failure = err instanceof StepFailed ? err.failure : { kind: 'outcome' as const, step: 'soak', message: (err as Error).stack ?? String(err) };
    ctx.tally.failed(kind, vol?.id ?? null, failure, false, start);
    if (vol) await reconcile(ctx, vol);
    // A client backs off after a failure: the next operation would most likely meet the same fault.
    await sleep(FAILURE_BACKOFF_MS);
  } finally {
    if (vol) ctx.model.release(vol);
  }
}

/** The volume's state once nothing is under way on it (or `unknown` when it does not settle). */
export async function reconcile(ctx: OpContext, vol: SoakVolume): Promise<void> {
  const row = await ctx.client
    .until('reconcile', `volume ${vol.id} to settle`, SETTLE_BOUND_MS, async () => {
      const r = await volumeRow(ctx.client, vol.id);
      return r === undefined || isSettled(r) ? (r ?? null) : undefined;
    })
    .catch(() => undefined);
  if (!row) {
    // It did not settle, or it is gone without a delete of the soak's: the final check judges both.
    vol.state = 'unknown';
    return;
  }
  vol.host = row.host;
  vol.serverId = null;
  if (row.status === 'available') vol.state = 'available';
  else if (row.status === 'error') vol.state = 'error';
  else if (row.status === 'in-use') {
    const [device] = await ctx.client.sql(`SELECT server_id FROM compute_devices WHERE volume_id = $1`, [vol.id]).catch(() => []);
    vol.serverId = device?.server_id ?? null;
    vol.state = vol.serverId ? 'in-use' : 'unknown';
  } else vol.state = 'unknown';
}

/** Until the volume's status is `status`; `error` (or the row gone) ends the wait as a wrong end state. */
export async function waitStatus(ctx: OpContext, step: string, id: string, status: string): Promise<VolumeRow> {
  return ctx.client.until(step, `volume ${id} to be ${status}`, OPERATION_BOUND_MS, async () => {
    const row = await volumeRow(ctx.client, id);
    if (!row) throw new StepFailed({ kind: 'outcome', step, message: `volume ${id} is gone` });
    if (row.status === 'error') throw new StepFailed({ kind: 'outcome', step, message: `volume ${id} went to error` });
    return row.status === status ? row : undefined;
  });
}

/** A 1 GiB volume of the member's, then `dataMib` of random data written through its device (a host's connection). */
export async function createVolume(ctx: OpContext): Promise<void> {
  const made: { vol?: SoakVolume; written: boolean } = { written: false };
  await runOperation(ctx, 'create', null, async () => {
    const res = await ctx.client.api('create', 'POST', V, { headers: MEMBER, body: { volume: { size: 1, name: 'soak' } }, expect: [202] });
    const vol = ctx.model.add(res.body.volume.id as string);
    made.vol = vol;
    const row = await waitStatus(ctx, 'create: wait available', vol.id, 'available');
    vol.host = row.host;
    await writeData(ctx, vol);
    vol.state = 'available';
    made.written = true;
  });
  // Counted already; the volume itself (taken since `add`) is released here.
  if (made.vol) {
    if (!made.written) await reconcile(ctx, made.vol);
    ctx.model.release(made.vol);
  }
}

/**
 * Writes random data through a connection of the soak's own, notes the device's sha256 (then the
 * data is the volume's, whatever happens next), and detaches.
 */
async function writeData(ctx: OpContext, vol: SoakVolume): Promise<void> {
  const id = vol.id;
  const res = await ctx.client.api('create: connect', 'POST', `/v3/${PROJECT}/attachments`, {
    headers: ADMIN,
    version: '3.44',
    body: { attachment: { volume_uuid: id, instance_uuid: WRITER_INSTANCE, connector: { host: 'soak-writer' } } },
    expect: [200],
  });
  const device = res.body.attachment.connection_info.data.device_path as string;
  const attachmentId = res.body.attachment.id as string;
  const fh = await open(device, 'r+');
  try {
    const pieces = (ctx.opts.dataMib * MIB) / PIECE;
    for (let i = 0; i < pieces; i++) await fh.write(randomBytes(PIECE), 0, PIECE, i * (GIB / pieces));
    await fh.datasync();
  } finally {
    await fh.close();
  }
  vol.sha256 = await fileSha256(device);
  // The connection must go, or the volume stays in-use with no server: retried through faults.
  const deadline = Date.now() + OPERATION_BOUND_MS;
  for (;;) {
    try {
      await ctx.client.api('create: disconnect', 'DELETE', `/v3/${PROJECT}/attachments/${attachmentId}`, { headers: ADMIN, version: '3.44', expect: [200, 404] });
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(1_000);
    }
  }
  await waitStatus(ctx, 'create: wait detached', id, 'available');
}

/**
 * Attaches an available volume to a new server of the local compute host, as Nova does. One volume
 * per server: Nova (and the local host) refuse to swap a second volume of a server that is swapping
 * one, and the soak's migrations of attached volumes run concurrently.
 */
export async function attachVolume(ctx: OpContext, vol: SoakVolume): Promise<void> {
  await runOperation(ctx, 'attach', vol, async () => {
    const created = (await ctx.client.compute('attach: server', 'POST', '/v2.1/servers', { server: { name: `soak-${vol.id.slice(0, 8)}` } }, [202])) as { server: { id: string } };
    const serverId = created.server.id;
    await ctx.client.compute('attach', 'POST', `/v2.1/servers/${serverId}/os-volume_attachments`, { volumeAttachment: { volumeId: vol.id } }, [200]);
    await waitStatus(ctx, 'attach: wait in-use', vol.id, 'in-use');
    vol.state = 'in-use';
    vol.serverId = serverId;
  });
}

export async function detachVolume(ctx: OpContext, vol: SoakVolume): Promise<void> {
  await runOperation(ctx, 'detach', vol, async () => {
    await ctx.client.compute('detach', 'DELETE', `/v2.1/servers/${vol.serverId}/os-volume_attachments/${vol.id}`, undefined, [202]);
    await waitStatus(ctx, 'detach: wait available', vol.id, 'available');
    vol.state = 'available';
    vol.serverId = null;
  });
}

/** Deletes an available (or failed) volume as its owner and waits until its row is gone. */
export async function deleteVolume(ctx: OpContext, vol: SoakVolume): Promise<void> {
  await runOperation(ctx, 'delete', vol, async () => {
    await ctx.client.api('delete', 'DELETE', `${V}/${vol.id}`, { headers: MEMBER, expect: [202] });
    vol.deleteAccepted = true;
    await ctx.client.until('delete: wait gone', `volume ${vol.id} to be gone`, OPERATION_BOUND_MS, async () => {
      const row = await volumeRow(ctx.client, vol.id);
      if (row?.status === 'error_deleting') throw new StepFailed({ kind: 'outcome', step: 'delete', message: `volume ${vol.id} went to error_deleting` });
      return row ? undefined : true;
    });
  });
}
