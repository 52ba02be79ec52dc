import { RuleDefault } from './cinder-policy-defaults';
import { PolicySubject, withImpliedRoles } from './credentials';
import { PolicyEnforcer } from './policy-enforcer';

// The table-driven check the default-rule specs share (Cinder's rules, the local compute host's):
// five personas, and for each rule the ones that pass it against a resource of project P.

export const P = 'aaaa1111';
export const subject = (userId: string, projectId: string, roles: string[]): PolicySubject => ({ userId, projectId, roles: withImpliedRoles(roles) });
export const PERSONAS = {
  admin: subject('admin', 'admin-project', ['admin']),
  member: subject('demo', P, ['member']),
  otherMember: subject('other', 'bbbb2222', ['member']),
  reader: subject('auditor', P, ['reader']),
  service: subject('nova', 'service-project', ['service']),
};
export type Persona = keyof typeof PERSONAS;

export const READERS: Persona[] = ['admin', 'member', 'reader'];
export const MEMBERS: Persona[] = ['admin', 'member'];

/** A resource of project P (a volume, a server) that the member owns. */
export const TARGET = { project_id: P, user_id: 'demo' };

/**
 * The table's tests, inside the caller's describe: the table names exactly the rules of `defaults`
 * (so that a new rule cannot land without saying who it lets in), and each rule passes exactly its
 * row's personas under the defaults.
 */
export function itMatchesTheRuleTable(kind: string, defaults: readonly RuleDefault[], table: Record<string, Persona[]>): void {
  const policy = PolicyEnforcer.create();

  it(`every ${kind} rule has a row, and every row is a ${kind} rule`, () => {
    expect(Object.keys(table).sort()).toEqual(defaults.map((r) => r.name).sort());
  });

  it.each(Object.entries(table))('%s: %j', (rule, allowed) => {
    const passing = (Object.keys(PERSONAS) as Persona[]).filter((p) => policy.allows(rule, PERSONAS[p], TARGET));
    expect(passing.sort()).toEqual([...allowed].sort());
  });
}
