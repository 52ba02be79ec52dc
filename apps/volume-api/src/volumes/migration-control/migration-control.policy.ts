import { CodedError, ErrorCode } from '@volume/contracts';
import { VOLUME_MIGRATIONS } from '@volume/microversion';
import { AuthedContext } from '../../http/request-context';

/** The rules of 3.73's migration controls: admin APIs by default (`rule:admin_api`), as os-migrate_volume. */
export const MigrationControlPolicy = {
  cancel: 'volume_extension:volume_admin_actions:migrate_volume_cancel',
  setBandwidth: 'volume_extension:volume_admin_actions:migrate_volume_set_bandwidth',
} as const;

/**
 * Below 3.73 the controls do not exist: Cinder answers a versioned action called below its
 * version with VersionNotFoundForAPIMethod, a 404, before it looks at the volume.
 */
export function requireMigrationControlVersion(ctx: AuthedContext): void {
  if (!ctx.version.gte(VOLUME_MIGRATIONS)) {
    throw new CodedError(ErrorCode.NotFound, `API version ${ctx.version.toString()} is not supported on this method.`);
  }
}
