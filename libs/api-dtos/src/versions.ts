// The named microversions these rules branch on come from the one microversion library; only a
// string-level "at least" helper lives here, since the rules take versions as "3.16" strings.
import { ApiVersion } from '@volume/microversion';

export {
  ATTACHMENT_CREATE_MODE_ARG,
  GROUP_VOLUME,
  LIKE_FILTER,
  NEW_ATTACH,
  RESOURCE_FILTER,
  SUPPORT_COUNT_INFO,
  SUPPORT_VOLUME_SCHEMA_CHANGES,
  USE_QUOTA,
  VOLUME_CREATE_FROM_BACKUP,
  VOLUME_LIST_GLANCE_METADATA,
  VOLUME_LIST_GROUP,
  VOLUME_MIGRATE_CLUSTER,
  VOLUME_MIGRATIONS,
  VOLUME_TIME_COMPARISON_FILTER,
} from '@volume/microversion';

/** Negative, zero or positive as `a` is below, equal to or above `b`, comparing numerically. */
export function compareVersions(a: string, b: string): number {
  return ApiVersion.parse(a).compare(b);
}

export function isAtLeast(version: string, minimum: string): boolean {
  return compareVersions(version, minimum) >= 0;
}
