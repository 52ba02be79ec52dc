import { RuleDefault } from './cinder-policy-defaults';

/**
 * The rules of nova-bridge's local compute host, with Nova's names and Nova's current defaults
 * (`nova/policies/base.py`, `servers.py`, `volumes_attachments.py`), so that the operator's one
 * policy file speaks of the compute side as a Nova policy.yaml would. The base rules Nova shares
 * with Cinder by name (`context_is_admin`, `admin_api`, `service_api`) are Cinder's here: there is
 * one of each. Targets are the server's `project_id` and `user_id`.
 */
const PROJECT_MEMBER = 'rule:project_member_api';
const PROJECT_MEMBER_OR_ADMIN = 'rule:project_member_or_admin';
const PROJECT_READER_OR_ADMIN = 'rule:project_reader_or_admin';

export const COMPUTE_BASE_RULES: readonly RuleDefault[] = [
  { name: 'project_member_api', check: 'role:member and project_id:%(project_id)s', description: 'Default rule for Project level non admin APIs (Nova).' },
  { name: 'project_reader_api', check: 'role:reader and project_id:%(project_id)s', description: 'Default rule for Project level read only APIs (Nova).' },
  { name: 'project_member_or_admin', check: 'rule:project_member_api or rule:context_is_admin', description: 'Default rule for Project Member or admin APIs (Nova).' },
  { name: 'project_reader_or_admin', check: 'rule:project_reader_api or rule:context_is_admin', description: 'Default rule for Project reader or admin APIs (Nova).' },
];

export const COMPUTE_RULES: readonly RuleDefault[] = [
  { name: 'os_compute_api:servers:create', check: PROJECT_MEMBER, description: 'Create a server (in the caller\'s own project).' },
  { name: 'os_compute_api:servers:show', check: PROJECT_READER_OR_ADMIN, description: 'Show a server (a server that fails it is "not found").' },
  { name: 'os_compute_api:os-volumes-attachments:index', check: PROJECT_READER_OR_ADMIN, description: 'List volume attachments for an instance.' },
  {
    name: 'os_compute_api:os-volumes-attachments:show',
    check: PROJECT_READER_OR_ADMIN,
    description: 'Show details of a volume attachment (and of its swap: GET .../os-volume_attachments/{volume_id}/swap).',
  },
  { name: 'os_compute_api:os-volumes-attachments:create', check: PROJECT_MEMBER_OR_ADMIN, description: 'Attach a volume to an instance.' },
  { name: 'os_compute_api:os-volumes-attachments:delete', check: PROJECT_MEMBER_OR_ADMIN, description: 'Detach a volume from an instance.' },
  {
    name: 'os_compute_api:os-local-devices:read',
    check: PROJECT_READER_OR_ADMIN,
    description: "Read a guest's disk through the local compute host (not in Nova: its guests do their I/O through its API).",
  },
  {
    name: 'os_compute_api:os-local-devices:write',
    check: PROJECT_MEMBER_OR_ADMIN,
    description: "Write or flush a guest's disk through the local compute host (not in Nova, as :read).",
  },
];

/** Every rule of the local compute host, in the order the policy command prints them. */
export const COMPUTE_POLICY_DEFAULTS: readonly RuleDefault[] = [...COMPUTE_BASE_RULES, ...COMPUTE_RULES];
