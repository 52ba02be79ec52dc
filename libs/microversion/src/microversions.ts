import type { VersionLike } from './api-version';

// One constant per feature, named as in Cinder's cinder/api/microversions.py, so code asks for the
// feature rather than a number and a renumbering touches a single line.

export const MIN_API_VERSION = '3.0';
export const MAX_API_VERSION = '3.73';
/** The `updated` stamp of the versions document; it moves together with MAX_API_VERSION. */
export const MAX_API_VERSION_UPDATED = '2026-12-03T00:00:00Z';

export const BASE_VERSION = '3.0';
export const UPLOAD_IMAGE_PARAMS = '3.1';
export const VOLUME_LIST_BOOTABLE = '3.2';
export const MESSAGES = '3.3';
export const VOLUME_LIST_GLANCE_METADATA = '3.4';
export const MESSAGES_PAGINATION = '3.5';
export const CG_UPDATE_BLANK_PROPERTIES = '3.6';
export const CLUSTER_SUPPORT = '3.7';
export const MANAGE_EXISTING_LIST = '3.8';
export const BACKUP_UPDATE = '3.9';
export const VOLUME_LIST_GROUP = '3.10';
export const GROUP_TYPE = '3.11';
export const VOLUME_SUMMARY = '3.12';
export const GROUP_VOLUME = '3.13';
export const GROUP_SNAPSHOTS = '3.14';
export const ETAGS = '3.15';
export const VOLUME_MIGRATE_CLUSTER = '3.16';
export const MANAGE_EXISTING_CLUSTER = '3.17';
export const BACKUP_PROJECT = '3.18';
export const GROUP_SNAPSHOT_RESET_STATUS = '3.19';
export const GROUP_VOLUME_RESET_STATUS = '3.20';
export const VOLUME_DETAIL_PROVIDER_ID = '3.21';
export const SNAPSHOT_LIST_METADATA_FILTER = '3.22';
export const VOLUME_DELETE_FORCE = '3.23';
export const WORKERS_CLEANUP = '3.24';
export const GROUP_VOLUME_LIST = '3.25';
export const REPLICATION_CLUSTER = '3.26';
export const NEW_ATTACH = '3.27';
export const POOL_FILTER = '3.28';
export const GROUP_SNAPSHOT_PAGINATION = '3.29';
export const SNAPSHOT_SORT = '3.30';
export const RESOURCE_FILTER = '3.31';
export const LOG_LEVEL = '3.32';
export const RESOURCE_FILTER_CONFIG = '3.33';
export const LIKE_FILTER = '3.34';
export const POOL_TYPE_FILTER = '3.35';
export const VOLUME_SUMMARY_METADATA = '3.36';
export const BACKUP_SORT_NAME = '3.37';
export const GROUP_REPLICATION = '3.38';
export const LIMITS_ADMIN_FILTER = '3.39';
export const VOLUME_REVERT = '3.40';
export const SNAPSHOT_LIST_USER_ID = '3.41';
export const VOLUME_EXTEND_INUSE = '3.42';
export const BACKUP_METADATA = '3.43';
export const NEW_ATTACH_COMPLETION = '3.44';
export const SUPPORT_COUNT_INFO = '3.45';
export const SUPPORT_NOVA_IMAGE = '3.46';
export const VOLUME_CREATE_FROM_BACKUP = '3.47';
export const VOLUME_SHARED_TARGETS_AND_SERVICE_FIELDS = '3.48';
export const BACKEND_STATE_REPORT = '3.49';
export const MULTIATTACH_VOLUMES = '3.50';
export const BACKUP_AZ = '3.51';
export const SUPPORT_VOLUME_TYPE_FILTER = '3.52';
export const SUPPORT_VOLUME_SCHEMA_CHANGES = '3.53';
export const ATTACHMENT_CREATE_MODE_ARG = '3.54';
export const TRANSFER_WITH_SNAPSHOTS = '3.55';
export const BACKUP_PROJECT_USER_ID = '3.56';
export const TRANSFER_WITH_HISTORY = '3.57';
export const GROUP_GROUPSNAPSHOT_PROJECT_ID = '3.58';
export const SUPPORT_TRANSFER_PAGINATION = '3.59';
export const VOLUME_TIME_COMPARISON_FILTER = '3.60';
export const VOLUME_CLUSTER_NAME = '3.61';
export const DEFAULT_TYPE_OVERRIDES = '3.62';
export const VOLUME_TYPE_ID_IN_VOLUME_DETAIL = '3.63';
export const ENCRYPTION_KEY_ID_IN_DETAILS = '3.64';
export const USE_QUOTA = '3.65';
export const SNAPSHOT_IN_USE = '3.66';
export const PROJECT_ID_OPTIONAL_IN_URL = '3.67';
export const SUPPORT_REIMAGE_VOLUME = '3.68';
export const SHARED_TARGETS_TRISTATE = '3.69';
export const TRANSFER_ENCRYPTED_VOLUME = '3.70';
export const EXTEND_VOLUME_COMPLETION = '3.71';
/**
 * `migration_progress` in the admin view of `GET /volumes/{id}` while the volume migrates: the
 * approved Cinder spec "migration-progress-in-volume-details", which upstream never merged.
 */
export const MIGRATION_PROGRESS = '3.72';
/**
 * Migrations as a resource (`GET /volume-migrations`, `GET /volume-migrations/{id}`, admin) and
 * `migration_progress` in the admin's detail list, from the persisted value (issue 14 §1; not in Cinder).
 */
export const VOLUME_MIGRATIONS = '3.73';

/**
 * The minor version just below `version`, as Cinder's `get_prior_version`: meant for boundary
 * tests ("absent at the prior version"), so it clamps at 3.0 instead of failing.
 * @throws Error unless `version` is "3.<integer>".
 */
export function getPriorVersion(version: VersionLike): string {
  const text = String(version);
  const parts = text.split('.');
  if (parts.length !== 2 || parts[0] !== '3' || !/^\d+$/.test(parts[1])) {
    throw new Error(`Invalid input received: Version ${text} is not a valid microversion format.`);
  }
  return `${parts[0]}.${Math.max(Number(parts[1]) - 1, 0)}`;
}
