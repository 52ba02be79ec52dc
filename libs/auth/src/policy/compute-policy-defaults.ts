import { RuleDefault, ruleDefault } from './cinder-policy-defaults';

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
  ruleDefault('project_member_api', 'role:member and project_id:%(project_id)s', 'Default rule for Project level non admin APIs (Nova).'),
  ruleDefault('project_reader_api', 'role:reader and project_id:%(project_id)s', 'Default rule for Project level read only APIs (Nova).'),
  ruleDefault('project_member_or_admin', 'rule:project_member_api or rule:context_is_admin', 'Default rule for Project Member or admin APIs (Nova).'),
  ruleDefault('project_reader_or_admin', 'rule:project_reader_api or rule:context_is_admin', 'Default rule for Project reader or admin APIs (Nova).'),
];

export const COMPUTE_RULES: readonly RuleDefault[] = [
  ruleDefault('os_compute_api:servers:create', PROJECT_MEMBER, 'Create a server (in the caller\'s own project).'),
  ruleDefault('os_compute_api:servers:show', PROJECT_READER_OR_ADMIN, 'Show a server (a server that fails it is "not found").'),
  ruleDefault('os_compute_api:os-volumes-attachments:index', PROJECT_READER_OR_ADMIN, 'List volume attachments for an instance.'),
  ruleDefault(
    'os_compute_api:os-volumes-attachments:show',
    PROJECT_READER_OR_ADMIN,
    'Show details of a volume attachment (and of its swap: GET .../os-volume_attachments/{volume_id}/swap).',
  ),
  ruleDefault('os_compute_api:os-volumes-attachments:create', PROJECT_MEMBER_OR_ADMIN, 'Attach a volume to an instance.'),
  ruleDefault('os_compute_api:os-volumes-attachments:delete', PROJECT_MEMBER_OR_ADMIN, 'Detach a volume from an instance.'),
  ruleDefault(
    'os_compute_api:os-local-devices:read',
    PROJECT_READER_OR_ADMIN,
    "Read a guest's disk through the local compute host (not in Nova: its guests do their I/O through its API).",
  ),
  ruleDefault(
    'os_compute_api:os-local-devices:write',
    PROJECT_MEMBER_OR_ADMIN,
    "Write or flush a guest's disk through the local compute host (not in Nova, as :read).",
  ),
];

/** Every rule of the local compute host, in the order the policy command prints them. */
export const COMPUTE_POLICY_DEFAULTS: readonly RuleDefault[] = [...COMPUTE_BASE_RULES, ...COMPUTE_RULES];
