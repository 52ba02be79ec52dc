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

/** os-migrate_volume from 3.16: host or cluster, checked after the schema */
export const migrateVolumeV316Schema: JsonSchema = {
  type: 'object',
  properties: {
    'os-migrate_volume': {
      type: 'object',
      properties: {
        host: { type: ['string', 'null'], maxLength: 255 },
        force_host_copy: boolean,
        lock_volume: boolean,
        cluster: nameAllowZeroMinLength,
      },
      additionalProperties: false,
    },
  },
  required: ['os-migrate_volume'],
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
