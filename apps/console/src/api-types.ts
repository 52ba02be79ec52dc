/** The 3.73 migration resource (docs/api-ref/volume-migrations.md), the fields the console shows. */
export interface Migration {
  id: string;
  volume_id: string;
  project_id: string;
  source_host: string;
  destination_host: string;
  mode: string | null;
  phase: string | null;
  status: 'running' | 'success' | 'error' | 'cancelling' | 'cancelled';
  progress: number | null;
  total_bytes: number | null;
  processed_bytes: number | null;
  bytes_to_read: number | null;
  read_bytes: number | null;
  rate_bytes_per_second: number | null;
  eta_seconds: number | null;
  eta_state: string | null;
  stalled: boolean;
  bandwidth_limit: number | null;
  started_at: string | null;
  finished_at: string | null;
  duration_seconds: number | null;
  average_rate_bytes_per_second: number | null;
  error: string | null;
  observed_at: string | null;
}

export interface Estimate {
  bytes_to_copy: number;
  total_bytes: number;
  expected_rate_bytes_per_second: number | null;
  expected_seconds: number | null;
  basis: { migrations: number; between: [string, string] };
  confidence: 'history' | 'host-default' | 'none';
  /** Which ceiling the rate is: the bandwidth asked for, or the source host's limit (absent from an API before it). */
  limited_by?: 'bandwidth' | 'host' | null;
}

export interface Volume {
  id: string;
  name: string | null;
  size: number;
  status: string;
  migration_status?: string | null;
  'os-vol-host-attr:host'?: string | null;
}

export interface Pool {
  name: string;
  capabilities?: { free_capacity_gb?: number | string; total_capacity_gb?: number | string };
}

/** One point of `GET /volume-migrations/{id}/progress` (3.73): a notification's figures. */
export interface ProgressSample {
  at: string | null;
  event_type: string;
  status: string;
  phase: string | null;
  progress: number | null;
  processed_bytes: number | null;
  total_bytes: number | null;
  rate_bytes_per_second: number | null;
}

/** One `event: migration` of the stream: oslo's event type and the resource. */
export interface MigrationEvent {
  event_type: string;
  volume_migration: Migration;
}
