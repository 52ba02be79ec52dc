import type { VolumeMigration } from '../api/block-storage';

const MIB = 1024 ** 2;

/** A host copy at 40 % of a 1 GiB volume, throttled at 64 MiB/s, as `GET volume-migrations/{id}` shows it at 12:00:00. */
export function migration(over: Partial<VolumeMigration> = {}): VolumeMigration {
  return {
    id: 'm1',
    volume_id: 'v1',
    source_host: 'host-a@file#pool1',
    destination_host: 'host-b@file#pool1',
    mode: 'host-assisted',
    phase: 'copying',
    status: 'running',
    progress: 40,
    total_bytes: 1024 * MIB,
    processed_bytes: 410 * MIB,
    rate_bytes_per_second: 64 * MIB,
    eta_seconds: 10,
    eta_state: 'throttled',
    last_progress_at: '2026-12-03T11:59:59Z',
    stalled: false,
    bandwidth_limit: 64 * MIB,
    started_at: '2026-12-03T11:59:50Z',
    finished_at: null,
    duration_seconds: 10,
    average_rate_bytes_per_second: 41 * MIB,
    error: null,
    observed_at: '2026-12-03T12:00:00',
    ...over,
  };
}
