import { parseApiTime } from '@volume/migration-format';
import type { Volume, VolumeMigration } from '../api/block-storage';

const GIB = 1024 ** 3;
const FINISHED = ['success', 'error', 'cancelled'];

/** One migration as a watcher shows it, whichever route it was read from. */
export interface MigrationState {
  /** The migration's id, or the volume's when the server has no migrations resource (before 3.73). */
  key: string;
  migrationId?: string;
  volumeId: string;
  /** The volume's name when the watcher knows it, else its id. */
  label: string;
  destination?: string;
  /** running, cancelling, success, error or cancelled (the resource's statuses). */
  status: string;
  phase: string;
  percent: number | null;
  processedBytes: number | null;
  totalBytes: number | null;
  rate: number | null;
  etaSeconds: number | null;
  etaState: string | null;
  /** Seconds since bytes last moved, when the API flags the migration as stalled. */
  stalledSeconds: number | null;
  durationSeconds: number | null;
  averageRate: number | null;
  error: string | null;
  /** When the API observed this state (ms), to tell an older state from a newer one; null when unknown. */
  observedAt: number | null;
}

export const isFinished = (s: MigrationState): boolean => FINISHED.includes(s.status);

/** A 3.73 `volume_migration`; `stalled` comes with `last_progress_at`, from which the silence is timed. */
export function stateOfMigration(m: VolumeMigration, label: string = m.volume_id, now = new Date()): MigrationState {
  const since = parseApiTime(m.last_progress_at) ?? NaN;
  return {
    key: m.id,
    migrationId: m.id,
    volumeId: m.volume_id,
    label,
    destination: m.destination_host,
    status: m.status,
    phase: m.phase,
    percent: m.progress,
    processedBytes: m.processed_bytes,
    totalBytes: m.total_bytes,
    rate: m.rate_bytes_per_second,
    etaSeconds: m.eta_seconds,
    etaState: m.eta_state,
    stalledSeconds: m.stalled && Number.isFinite(since) ? Math.max(0, (now.getTime() - since) / 1000) : null,
    durationSeconds: m.duration_seconds,
    averageRate: m.average_rate_bytes_per_second,
    error: m.error,
    observedAt: parseApiTime(m.observed_at),
  };
}

/**
 * A volume read at 3.72, for a server without the migrations resource: `migration_status` says where
 * it is, `migration_progress` how far ("45%"), or what it does when there is no percent
 * ("driver-assisted"). Bytes follow from the size; there is no rate or ETA to show.
 */
export function stateOfVolume(v: Volume, destination?: string): MigrationState {
  const migration = v.migration_status ?? 'starting';
  const status = FINISHED.includes(migration) ? migration : 'running';
  const percentText = /^(\d+)%$/.exec(v.migration_progress ?? '')?.[1];
  const percent = status === 'success' ? 100 : percentText !== undefined ? Number(percentText) : null;
  const totalBytes = v.size * GIB;
  return {
    key: v.id,
    volumeId: v.id,
    label: v.name || v.id,
    destination,
    status,
    phase: status === 'running' ? (percent === null ? (v.migration_progress ?? migration) : 'copying') : 'done',
    percent,
    processedBytes: percent === null ? null : Math.round((totalBytes * percent) / 100),
    totalBytes,
    rate: null,
    etaSeconds: null,
    etaState: null,
    stalledSeconds: null,
    durationSeconds: null,
    averageRate: null,
    error: status === 'error' ? 'the migration failed (the volume shows migration_status: error)' : null,
    observedAt: null,
  };
}
