import { CodedError, ErrorCode, pyTruthy, type ResetStatusUpdate } from '@volume/domain';
import { getBoolParam } from '../python/bool-param';
import { isAtLeast, VOLUME_MIGRATE_CLUSTER } from '../versions';
import { validate } from '../validation/validator';
import { migrateVolumeCompletionSchema, resetStatusSchema } from './admin-action-schemas';
import { type Body, member } from './body';
import { schemaFor } from './schema-for';

export interface MigrateVolumeParams {
  host: string | null;
  cluster: string | null;
  forceHostCopy: boolean;
  lockVolume: boolean;
  /** The migration's own copy limit (3.73); null: the host's. */
  bandwidthBytesPerSecond: number | null;
}

/** Exactly one of them, as Cinder's common.get_cluster_host returns it. */
export type MigrationRequestTarget = { host: string } | { cluster: string };

/**
 * The body of os-migrate_volume, validated against the schema of `version`.
 * @throws CodedError(BadRequest) with Cinder's schema error text.
 */
export function parseMigrateVolume(body: unknown, version: string): MigrateVolumeParams {
  validate(schemaFor('volume.os-migrate_volume', version), body);
  const params = member(body as Body, 'os-migrate_volume');
  return {
    host: (params.host as string | null | undefined) ?? null,
    cluster: (params.cluster as string | null | undefined) ?? null,
    forceHostCopy: getBoolParam('force_host_copy', params),
    lockVolume: getBoolParam('lock_volume', params),
    bandwidthBytesPerSecond: (params.bandwidth_bytes_per_second as number | null | undefined) ?? null,
  };
}

/**
 * Cinder checks host/cluster only after finding the volume and checking policy, so this is a
 * step of its own.
 * @throws CodedError(BadRequest) "Invalid input received: One and only one of cluster and host
 *   must be set." (from 3.16) or "Invalid input received: Host field is missing." (before).
 */
export function migrationRequestTarget(params: MigrateVolumeParams, version: string): MigrationRequestTarget {
  const clusterAware = isAtLeast(version, VOLUME_MIGRATE_CLUSTER);
  const cluster = clusterAware ? params.cluster : null;
  if (Boolean(cluster) === Boolean(params.host)) {
    const reason = clusterAware ? 'One and only one of cluster and host must be set.' : 'Host field is missing.';
    throw new CodedError(ErrorCode.BadRequest, `Invalid input received: ${reason}`);
  }
  return cluster ? { cluster } : { host: params.host as string };
}

/**
 * The body of os-reset_status (same schema at every version), lower-cased as Cinder stores it.
 * @throws CodedError(BadRequest) with Cinder's schema and status texts.
 */
export function parseResetStatus(body: unknown): ResetStatusUpdate {
  validate(resetStatusSchema, body);
  const params = member(body as Body, 'os-reset_status');
  const lowered = (key: string): string | undefined => {
    const value = params[key];
    return typeof value === 'string' && value !== '' ? value.toLowerCase() : undefined;
  };
  const update: ResetStatusUpdate = {};
  const status = lowered('status');
  const attachStatus = lowered('attach_status');
  const migrationStatus = lowered('migration_status');
  if (status !== undefined) update.status = status;
  if (attachStatus !== undefined) update.attachStatus = attachStatus;
  if (migrationStatus !== undefined) update.migrationStatus = migrationStatus === 'none' ? null : migrationStatus;
  return update;
}

export interface MigrateVolumeCompletionParams {
  newVolumeId: string;
  /** The compute side's verdict, as Python's truthiness reads Cinder's unconverted value. */
  error: boolean;
}

/**
 * The body of os-migrate_volume_completion (same schema at every version).
 *
 * Cinder hands `error` to the volume manager without a bool conversion and tests it with `if error:`,
 * so every non-empty string counts as an error, the string "false" and "False" included; only
 * false, null, "" and a missing key mean success. We keep that: Nova always sends a JSON boolean.
 * @throws CodedError(BadRequest) with Cinder's schema error text.
 */
export function parseMigrateVolumeCompletion(body: unknown): MigrateVolumeCompletionParams {
  validate(migrateVolumeCompletionSchema, body);
  const params = member(body as Body, 'os-migrate_volume_completion');
  return { newVolumeId: params.new_volume as string, error: pyTruthy(params.error) };
}
