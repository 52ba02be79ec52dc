import { VOLUME_MIGRATIONS } from '@volume/microversion';
import { ApiFault, UnsupportedError } from '../exit-codes';
import type { BlockStorageHttp, Feature } from './http-client';

/** A volume as `GET /volumes/{id}` shows it to an admin (the fields the CLI reads; the rest pass through). */
export interface Volume {
  id: string;
  name: string | null;
  status: string;
  size: number;
  'os-vol-host-attr:host'?: string | null;
  migration_status?: string | null;
  /** 3.72: a percent ("45%"), or what the migration is doing when it has no percent. */
  migration_progress?: string;
  [field: string]: unknown;
}

export interface Pool {
  name: string;
  capabilities?: { total_capacity_gb?: number | string; free_capacity_gb?: number | string; allocated_capacity_gb?: number; [k: string]: unknown };
}

/** `volume_migration` at 3.73 (issue 14 §1). */
export interface VolumeMigration {
  id: string;
  volume_id: string;
  project_id?: string;
  source_host: string;
  destination_host: string;
  mode: string;
  phase: string;
  status: string;
  progress: number | null;
  total_bytes: number | null;
  processed_bytes: number | null;
  rate_bytes_per_second: number | null;
  eta_seconds: number | null;
  eta_state: string | null;
  last_progress_at: string | null;
  stalled: boolean;
  bandwidth_limit: number | null;
  started_at: string;
  finished_at: string | null;
  duration_seconds: number | null;
  average_rate_bytes_per_second: number | null;
  error: string | null;
  /** When the API read these figures: a live answer's now, a persisted row's last write. */
  observed_at?: string | null;
  [field: string]: unknown;
}

export interface MigrationEstimate {
  bytes_to_copy: number;
  total_bytes: number;
  expected_rate_bytes_per_second: number | null;
  expected_seconds: number | null;
  basis: { migrations: number; between: [string, string] };
  confidence: string;
  /** Which ceiling the rate is: `bandwidth` (the one asked for), `host` (its limit); null or absent (an older server): neither. */
  limited_by?: string | null;
}

export interface MigrateOptions {
  host: string;
  forceHostCopy?: boolean;
  lockVolume?: boolean;
  bandwidthBytesPerSecond?: number;
}

const feature = (what: string): Feature => ({ what, version: VOLUME_MIGRATIONS });
const MIGRATIONS = feature('the volume-migrations resource');
const CANCEL = feature('cancel');
const BANDWIDTH = feature('runtime bandwidth');
const ESTIMATE = feature('the pre-flight estimate');
const MIGRATE_BANDWIDTH = feature('--bandwidth on migrate');
const ESTIMATE_BANDWIDTH = feature('--bandwidth on the estimate');

/** An older server answers an action it does not know with 400 "There is no such action". */
function unsupportedAction(err: unknown, f: Feature): unknown {
  return err instanceof ApiFault && err.status === 400 && /no such action/i.test(err.message) ? new UnsupportedError(f.what, f.version, err.message) : err;
}

/** A server before `bandwidth_bytes_per_second` in a body refuses the key its schema does not know. */
function refusedBandwidthKey(err: unknown): err is ApiFault {
  return err instanceof ApiFault && err.status === 400 && /bandwidth_bytes_per_second.*(unexpected|not allowed)|additional properties/i.test(err.message);
}

/** The calls the CLI makes, one per route (the transport, versions and faults are BlockStorageHttp's). */
export class BlockStorageApi {
  constructor(private readonly http: BlockStorageHttp) {}

  async listVolumes(q: { name?: string; status?: string; allProjects?: boolean; limit?: number } = {}): Promise<Volume[]> {
    const query = { name: q.name, status: q.status, all_tenants: q.allProjects ? 1 : undefined, limit: q.limit };
    return (await this.http.request<{ volumes: Volume[] }>('GET', 'volumes/detail', { query })).volumes;
  }

  async getVolume(id: string): Promise<Volume> {
    return (await this.http.request<{ volume: Volume }>('GET', `volumes/${encodeURIComponent(id)}`)).volume;
  }

  async listPools(): Promise<Pool[]> {
    return (await this.http.request<{ pools: Pool[] }>('GET', 'scheduler-stats/get_pools', { query: { detail: true } })).pools;
  }

  async migrate(volumeId: string, o: MigrateOptions): Promise<void> {
    const args: Record<string, unknown> = { host: o.host, force_host_copy: o.forceHostCopy ?? false, lock_volume: o.lockVolume ?? false };
    if (o.bandwidthBytesPerSecond !== undefined) args.bandwidth_bytes_per_second = o.bandwidthBytesPerSecond;
    try {
      await this.action(volumeId, { 'os-migrate_volume': args }, o.bandwidthBytesPerSecond === undefined ? undefined : MIGRATE_BANDWIDTH);
    } catch (err) {
      if (refusedBandwidthKey(err)) throw new UnsupportedError(MIGRATE_BANDWIDTH.what, MIGRATE_BANDWIDTH.version, err.message);
      throw err;
    }
  }

  async listMigrations(q: { allProjects?: boolean; status?: string; volumeId?: string; limit?: number } = {}): Promise<VolumeMigration[]> {
    const query = { all_tenants: q.allProjects ? 1 : undefined, status: q.status, volume_id: q.volumeId, limit: q.limit };
    return (await this.http.request<{ volume_migrations: VolumeMigration[] }>('GET', 'volume-migrations', { query, needs: MIGRATIONS })).volume_migrations;
  }

  async getMigration(id: string): Promise<VolumeMigration> {
    return (await this.http.request<{ volume_migration: VolumeMigration }>('GET', `volume-migrations/${encodeURIComponent(id)}`, { needs: MIGRATIONS }))
      .volume_migration;
  }

  /**
   * The events stream (3.73) of one migration, or of every running one (`id` absent); see
   * BlockStorageHttp.openStream for what is returned and what is thrown.
   */
  openMigrationEvents(q: { id?: string; allProjects?: boolean }, lastEventId: string | undefined, signal: AbortSignal): Promise<Response> {
    const path = q.id ? `volume-migrations/${encodeURIComponent(q.id)}/events` : 'volume-migrations/events';
    return this.http.openStream(path, { query: { all_tenants: !q.id && q.allProjects ? 1 : undefined }, lastEventId, signal });
  }

  async cancelMigration(volumeId: string): Promise<void> {
    await this.action(volumeId, { 'os-migrate_volume_cancel': null }, CANCEL);
  }

  /** `null` returns the migration to its host's default limit. */
  async setBandwidth(volumeId: string, bytesPerSecond: number | null): Promise<void> {
    await this.action(volumeId, { 'os-migrate_volume_set_bandwidth': { bytes_per_second: bytesPerSecond } }, BANDWIDTH);
  }

  /** The estimate of moving the volume to `host`, started with `bandwidthBytesPerSecond` (absent: none of its own). */
  async estimate(volumeId: string, host: string, bandwidthBytesPerSecond?: number): Promise<MigrationEstimate> {
    try {
      const body: Record<string, unknown> = { volume_id: volumeId, host };
      if (bandwidthBytesPerSecond !== undefined) body.bandwidth_bytes_per_second = bandwidthBytesPerSecond;
      return (await this.http.request<{ estimate: MigrationEstimate }>('POST', 'volume-migrations/estimate', { body, needs: ESTIMATE })).estimate;
    } catch (err) {
      // The route itself is missing (a resource-level 404 cannot happen: the volume was found first).
      if (err instanceof ApiFault && (err.status === 404 || err.status === 405)) throw new UnsupportedError(ESTIMATE.what, ESTIMATE.version, err.message);
      if (bandwidthBytesPerSecond !== undefined && refusedBandwidthKey(err)) {
        throw new UnsupportedError(ESTIMATE_BANDWIDTH.what, ESTIMATE_BANDWIDTH.version, err.message);
      }
      throw err;
    }
  }

  private async action(volumeId: string, body: Record<string, unknown>, needs?: Feature): Promise<void> {
    try {
      await this.http.request('POST', `volumes/${encodeURIComponent(volumeId)}/action`, { body, needs });
    } catch (err) {
      throw needs ? unsupportedAction(err, needs) : err;
    }
  }
}
