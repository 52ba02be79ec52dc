import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ACTIVE_MIGRATION_STATUSES } from '@volume/domain';
import { fileSha256 } from '@volume/testing';
import { DRILL_HOSTS } from '@volume/testing-stack';
import { DataCheck, findStuck, Snapshot } from './final-check';
import { SoakClient, sleep } from './soak-client';
import { POOLS } from './soak-model';
import { VolumeRow } from './volume-ops';

async function poolFiles(dataDir: string): Promise<Snapshot['files']> {
  const files: Snapshot['files'] = [];
  for (const host of DRILL_HOSTS) {
    for (const pool of POOLS) {
      const names = await readdir(join(dataDir, host, pool)).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [] as string[];
        throw err;
      });
      files.push(...names.map((name) => ({ host, pool, name })));
    }
  }
  return files;
}

/** The database's rows and the pools' files, read one after the other (so only once the stack is quiet). */
export async function takeSnapshot(client: SoakClient, dataDir: string): Promise<Snapshot> {
  return {
    volumes: await client.sql<VolumeRow>(`SELECT id, status, attach_status, migration_status, host, name_id FROM volumes ORDER BY id`),
    activeMigrations: await client.sql<Snapshot['activeMigrations'][number]>(`SELECT id, volume_id, status FROM volume_migrations WHERE status = ANY($1)`, [ACTIVE_MIGRATION_STATUSES]),
    attachments: await client.sql<Snapshot['attachments'][number]>(`SELECT id, volume_id, attach_status FROM volume_attachments`),
    devices: await client.sql<Snapshot['devices'][number]>(`SELECT id, server_id, volume_id, path FROM compute_devices`),
    activeSwaps: await client.sql<Snapshot['activeSwaps'][number]>(`SELECT id, old_volume_id, phase FROM compute_swaps WHERE phase NOT IN ('completed', 'failed', 'cancelled')`),
    files: await poolFiles(dataDir),
  };
}

/**
 * The snapshot once nothing is under way any more, or the last one when `boundMs` passes first
 * (what is still under way then is stuck). A read that fails (the database just restarted) is retried.
 */
export async function settledSnapshot(client: SoakClient, dataDir: string, boundMs: number): Promise<Snapshot> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    let snapshot: Snapshot | undefined;
    try {
      snapshot = await takeSnapshot(client, dataDir);
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (snapshot && (findStuck(snapshot).length === 0 || Date.now() > deadline)) return snapshot;
    await sleep(1_000);
  }
}

/** The checks whose file does not hash to what the soak wrote. */
export async function corruptedData(checks: DataCheck[]): Promise<string[]> {
  const corrupted: string[] = [];
  for (const check of checks) {
    const sha = await fileSha256(check.path);
    if (sha !== check.sha256) corrupted.push(`volume ${check.id}: ${check.path} has sha256 ${sha}, written ${check.sha256}`);
  }
  return corrupted;
}
