import { validate } from '../validation/validator';
import { migrateVolumeCancelSchema, migrateVolumeSetBandwidthSchema, migrationEstimateSchema } from './admin-action-schemas';
import { type Body, member } from './body';

// The bodies of 3.73's migration controls (issue 14 §2; not in Cinder): each validated by its schema,
// with Cinder's error texts.

/** @throws CodedError(BadRequest) when os-migrate_volume_cancel carries anything. */
export function parseMigrateVolumeCancel(body: unknown): void {
  validate(migrateVolumeCancelSchema, body);
}

/**
 * The new limit of os-migrate_volume_set_bandwidth: bytes per second, or null for the host's default.
 * @throws CodedError(BadRequest) with the schema's error text.
 */
export function parseMigrateVolumeSetBandwidth(body: unknown): number | null {
  validate(migrateVolumeSetBandwidthSchema, body);
  return member(body as Body, 'os-migrate_volume_set_bandwidth').bytes_per_second as number | null;
}

export interface MigrationEstimateParams {
  volumeId: string;
  host: string;
  /** The own limit the migration would start with; null (absent or null): none. */
  bandwidthBytesPerSecond: number | null;
}

/** @throws CodedError(BadRequest) with the schema's error text. */
export function parseMigrationEstimate(body: unknown): MigrationEstimateParams {
  validate(migrationEstimateSchema, body);
  const b = body as Body;
  return { volumeId: b.volume_id as string, host: b.host as string, bandwidthBytesPerSecond: (b.bandwidth_bytes_per_second as number | null | undefined) ?? null };
}
