import type { JsonSchema } from '../validation/json-schema';
import { boolean, nameAllowZeroMinLength, uuid } from './parameter-types';

// Cinder's cinder/api/schemas/admin_actions.py for the volume admin actions we serve.

/** os-migrate_volume before 3.16: host is required */
export const migrateVolumeSchema: JsonSchema = {
  type: 'object',
  properties: {
    'os-migrate_volume': {
      type: 'object',
      properties: {
        host: { type: 'string', maxLength: 255 },
        force_host_copy: boolean,
        lock_volume: boolean,
      },
      required: ['host'],
      additionalProperties: false,
    },
  },
  required: ['os-migrate_volume'],
  additionalProperties: false,
};

/** The os-migrate_volume body whose member takes `properties` (and no other key). */
function migrateVolumeBody(properties: Record<string, JsonSchema>): JsonSchema {
  return {
    type: 'object',
    properties: { 'os-migrate_volume': { type: 'object', properties, additionalProperties: false } },
    required: ['os-migrate_volume'],
    additionalProperties: false,
  };
}

const V316_MIGRATE_ARGS: Record<string, JsonSchema> = {
  host: { type: ['string', 'null'], maxLength: 255 },
  force_host_copy: boolean,
  lock_volume: boolean,
  cluster: nameAllowZeroMinLength,
};

/** os-migrate_volume from 3.16: host or cluster, checked after the schema */
export const migrateVolumeV316Schema: JsonSchema = migrateVolumeBody(V316_MIGRATE_ARGS);

/**
 * A migration's own copy bandwidth (3.73, not in Cinder), bytes per second: a positive whole number,
 * or null for the host's default. Stored as a bigint, and carried as a JS number: up to 2^53 - 1.
 */
const bandwidthBytesPerSecond: JsonSchema = { type: ['integer', 'null'], minimum: 1, maximum: Number.MAX_SAFE_INTEGER };

/** os-migrate_volume from 3.73: 3.16's, with the migration's own copy bandwidth */
export const migrateVolumeV373Schema: JsonSchema = migrateVolumeBody({ ...V316_MIGRATE_ARGS, bandwidth_bytes_per_second: bandwidthBytesPerSecond });

/** os-migrate_volume_cancel (3.73): no arguments, as Cinder's os-force_delete (null, or an empty object) */
export const migrateVolumeCancelSchema: JsonSchema = {
  type: 'object',
  properties: {
    'os-migrate_volume_cancel': { type: ['null', 'object'], properties: {}, additionalProperties: false },
  },
  required: ['os-migrate_volume_cancel'],
  additionalProperties: false,
};

/** os-migrate_volume_set_bandwidth (3.73): the running migration's new limit, null for the host's */
export const migrateVolumeSetBandwidthSchema: JsonSchema = {
  type: 'object',
  properties: {
    'os-migrate_volume_set_bandwidth': {
      type: 'object',
      properties: { bytes_per_second: bandwidthBytesPerSecond },
      required: ['bytes_per_second'],
      additionalProperties: false,
    },
  },
  required: ['os-migrate_volume_set_bandwidth'],
  additionalProperties: false,
};

/**
 * POST /volume-migrations/estimate (3.73): the volume and where it would go, as os-migrate_volume's
 * host, and the bandwidth it would be started with, as os-migrate_volume's (3.73)
 */
export const migrationEstimateSchema: JsonSchema = {
  type: 'object',
  properties: {
    volume_id: { type: 'string', maxLength: 36 },
    host: { type: 'string', maxLength: 255 },
    bandwidth_bytes_per_second: bandwidthBytesPerSecond,
  },
  required: ['volume_id', 'host'],
  additionalProperties: false,
};

export const resetStatusSchema: JsonSchema = {
  type: 'object',
  properties: {
    'os-reset_status': {
      type: 'object',
      format: 'validate_volume_reset_body',
      properties: {
        status: { type: ['string', 'null'], format: 'volume_status' },
        attach_status: { type: ['string', 'null'], format: 'volume_attach_status' },
        migration_status: { type: ['string', 'null'], format: 'volume_migration_status' },
      },
      additionalProperties: false,
    },
  },
  required: ['os-reset_status'],
  additionalProperties: false,
};

/** os-migrate_volume_completion (same schema at every version): `error` is not converted to a bool */
export const migrateVolumeCompletionSchema: JsonSchema = {
  type: 'object',
  properties: {
    'os-migrate_volume_completion': {
      type: 'object',
      properties: {
        new_volume: uuid,
        error: { type: ['string', 'null', 'boolean'] },
      },
      required: ['new_volume'],
      additionalProperties: false,
    },
  },
  required: ['os-migrate_volume_completion'],
  additionalProperties: false,
};
