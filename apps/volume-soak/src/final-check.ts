import { join } from 'node:path';
import { ACTIVE_MIGRATION_STATUSES } from '@volume/domain';
import { parseLocation, SoakVolume } from './soak-model';
import { TRANSITIONAL_STATUSES, VolumeRow } from './volume-ops';

/** The stack's state after the soak, as the final check reads it (the database and the pool directories). */
export interface Snapshot {
  volumes: VolumeRow[];
  /** Migration records still starting, migrating or completing. */
  activeMigrations: { id: string; volume_id: string; status: string }[];
  attachments: { id: string; volume_id: string; attach_status: string }[];
  devices: { id: string; server_id: string; volume_id: string; path: string }[];
  /** The local compute host's swaps not completed, failed or cancelled. */
  activeSwaps: { id: string; old_volume_id: string; phase: string }[];
  /** Every entry of every pool directory, by storage host and pool. */
  files: { host: string; pool: string; name: string }[];
}

/** Where a row's data lives: `<dataDir>/<host>/<pool>/volume-<name_id or id>`; null for an unplaced volume. */
export function dataPath(dataDir: string, row: Pick<VolumeRow, 'id' | 'host' | 'name_id'>): string | null {
  const loc = parseLocation(row.host);
  return loc ? join(dataDir, loc.host, loc.pool, `volume-${row.name_id ?? row.id}`) : null;
}

/** Whatever is still under way once the stack settled: volumes, migrations, attachments, swaps. */
export function findStuck(s: Snapshot): string[] {
  const stuck: string[] = [];
  for (const v of s.volumes) {
    if (TRANSITIONAL_STATUSES.includes(v.status)) stuck.push(`volume ${v.id} status ${v.status}`);
    const m = v.migration_status ?? '';
    if (ACTIVE_MIGRATION_STATUSES.includes(m) || m === 'deleting' || m.startsWith('target:')) stuck.push(`volume ${v.id} migration_status ${m}`);
  }
  for (const m of s.activeMigrations) stuck.push(`migration ${m.id} of volume ${m.volume_id} ${m.status}`);
  for (const a of s.attachments) if (a.attach_status !== 'attached') stuck.push(`attachment ${a.id} of volume ${a.volume_id} ${a.attach_status}`);
  for (const w of s.activeSwaps) stuck.push(`swap ${w.id} of volume ${w.old_volume_id} ${w.phase}`);
  return stuck;
}

export interface DataCheck {
  id: string;
  path: string;
  sha256: string;
}

export interface Judgement {
  /** The soak's volumes whose row or file is gone though it never deleted them. */
  missing: string[];
  /** Files to hash: each surviving volume's data where its row points. */
  checks: DataCheck[];
  /** A guest's device that is not the volume's data (the compute host would read or write elsewhere). */
  misattached: string[];
  /** Files no row names, and rows (that should have data) whose file is not there. */
  orphans: string[];
}

/** Everything of the final check but hashing the files: what must be hashed, and what is already wrong. */
export function judge(s: Snapshot, dataDir: string, soakVolumes: Iterable<SoakVolume>): Judgement {
  const rows = new Map(s.volumes.map((v) => [v.id, v]));
  const files = new Set(s.files.map((f) => join(dataDir, f.host, f.pool, f.name)));
  const missing: string[] = [];
  const checks: DataCheck[] = [];
  const counted = new Set<string>();
  for (const vol of soakVolumes) {
    if (vol.sha256 === null || vol.deleteAccepted) continue;
    const row = rows.get(vol.id);
    const path = row ? dataPath(dataDir, row) : null;
    if (!row) missing.push(`volume ${vol.id}: its row is gone, and the soak never deleted it`);
    else if (!path || !files.has(path)) missing.push(`volume ${vol.id}: no data at ${path ?? `its location ${row.host}`}`);
    else checks.push({ id: vol.id, path, sha256: vol.sha256 });
    if (!row || !path || !files.has(path)) counted.add(vol.id);
  }
  const misattached: string[] = [];
  for (const d of s.devices) {
    const row = rows.get(d.volume_id);
    const path = row ? dataPath(dataDir, row) : null;
    if (d.path !== path) misattached.push(`server ${d.server_id} device ${d.id} of volume ${d.volume_id} is ${d.path}, the volume's data is ${path ?? 'nowhere'}`);
  }
  const named = new Set<string>();
  const orphans: string[] = [];
  for (const row of s.volumes) {
    const path = dataPath(dataDir, row);
    if (!path) continue;
    named.add(path);
    // A failed create may have no file; a volume still being created is stuck, not orphaned.
    if (!files.has(path) && !['error', 'creating'].includes(row.status) && !counted.has(row.id)) {
      orphans.push(`row ${row.id} (${row.status}, ${row.migration_status ?? 'no migration'}) names ${path}, which is not there`);
    }
  }
  for (const file of [...files].sort()) if (!named.has(file)) orphans.push(`file ${file} belongs to no volume`);
  return { missing, checks, misattached, orphans };
}
