import { CodedError, ErrorCode } from '@volume/contracts';
import { Caller } from './auth';

/**
 * The policy rules this API enforces, named as Cinder names them so that refusals read the same.
 * Admin-only rules are Cinder's `rule:admin_api`.
 */
export const AdminPolicy = {
  createType: 'volume_extension:types_manage',
  extraSpecs: 'volume_extension:types_extra_specs:create',
  typeDelete: 'volume_extension:types_manage',
  getPools: 'scheduler_extension:scheduler_stats:get_pools',
  listServices: 'volume_extension:services:index',
  migrateVolume: 'volume_extension:volume_admin_actions:migrate_volume',
  resetStatus: 'volume_extension:volume_admin_actions:reset_status',
  forceDelete: 'volume_extension:volume_admin_actions:force_delete',
} as const;

export function requireAdmin(caller: Caller, policy: string): void {
  if (!caller.isAdmin) {
    throw new CodedError(ErrorCode.Forbidden, `Policy doesn't allow ${policy} to be performed.`);
  }
}

/** Members see their own project's resources; admins see every project's. */
export function canSeeProject(caller: Caller, projectId: string): boolean {
  return caller.isAdmin || caller.projectId === projectId;
}
