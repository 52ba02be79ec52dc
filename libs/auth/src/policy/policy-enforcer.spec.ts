import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CodedError, ErrorCode } from '@volume/contracts';
import { PolicySubject, withImpliedRoles } from './credentials';
import { loadPolicy, PolicyEnforcer, PolicyNotRegistered } from './policy-enforcer';
import { PolicyFileError } from './policy-file';
import { runPolicyCommand } from './policy-command';

const dir = mkdtempSync(join(tmpdir(), 'policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function policyFile(text: string): string {
  const file = join(dir, `policy-${files++}.yaml`);
  writeFileSync(file, text);
  return file;
}

function refusal(text: string): PolicyFileError {
  const file = policyFile(text);
  try {
    loadPolicy(file);
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyFileError);
    expect((err as PolicyFileError).file).toBe(file);
    expect((err as Error).message).toContain(file);
    return err as PolicyFileError;
  }
  throw new Error('the policy file was accepted');
}

const admin: PolicySubject = { userId: 'admin', projectId: 'p-admin', roles: withImpliedRoles(['admin']) };
const member: PolicySubject = { userId: 'demo', projectId: 'p1', roles: withImpliedRoles(['member']) };
const observer: PolicySubject = { userId: 'watcher', projectId: 'p1', roles: withImpliedRoles(['member', 'migration_observer']) };
const volumeOfP1 = { project_id: 'p1', user_id: 'demo' };

describe('a policy file over the defaults', () => {
  it('when it moves a rule to a custom role, then the rule follows it and the others keep their defaults', () => {
    const policy = loadPolicy(policyFile('# who sees 3.72 progress\n"volume_extension:volume_migration_progress": "role:migration_observer"\n'));
    expect(policy.allows('volume_extension:volume_migration_progress', admin, volumeOfP1)).toBe(false);
    expect(policy.allows('volume_extension:volume_migration_progress', observer, volumeOfP1)).toBe(true);
    expect(policy.allows('volume_extension:volume_host_attribute', admin)).toBe(true);
    expect(loadPolicy().allows('volume_extension:volume_migration_progress', admin, volumeOfP1)).toBe(true);
  });

  it('when it redefines a base rule, then every rule that refers to it changes', () => {
    const policy = loadPolicy(policyFile('context_is_admin: role:cloud_admin\nadmin_api: rule:context_is_admin\n'));
    expect(policy.isAdmin(admin)).toBe(false);
    expect(policy.allows('volume_extension:volume_admin_actions:migrate_volume', admin)).toBe(false);
    const cloudAdmin = { ...member, roles: ['cloud_admin'] };
    expect(policy.isAdmin(cloudAdmin)).toBe(true);
    expect(policy.allows('volume_extension:volume_admin_actions:migrate_volume', cloudAdmin)).toBe(true);
  });

  it('when it defines an alias that a rule refers to, then the alias is accepted and decides', () => {
    const policy = loadPolicy(policyFile('owner_only: user_id:%(user_id)s\n"volume:delete": "rule:owner_only"\n'));
    expect(policy.allows('volume:delete', member, volumeOfP1)).toBe(true);
    expect(policy.allows('volume:delete', { ...member, userId: 'colleague' }, volumeOfP1)).toBe(false);
  });

  it('when the file is empty or holds only comments, then the defaults apply', () => {
    for (const text of ['', '# nothing to change\n']) {
      expect(loadPolicy(policyFile(text)).effectiveRules()).toEqual(PolicyEnforcer.create().effectiveRules());
    }
  });

  it('when a JSON policy file is given, then it reads as YAML does', () => {
    const policy = loadPolicy(policyFile('{"volume:create": "!"}'));
    expect(policy.allows('volume:create', admin)).toBe(false);
  });
});

describe('a policy file that cannot be used stops the app, naming its line', () => {
  it.each<[string, string, number | undefined, RegExp]>([
    ['an unknown rule name', 'admin_api: role:admin\n"volume:gett": "rule:admin_api"\n', 2, /unknown rule "volume:gett"/],
    ['a syntax error', '# comment\n\n"volume:get": "role:admin and"\n', 3, /volume:get: syntax error in "role:admin and": unexpected end of the rule at column 15/],
    ['unbalanced parentheses', 'volume:get: (role:admin or role:member\n', 1, /never closed/],
    ['an undefined rule: reference', 'volume:get: role:admin\n"volume:update": "rule:admin_or_ownr"\n', 2, /volume:update refers to rule:admin_or_ownr, which is not defined/],
    ['a cycle of references', 'a_rule: rule:b_rule\nb_rule: rule:a_rule\n"volume:get": "rule:a_rule"\n', 1, /cycle: a_rule -> b_rule -> a_rule/],
    ['a rule that refers to itself', 'admin_api: rule:admin_api\n', 1, /cycle: admin_api -> admin_api/],
    ['a value that is not a string', 'volume:get: 42\n', 1, /volume:get: the check string must be a string/],
    ['a rule with no value', 'volume:get:\n', 1, /must be a string/],
    ['a list instead of a mapping', '- role:admin\n', 1, /must be a mapping/],
    ['a duplicate rule', 'volume:get: "@"\nvolume:get: "!"\n', 2, /not valid YAML: Map keys must be unique/],
    ['bad YAML', 'volume:get: @\n', 1, /not valid YAML/],
    ['an unsupported http check', '"volume:get": "http://policy.example/"\n', 1, /not supported/],
  ])('%s', (_what, text, line, reason) => {
    const err = refusal(text);
    expect(err.line).toBe(line);
    expect(err.reason).toMatch(reason);
    if (line !== undefined) expect(err.message).toContain(`line ${line}:`);
  });

  it('when the file does not exist, then the refusal says so', () => {
    expect(() => loadPolicy(join(dir, 'missing.yaml'))).toThrow(/policy file .*missing\.yaml: cannot be read \(ENOENT\)/);
  });
});

describe('enforcing', () => {
  const policy = PolicyEnforcer.create();

  it('when the code asks about a rule nobody defined, then that is a bug, not a refusal', () => {
    expect(() => policy.allows('volume:teleport', admin)).toThrow(PolicyNotRegistered);
  });

  it("when a rule fails, then authorize refuses with Cinder's 403 text", () => {
    let err: unknown;
    try {
      policy.authorize('volume_extension:volume_admin_actions:migrate_volume', member);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CodedError);
    expect((err as CodedError).code).toBe(ErrorCode.Forbidden);
    expect((err as Error).message).toBe("Policy doesn't allow volume_extension:volume_admin_actions:migrate_volume to be performed.");
    expect(() => policy.authorize('volume_extension:volume_admin_actions:migrate_volume', admin)).not.toThrow();
  });

  it('when the same caller asks twice, then the answer is the same (remembered per caller, per enforcer)', () => {
    const moved = PolicyEnforcer.create([{ name: 'volume:get_all', check: '!', line: 1, checkLine: 1, checkColumn: 1 }]);
    expect([policy.allows('volume:get_all', member), policy.allows('volume:get_all', member)]).toEqual([true, true]);
    expect(moved.allows('volume:get_all', member)).toBe(false);
  });
});

describe('npm run policy', () => {
  function run(argv: string[], env: Record<string, string> = {}) {
    let out = '';
    let err = '';
    const code = runPolicyCommand(argv, env, { out: (t) => (out += t), err: (t) => (err += t) });
    return { code, out, err };
  }

  it('when no file is named, then it prints every default as a policy file would hold it', () => {
    const { code, out } = run([]);
    expect(code).toBe(0);
    const printed = parse(out) as Record<string, string>;
    expect(printed).toEqual(Object.fromEntries(PolicyEnforcer.create().effectiveRules().map((r) => [r.name, r.check])));
    expect(printed['volume_extension:volume_migration_progress']).toBe('rule:admin_api');
  });

  it('when --file (or POLICY_FILE) names a file, then its rules replace the defaults and the default is noted', () => {
    const file = policyFile('"volume_extension:volume_migration_progress": "role:migration_observer"\n');
    for (const { code, out } of [run(['--file', file]), run([], { POLICY_FILE: file })]) {
      expect(code).toBe(0);
      expect((parse(out) as Record<string, string>)['volume_extension:volume_migration_progress']).toBe('role:migration_observer');
      expect(out).toContain(`with ${file} over them`);
      expect(out).toContain('# Set by line 1 of the policy file; default: rule:admin_api');
    }
  });

  it('when the file cannot be used, then it exits 1 naming the line', () => {
    const file = policyFile('"volume:gett": "@"\n');
    const { code, out, err } = run(['--file', file]);
    expect([code, out]).toEqual([1, '']);
    expect(err).toContain(`policy file ${file} line 1: unknown rule "volume:gett"`);
  });

  it('when an unknown flag is given, then it exits 2 with the usage', () => {
    const { code, err } = run(['--fiel', 'x']);
    expect(code).toBe(2);
    expect(err).toContain('Usage: npm run policy');
  });
});
