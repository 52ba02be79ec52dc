import { CodedError, ErrorCode } from '@volume/contracts';
import { Caller } from '@volume/auth';

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

/** Rules an admin or the service user (Nova) passes: Cinder's `rule:admin_api` plus the service role. */
export const ServicePolicy = {
  migrateVolumeCompletion: 'volume_extension:volume_admin_actions:migrate_volume_completion',
} as const;

/** Rules the volume's own project, admins and the service user pass (Cinder's project-member rules). */
export const OwnerPolicy = {
  beginDetaching: 'volume_extension:volume_actions:begin_detaching',
  rollDetaching: 'volume_extension:volume_actions:roll_detaching',
} as const;

function forbidden(policy: string): CodedError {
  return new CodedError(ErrorCode.Forbidden, `Policy doesn't allow ${policy} to be performed.`);
}

export function requireAdmin(caller: Caller, policy: string): void {
  if (!caller.isAdmin) throw forbidden(policy);
}

export function requireAdminOrService(caller: Caller, policy: string): void {
  if (!caller.isAdmin && !caller.isService) throw forbidden(policy);
}

export function requireOwnerAdminOrService(caller: Caller, projectId: string, policy: string): void {
  if (!canSeeProject(caller, projectId)) throw forbidden(policy);
}

/** Members see their own project's resources; admins and the service user see every project's. */
export function canSeeProject(caller: Caller, projectId: string): boolean {
  return caller.isAdmin || caller.isService || caller.projectId === projectId;
}

/** Migration states (migration_status, os-vol-mig-status-attr:*): admins and the service user. */
export function seesMigrationStatus(caller: Caller | undefined): boolean {
  return (caller?.isAdmin ?? false) || (caller?.isService ?? false);
}

/** What a rule is checked against: the resource's owner (Cinder's policy target). */
export interface PolicyTarget {
  project_id?: string;
  user_id?: string;
}

/**
 * Checks `rule` for `caller` against `target` and refuses with Cinder's 403 text. Until the policy
 * engine lands, rules this module does not list are admin-only, except that a target whose
 * project is the caller's passes rules named `*:show` or `*:get`.
 */
export function authorize(caller: Caller, rule: string, target: PolicyTarget = {}): void {
  if (caller.isAdmin) return;
  if (/:(show|get)$/.test(rule) && target.project_id !== undefined && target.project_id === caller.projectId) return;
  throw forbidden(rule);
}
