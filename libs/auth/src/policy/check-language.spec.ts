import { evaluateCheck, PolicyCredentials, PolicyTarget } from './check-evaluator';
import { CheckNode, parseCheckString, PolicySyntaxError, referencedRules } from './check-parser';

// oslo.policy's check language, as `oslo_policy/_parser.py` and `_checks.py` read it: each row is a
// check string, the caller, the target, and whether it passes.

const member: PolicyCredentials = { user_id: 'u1', project_id: 'p1', roles: ['member', 'reader'], is_admin: false, is_admin_project: true };
const admin: PolicyCredentials = { ...member, user_id: 'a', roles: ['Admin', 'member', 'reader'], is_admin: true };
const own: PolicyTarget = { project_id: 'p1', user_id: 'u1' };
const other: PolicyTarget = { project_id: 'p2', user_id: 'u2' };

const rules = new Map<string, CheckNode>([
  ['is_member', parseCheckString('role:member')],
  ['owner', parseCheckString('project_id:%(project_id)s')],
]);

function passes(check: string, creds: PolicyCredentials, target: PolicyTarget): boolean {
  return evaluateCheck(parseCheckString(check), { creds, target, rules });
}

describe('the policy language: evaluation', () => {
  const table: [string, PolicyCredentials, PolicyTarget, boolean][] = [
    // always, never
    ['@', member, own, true],
    ['', member, own, true],
    ['!', admin, own, false],
    // roles: case-insensitive, substituted from the target
    ['role:member', member, own, true],
    ['role:admin', member, own, false],
    ['role:ADMIN', admin, own, true],
    ['role:%(wanted)s', member, { wanted: 'reader' }, true],
    ['role:%(wanted)s', member, {}, false],
    // credentials against the target
    ['project_id:%(project_id)s', member, own, true],
    ['project_id:%(project_id)s', member, other, false],
    ['project_id:%(project_id)s', member, {}, false],
    ['user_id:%(user_id)s', member, own, true],
    ['user_id:%(user_id)s', member, other, false],
    ['is_admin:True', admin, own, true],
    ['is_admin:True', member, own, false],
    ['is_admin_project:True', member, own, true],
    ['domain_id:%(domain_id)s', member, { domain_id: 'd1' }, false],
    // credentials against literals; a list matches when any element does; an unknown credential never
    ['project_id:p1', member, other, true],
    ['project_id:p2', member, own, false],
    ['roles:reader', member, own, true],
    ['nothing:%(project_id)s', member, own, false],
    // Python literals on the left, compared with the substituted right as str() prints them
    ['True:%(is_public)s', member, { is_public: true }, true],
    ['True:%(is_public)s', member, { is_public: false }, false],
    ["'p1':%(project_id)s", member, own, true],
    ['42:%(size)s', member, { size: 42 }, true],
    ['None:%(group_id)s', member, { group_id: null }, true],
    ["'100%':100%%", member, own, true],
    // rule: references, and an unknown one fails closed as in oslo
    ['rule:is_member', member, own, true],
    ['rule:owner', member, other, false],
    ['rule:nowhere', admin, own, false],
    // operators
    ['not role:admin', member, own, true],
    ['not role:member', member, own, false],
    ['role:member and project_id:%(project_id)s', member, own, true],
    ['role:member and project_id:%(project_id)s', member, other, false],
    ['role:admin or project_id:%(project_id)s', member, other, false],
    ['role:admin or project_id:%(project_id)s', admin, other, true],
    ['NOT role:admin AND role:member Or !', member, own, true],
    // precedence: not > and > or
    ['role:admin or role:member and project_id:%(project_id)s', member, other, false],
    ['role:admin or role:member and project_id:%(project_id)s', admin, other, true],
    ['role:member and project_id:%(project_id)s or role:admin', member, other, false],
    ['not role:admin and role:member', member, own, true],
    ['not role:member or role:reader', member, own, true],
    ['not not role:member', member, own, true],
    // parentheses
    ['(role:admin or role:member) and project_id:%(project_id)s', admin, other, false],
    ['(role:admin or role:member) and project_id:%(project_id)s', member, own, true],
    ['not (role:admin or role:member)', member, own, false],
    ['((role:member))', member, own, true],
    ['(role:admin) or (role:reader and project_id:%(project_id)s)', member, own, true],
    ['(role:admin) or (role:reader and project_id:%(project_id)s)', member, other, false],
  ];

  it.each(table)('%j for %o against %o passes: %s', (check, creds, target, expected) => {
    expect(passes(check, creds, target)).toBe(expected);
  });
});

describe('the policy language: syntax', () => {
  it('when a rule is written with parentheses and operators, then the tree has oslo precedence', () => {
    expect(parseCheckString('a:1 or b:2 and not c:3')).toEqual({
      kind: 'or',
      checks: [
        { kind: 'credential', path: ['a'], match: '1' },
        { kind: 'and', checks: [{ kind: 'credential', path: ['b'], match: '2' }, { kind: 'not', check: { kind: 'credential', path: ['c'], match: '3' } }] },
      ],
    });
    expect(parseCheckString('(rule:a or rule:b) and role:x')).toEqual({
      kind: 'and',
      checks: [{ kind: 'or', checks: [{ kind: 'rule', name: 'a' }, { kind: 'rule', name: 'b' }] }, { kind: 'role', match: 'x' }],
    });
  });

  it('when a rule refers to others, then referencedRules lists them', () => {
    expect(referencedRules(parseCheckString('rule:a or (role:x and not rule:b)'))).toEqual(['a', 'b']);
  });

  const errors: [string, RegExp, number][] = [
    ['role:admin and', /unexpected end of the rule/, 15],
    ['or role:admin', /unexpected "or"/, 1],
    ['role:admin role:member', /unexpected "role:member"/, 12],
    ['(role:admin', /"\(" at column 1 is never closed/, 12],
    ['role:admin)', /unexpected "\)"/, 11],
    ['()', /unexpected "\)"/, 2],
    ['admin', /"admin" is not a check/, 1],
    ['role:a and :x', /has no kind/, 12],
    ['rule:', /names no rule/, 1],
    ["'quoted'", /quoted string/, 1],
    ['http://policy.example/check', /not supported/, 1],
    ['   ', /blanks/, 1],
    ['not', /unexpected end/, 4],
  ];

  it.each(errors)('when the rule is %j, then it is refused (%s) at column %s', (check, reason, column) => {
    let error: unknown;
    try {
      parseCheckString(check);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PolicySyntaxError);
    expect((error as PolicySyntaxError).reason).toMatch(reason);
    expect((error as PolicySyntaxError).column).toBe(column);
  });
});
