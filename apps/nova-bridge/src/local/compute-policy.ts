import type { PolicyEnforcer, PolicySubject, PolicyTarget } from '@volume/auth';
import { ComputeServerEntity } from '@volume/persistence/compute-host';
import { ComputeFault } from './compute-fault';

/**
 * The rules the local compute host decides with, by Nova's names (defaults in libs/auth's
 * `compute-policy-defaults.ts`), from the deployment's one policy (POLICY_FILE) that volume-api
 * decides its own with.
 */
export const ComputePolicy = {
  createServer: 'os_compute_api:servers:create',
  showServer: 'os_compute_api:servers:show',
  listAttachments: 'os_compute_api:os-volumes-attachments:index',
  showAttachment: 'os_compute_api:os-volumes-attachments:show',
  attach: 'os_compute_api:os-volumes-attachments:create',
  detach: 'os_compute_api:os-volumes-attachments:delete',
  readDevice: 'os_compute_api:os-local-devices:read',
  writeDevice: 'os_compute_api:os-local-devices:write',
} as const;

export type ComputeRule = (typeof ComputePolicy)[keyof typeof ComputePolicy];

/** A server as the target of a rule, as Nova passes the instance's project (and user). */
export function serverTarget(server: Pick<ComputeServerEntity, 'projectId' | 'userId'>): PolicyTarget {
  return { project_id: server.projectId, user_id: server.userId };
}

/** `policy.allows`, or Nova's 403: "Policy doesn't allow <rule> to be performed." */
export function authorizeCompute(policy: PolicyEnforcer, caller: PolicySubject, rule: ComputeRule, target?: PolicyTarget): void {
  if (!policy.allows(rule, caller, target)) throw new ComputeFault(403, `Policy doesn't allow ${rule} to be performed.`);
}
