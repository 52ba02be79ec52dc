import { stringify } from 'yaml';
import { CodedError, ErrorCode } from '@volume/contracts';
import { evaluateCheck, PolicyTarget } from './check-evaluator';
import { CheckNode, parseCheckString, PolicySyntaxError, referencedRules } from './check-parser';
import { RuleDefault } from './cinder-policy-defaults';
import { policyCredentials, PolicySubject } from './credentials';
import { POLICY_DEFAULTS } from './policy-defaults';
import { PolicyFileError, PolicyOverride, readPolicyFile } from './policy-file';

/** One rule as it is enforced: Cinder's default, or what the policy file put over it. */
export interface EffectiveRule {
  name: string;
  check: string;
  description: string;
  /** The default check string; absent for a rule only the file defines (an alias others refer to). */
  default?: string;
  /** The line of the policy file that set it; absent for a default. */
  line?: number;
}

/** The code asked about a rule nobody defined: a bug, as oslo's PolicyNotRegistered. */
export class PolicyNotRegistered extends Error {
  constructor(readonly rule: string) {
    super(`Policy ${rule} has not been registered`);
    this.name = 'PolicyNotRegistered';
  }
}

/**
 * Decides every policy rule: the defaults (Cinder's, and Nova's for the local compute host) with a
 * policy file over them, checked once when built (syntax, unknown names, undefined `rule:`
 * references, cycles) so that enforcing cannot fail.
 */
export class PolicyEnforcer {
  private readonly adminOf = new WeakMap<PolicySubject, boolean>();
  private readonly ownProjectChecks = new WeakMap<PolicySubject, Map<string, boolean>>();

  private constructor(
    private readonly rules: ReadonlyMap<string, EffectiveRule>,
    private readonly nodes: ReadonlyMap<string, CheckNode>,
    /** The policy file the rules came from, if any. */
    readonly file?: string,
  ) {}

  /**
   * The defaults (POLICY_DEFAULTS) with `overrides` (a policy file's rules) over them.
   * @throws PolicyFileError naming `file` and the line of the first rule that cannot be used.
   */
  static create(overrides: readonly PolicyOverride[] = [], file?: string, defaults: readonly RuleDefault[] = POLICY_DEFAULTS): PolicyEnforcer {
    const rules = new Map<string, EffectiveRule>();
    const nodes = new Map<string, CheckNode>();
    for (const d of defaults) {
      rules.set(d.name, { name: d.name, check: d.check, description: d.description, default: d.check });
      nodes.set(d.name, parseCheckString(d.check));
    }
    const fail = (line: number | undefined, reason: string) => new PolicyFileError(file ?? '<policy>', line, reason);
    for (const o of overrides) {
      try {
        nodes.set(o.name, parseCheckString(o.check));
      } catch (err) {
        if (!(err instanceof PolicySyntaxError)) throw err;
        throw fail(o.checkLine, `${o.name}: syntax error in ${JSON.stringify(o.check)}: ${err.reason} at column ${err.column}`);
      }
      const known = rules.get(o.name);
      rules.set(o.name, { ...(known ?? { name: o.name, description: 'Defined by the policy file.' }), check: o.check, line: o.line });
    }
    const referenced = new Set([...nodes.values()].flatMap(referencedRules));
    for (const o of overrides) {
      if (!defaults.some((d) => d.name === o.name) && !referenced.has(o.name)) {
        throw fail(o.line, `unknown rule ${JSON.stringify(o.name)}: this service has no such rule, and no rule refers to it`);
      }
    }
    for (const [name, node] of nodes) {
      const missing = referencedRules(node).find((ref) => !nodes.has(ref));
      if (missing !== undefined) throw fail(rules.get(name)?.line, `${name} refers to rule:${missing}, which is not defined`);
    }
    const cycle = findCycle(nodes);
    if (cycle) {
      const line = cycle.map((name) => rules.get(name)?.line).find((l) => l !== undefined);
      throw fail(line, `rules refer to each other in a cycle: ${cycle.join(' -> ')}`);
    }
    return new PolicyEnforcer(rules, nodes, file);
  }

  has(rule: string): boolean {
    return this.nodes.has(rule);
  }

  /** Cinder's `context.is_admin`: the `context_is_admin` rule, checked against the caller itself. */
  isAdmin(subject: PolicySubject): boolean {
    let admin = this.adminOf.get(subject);
    if (admin === undefined) {
      const creds = policyCredentials(subject, false);
      admin = this.evaluate('context_is_admin', creds, creds);
      this.adminOf.set(subject, admin);
    }
    return admin;
  }

  /**
   * Whether `rule` passes for `subject` against `target`. Without a target, the target is the
   * caller's own project and user, as Cinder's `context.authorize` defaults it (view extensions
   * and list APIs check so); such answers are remembered per subject.
   * @throws PolicyNotRegistered for a rule name nobody defined.
   */
  allows(rule: string, subject: PolicySubject, target?: PolicyTarget): boolean {
    if (target !== undefined) return this.evaluate(rule, target, policyCredentials(subject, this.isAdmin(subject)));
    let checks = this.ownProjectChecks.get(subject);
    if (!checks) this.ownProjectChecks.set(subject, (checks = new Map()));
    let allowed = checks.get(rule);
    if (allowed === undefined) {
      allowed = this.evaluate(rule, { project_id: subject.projectId, user_id: subject.userId }, policyCredentials(subject, this.isAdmin(subject)));
      checks.set(rule, allowed);
    }
    return allowed;
  }

  /** `allows`, or Cinder's 403: "Policy doesn't allow <rule> to be performed." */
  authorize(rule: string, subject: PolicySubject, target?: PolicyTarget): void {
    if (!this.allows(rule, subject, target)) throw new CodedError(ErrorCode.Forbidden, `Policy doesn't allow ${rule} to be performed.`);
  }

  /** Every rule as enforced, defaults first in their order (Cinder's, then the compute host's), then what only the file defines. */
  effectiveRules(): EffectiveRule[] {
    return [...this.rules.values()];
  }

  /** The effective policy as a policy file (YAML), each rule under its description. */
  toYaml(): string {
    const defaults = "the defaults (Cinder's; Nova's for the local compute host)";
    const head = this.file ? `${defaults} with ${this.file} over them` : `${defaults}, no policy file`;
    const blocks = this.effectiveRules().map((r) => {
      const notes = [`# ${r.description}`];
      if (r.line !== undefined) notes.push(`# Set by line ${r.line} of the policy file${r.default === undefined ? '' : `; default: ${r.default}`}`);
      return `${notes.join('\n')}\n${stringify({ [r.name]: r.check }, { lineWidth: 0 })}`;
    });
    return [`# Effective policy: ${head}.\n`, ...blocks].join('\n');
  }

  private evaluate(rule: string, target: PolicyTarget, creds: ReturnType<typeof policyCredentials>): boolean {
    const node = this.nodes.get(rule);
    if (!node) throw new PolicyNotRegistered(rule);
    return evaluateCheck(node, { target, creds, rules: this.nodes });
  }
}

/** A chain of `rule:` references that comes back to where it started, if any. */
function findCycle(nodes: ReadonlyMap<string, CheckNode>): string[] | undefined {
  const done = new Set<string>();
  const visit = (name: string, path: string[]): string[] | undefined => {
    const at = path.indexOf(name);
    if (at >= 0) return [...path.slice(at), name];
    if (done.has(name)) return undefined;
    const node = nodes.get(name);
    for (const ref of node ? referencedRules(node) : []) {
      const cycle = visit(ref, [...path, name]);
      if (cycle) return cycle;
    }
    done.add(name);
    return undefined;
  };
  for (const name of nodes.keys()) {
    const cycle = visit(name, []);
    if (cycle) return cycle;
  }
  return undefined;
}

/**
 * The policy of a process: the defaults, with the rules of `file` (POLICY_FILE) over them when
 * one is named.
 * @throws PolicyFileError naming the file and line of the first problem.
 */
export function loadPolicy(file?: string): PolicyEnforcer {
  return file ? PolicyEnforcer.create(readPolicyFile(file), file) : PolicyEnforcer.create();
}
