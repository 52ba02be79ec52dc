import { COMPUTE_POLICY_DEFAULTS } from './compute-policy-defaults';
import { parsePolicyText } from './policy-file';
import { PolicyEnforcer } from './policy-enforcer';
import { itMatchesTheRuleTable, MEMBERS, P, Persona, PERSONAS, READERS, subject, TARGET } from './policy-defaults.harness';

// The local compute host's defaults (Nova's names and defaults), rule by rule: which persona passes
// against a server of project P. Every compute rule has a row, as Cinder's have theirs.

const EXPECTED: Record<string, Persona[]> = {
  project_member_api: ['member'],
  project_reader_api: ['member', 'reader'],
  project_member_or_admin: MEMBERS,
  project_reader_or_admin: READERS,
  // Nova's PROJECT_MEMBER: a server is made in one's own project; an admin of another has no member role in P.
  'os_compute_api:servers:create': ['member'],
  'os_compute_api:servers:show': READERS,
  'os_compute_api:os-volumes-attachments:index': READERS,
  'os_compute_api:os-volumes-attachments:show': READERS,
  'os_compute_api:os-volumes-attachments:create': MEMBERS,
  'os_compute_api:os-volumes-attachments:delete': MEMBERS,
  'os_compute_api:os-local-devices:read': READERS,
  'os_compute_api:os-local-devices:write': MEMBERS,
};

const server = TARGET;

describe("the local compute host's default policy (Nova's names): who passes each rule against project P's server", () => {
  itMatchesTheRuleTable('compute', COMPUTE_POLICY_DEFAULTS, EXPECTED);

  it('when one policy file sets a Cinder rule and a Nova rule, then it loads, and each is enforced (one file for both apps)', () => {
    const file = parsePolicyText('policy.yaml', [
      '"volume_extension:volume_migration_progress": "role:migration_observer"',
      '"os_compute_api:os-local-devices:write": "rule:project_member_api"',
    ].join('\n'));
    const moved = PolicyEnforcer.create(file, 'policy.yaml');
    expect(moved.allows('os_compute_api:os-local-devices:write', PERSONAS.admin, server)).toBe(false);
    expect(moved.allows('os_compute_api:os-local-devices:write', PERSONAS.member, server)).toBe(true);
    expect(moved.allows('volume_extension:volume_migration_progress', subject('ops', P, ['migration_observer']), server)).toBe(true);
  });

  it("when context_is_admin is moved to another role, then the compute host's admin follows it (the base rule is shared)", () => {
    const moved = PolicyEnforcer.create(parsePolicyText('policy.yaml', 'context_is_admin: role:cloud_admin\n'), 'policy.yaml');
    expect(moved.allows('os_compute_api:servers:show', PERSONAS.admin, server)).toBe(false);
    expect(moved.allows('os_compute_api:servers:show', subject('root', 'x', ['cloud_admin']), server)).toBe(true);
  });
});
