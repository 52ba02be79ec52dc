import type { JsonSchema } from '../validation/json-schema';
import {
  ATTACHMENT_CREATE_MODE_ARG,
  GROUP_VOLUME,
  isAtLeast,
  NEW_ATTACH,
  SUPPORT_VOLUME_SCHEMA_CHANGES,
  VOLUME_CREATE_FROM_BACKUP,
  VOLUME_MIGRATE_CLUSTER,
  VOLUME_MIGRATIONS,
} from '../versions';
import { migrateVolumeSchema, migrateVolumeV316Schema, migrateVolumeV373Schema, resetStatusSchema } from './admin-action-schemas';
import { createAttachmentSchema, createAttachmentV354Schema } from './attachment-schemas';
import {
  createVolumeSchema,
  createVolumeV313Schema,
  createVolumeV347Schema,
  createVolumeV353Schema,
  updateVolumeSchema,
  updateVolumeV353Schema,
} from './volume-schemas';

export type SchemaAction =
  | 'volume.create'
  | 'volume.update'
  | 'volume.os-migrate_volume'
  | 'volume.os-reset_status'
  | 'attachment.create';

/**
 * The request schema Cinder applies to `action` at microversion `version` ("3.16"), or undefined
 * when the action does not exist at that version.
 */
export function schemaFor(action: Exclude<SchemaAction, 'attachment.create'>, version: string): JsonSchema;
export function schemaFor(action: SchemaAction, version: string): JsonSchema | undefined;
export function schemaFor(action: SchemaAction, version: string): JsonSchema | undefined {
  switch (action) {
    case 'volume.create':
      if (isAtLeast(version, SUPPORT_VOLUME_SCHEMA_CHANGES)) return createVolumeV353Schema;
      if (isAtLeast(version, VOLUME_CREATE_FROM_BACKUP)) return createVolumeV347Schema;
      if (isAtLeast(version, GROUP_VOLUME)) return createVolumeV313Schema;
      return createVolumeSchema;
    case 'volume.update':
      return isAtLeast(version, SUPPORT_VOLUME_SCHEMA_CHANGES) ? updateVolumeV353Schema : updateVolumeSchema;
    case 'volume.os-migrate_volume':
      if (isAtLeast(version, VOLUME_MIGRATIONS)) return migrateVolumeV373Schema;
      return isAtLeast(version, VOLUME_MIGRATE_CLUSTER) ? migrateVolumeV316Schema : migrateVolumeSchema;
    case 'volume.os-reset_status':
      return resetStatusSchema;
    case 'attachment.create':
      if (isAtLeast(version, ATTACHMENT_CREATE_MODE_ARG)) return createAttachmentV354Schema;
      return isAtLeast(version, NEW_ATTACH) ? createAttachmentSchema : undefined;
  }
}
