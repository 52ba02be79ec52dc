import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { ACTIVE_MIGRATION_STATUSES } from '@volume/domain';
import { fileSha256 } from '@volume/testing';
import { ADMIN, DRILL_HOSTS, DrillHost, DrillStack, PROJECT } from '@volume/testing-stack';

export const MIB = 1024 * 1024;
/** Random data in each drill's 1 GiB volume. */
export const DATA_MIB = 128;
/** The copy's throttle (VOLUME_COPY_BPS_LIMIT, SWAP_COPY_BPS_LIMIT): the data takes ~8 s, so a fault lands mid-copy. */
export const COPY_BPS = String(16 * MIB);
/** From the migration request to its end, fault included: a ~8 s copy, a fault of at most 15 s, restarts and retries. */
export const MIGRATION_BOUND_MS = 120_000;
/** Per drill: a stack's start, the data, the bound, the checks. */
export const DRILL_TIMEOUT_MS = 240_000;

const V = `/v3/${PROJECT}/volumes`;
/** The copy reads and throttles 4 MiB blocks: a piece fills one, so that the copy reads DATA_MIB. */
const CHUNK = 4 * MIB;
const INSTANCE = '3f6e2a1c-5b7d-4e8f-9a0b-1c2d3e4f5a6b';

export interface DrillVolume {
  id: string;
  sha256: string;
  sourceHost: DrillHost;
  /** The other storage host, where the drill moves it. */
  destHost: DrillHost;
  /** Its status before the migration, which it must have again after. */
  status: string;
}

export const destPool = (host: DrillHost) => `${host}@file#pool1`;

/** Waits until the volume's status is one of `statuses` (read from the database). */
async function waitStatus(stack: DrillStack, id: string, statuses: string[]): Promise<void> {
  await stack.waitFor(
    async () => statuses.includes((await stack.sql(`SELECT status FROM volumes WHERE id = $1`, [id]))[0]?.status),
    `volume ${id} to be ${statuses.join(' or ')}`,
    30_000,
  );
}

/** Connects the volume as a host would (os-brick's local connector): its device is the backend's file. */
export async function connect(stack: DrillStack, id: string): Promise<{ device: string; attachmentId: string }> {
  const res = await stack.request('POST', `/v3/${PROJECT}/attachments`, {
    headers: ADMIN,
    version: '3.44',
    body: { attachment: { volume_uuid: id, instance_uuid: INSTANCE, connector: { host: 'drill' } } },
  });
  if (res.status !== 200) throw new Error(`attaching ${id}: ${res.status} ${res.text}`);
  return { device: res.body.attachment.connection_info.data.device_path, attachmentId: res.body.attachment.id };
}

export async function disconnect(stack: DrillStack, id: string, attachmentId: string): Promise<void> {
  const res = await stack.request('DELETE', `/v3/${PROJECT}/attachments/${attachmentId}`, { headers: ADMIN, version: '3.44' });
  if (res.status !== 200) throw new Error(`detaching ${attachmentId}: ${res.status} ${res.text}`);
  await waitStatus(stack, id, ['available']);
}

/**
 * A 1 GiB volume holding DATA_MIB of random data in pieces spread evenly over it: progress goes
 * by offset, so that "25 %" is a quarter of the data copied. Written through its device, then
 * detached; `sha256` is that of the whole device.
 */
export async function volumeWithData(stack: DrillStack, headers: Record<string, string> = ADMIN): Promise<DrillVolume> {
  const res = await stack.request('POST', V, { headers, body: { volume: { size: 1, name: 'drill' } } });
  if (res.status !== 202) throw new Error(`creating a volume: ${res.status} ${res.text}`);
  const id = res.body.volume.id as string;
  await waitStatus(stack, id, ['available']);
  const { device, attachmentId } = await connect(stack, id);
  const fh = await open(device, 'r+');
  try {
    const pieces = (DATA_MIB * MIB) / CHUNK;
    const stride = (1024 * MIB) / pieces;
    for (let i = 0; i < pieces; i++) await fh.write(randomBytes(CHUNK), 0, CHUNK, i * stride);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await disconnect(stack, id, attachmentId);
  const [row] = await stack.sql(`SELECT host FROM volumes WHERE id = $1`, [id]);
  const sourceHost = DRILL_HOSTS.find((h) => (row.host as string).startsWith(`${h}@`)) as DrillHost;
  const destHost = DRILL_HOSTS.find((h) => h !== sourceHost) as DrillHost;
  return { id, sha256: await fileSha256(device), sourceHost, destHost, status: 'available' };
}

/** os-migrate_volume to the other host, as an admin at 3.72 (migration_progress shown). */
export async function migrate(stack: DrillStack, vol: DrillVolume): Promise<void> {
  const res = await stack.request('POST', `${V}/${vol.id}/action`, {
    headers: ADMIN,
    version: '3.72',
    body: { 'os-migrate_volume': { host: destPool(vol.destHost) } },
  });
  if (res.status !== 202) throw new Error(`os-migrate_volume: ${res.status} ${res.text}`);
}

/**
 * Until the migration shows at least `percent` % (GET volume at 3.72). A migration that ends first
 * fails the drill: the fault would not land mid-copy.
 */
export async function waitForProgress(stack: DrillStack, vol: DrillVolume, percent: number): Promise<void> {
  await stack.waitFor(
    async () => {
      const v = (await stack.request('GET', `${V}/${vol.id}`, { headers: ADMIN, version: '3.72' })).body?.volume;
      if (v?.migration_status === 'success' || v?.migration_status === 'error') {
        throw new Error(`the migration ended (${v.migration_status}) before ${percent} %: the fault would not land mid-copy`);
      }
      return Number(v?.migration_progress ?? 0) >= percent;
    },
    `the migration of ${vol.id} to reach ${percent} %`,
    MIGRATION_BOUND_MS,
    (err) => !/the migration ended/.test(err.message),
  );
}

/** Until the volume's migration is over (read from the database, which may be down meanwhile), or the bound passes. */
export async function waitForEnd(stack: DrillStack, vol: DrillVolume, startedAt: number): Promise<void> {
  await stack
    .waitFor(
      async () => {
        const [v] = await stack.sql(`SELECT migration_status FROM volumes WHERE id = $1`, [vol.id]);
        return !ACTIVE_MIGRATION_STATUSES.includes(v.migration_status);
      },
      'the migration to end',
      Math.max(0, startedAt + MIGRATION_BOUND_MS - Date.now()),
    )
    .catch(() => undefined); // what it stayed in is in the outcome
}

export interface DrillOutcome {
  migrationStatus: string | null;
  /** The migration record's error text, when it ended in error. */
  error: string | null;
  status: string;
  host: string;
  /** Volumes and migrations still starting, migrating or completing, anywhere in the stack. */
  stuck: string[];
  /** GET volume after the drill. */
  api: number;
  /** The data where the volume's row now points. */
  sha256: string | null;
}

/** What an operator checks after the fault: the row, anything stuck, the API, and the data. */
export async function outcome(stack: DrillStack, vol: DrillVolume): Promise<DrillOutcome> {
  const [v] = await stack.sql(`SELECT status, migration_status, host FROM volumes WHERE id = $1`, [vol.id]);
  const [m] = await stack.sql(`SELECT status, error FROM volume_migrations WHERE volume_id = $1 ORDER BY started_at DESC LIMIT 1`, [vol.id]);
  const stuck = [
    ...(await stack.sql(`SELECT id, migration_status AS s FROM volumes WHERE migration_status = ANY($1)`, [ACTIVE_MIGRATION_STATUSES])),
    ...(await stack.sql(`SELECT id, status AS s FROM volume_migrations WHERE status = ANY($1)`, [ACTIVE_MIGRATION_STATUSES])),
  ].map((r) => `${r.id} ${r.s}`);
  const api = (await stack.request('GET', `${V}/${vol.id}`, { headers: ADMIN, version: '3.72' })).status;
  return {
    migrationStatus: v.migration_status,
    error: m?.status === 'error' ? m.error : null,
    status: v.status,
    host: v.host,
    stuck,
    api,
    sha256: stuck.length ? null : await dataSha256(stack, vol.id, v.status),
  };
}

/** Where the row points: an attached volume's device as its host has it, else through a new connection. */
async function dataSha256(stack: DrillStack, id: string, status: string): Promise<string> {
  if (status === 'in-use') {
    const res = await stack.request('GET', `/v3/${PROJECT}/attachments/detail?volume_id=${id}`, { headers: ADMIN, version: '3.44' });
    const att = res.body.attachments.find((a: { status: string }) => a.status === 'attached');
    return fileSha256(att.connection_info.data.device_path);
  }
  const { device, attachmentId } = await connect(stack, id);
  try {
    return await fileSha256(device);
  } finally {
    await disconnect(stack, id, attachmentId);
  }
}

/** The outcome every drill expects: success on the other host, nothing stuck, the API answering, the data intact. */
export function expected(vol: DrillVolume): DrillOutcome {
  return { migrationStatus: 'success', error: null, status: vol.status, host: destPool(vol.destHost), stuck: [], api: 200, sha256: vol.sha256 };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Migrates the volume to the other host, injects `fault` once the copy is at `percent` %, and waits for the end. */
export async function migrateWithFault(stack: DrillStack, vol: DrillVolume, percent: number, fault: () => Promise<void>): Promise<DrillOutcome> {
  const startedAt = Date.now();
  await migrate(stack, vol);
  await waitForProgress(stack, vol, percent);
  await fault();
  await waitForEnd(stack, vol, startedAt);
  return outcome(stack, vol);
}
