import { CheckNode } from './check-parser';

/** What a rule is checked against: the resource (Cinder's policy target), e.g. a volume's project. */
export type PolicyTarget = Readonly<Record<string, unknown>>;

/** The caller as oslo.policy sees it (`RequestContext.to_policy_values()`): roles, ids, is_admin... */
export type PolicyCredentials = Readonly<Record<string, unknown>>;

export interface EvaluationScope {
  target: PolicyTarget;
  creds: PolicyCredentials;
  /** The parsed rules `rule:<name>` refers to. */
  rules: ReadonlyMap<string, CheckNode>;
}

/** A value as Python's `str()` prints it, which is what oslo compares matches with. */
export function pythonStr(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null || value === undefined) return 'None';
  return String(value);
}

/** A match split at its `%(name)s` placeholders: text, or the name of a target value. */
type MatchPart = string | { key: string };
const compiledMatches = new Map<string, readonly MatchPart[]>();

function compileMatch(match: string): readonly MatchPart[] {
  const parts: MatchPart[] = [];
  let text = '';
  let last = 0;
  for (const m of match.matchAll(/%\(([^)]*)\)s|%%/g)) {
    text += match.slice(last, m.index);
    last = (m.index ?? 0) + m[0].length;
    if (m[1] === undefined) {
      text += '%';
      continue;
    }
    if (text) parts.push(text);
    text = '';
    parts.push({ key: m[1] });
  }
  text += match.slice(last);
  if (text || parts.length === 0) parts.push(text);
  return parts;
}

/**
 * `match % target`: each `%(name)s` becomes the target's value; a name the target lacks makes the
 * check fail (oslo catches the KeyError and returns False). `%%` is a percent sign. Matches come
 * from the policy's rules only, so each is split once and kept.
 */
function substitute(match: string, target: PolicyTarget): string | undefined {
  let parts = compiledMatches.get(match);
  if (!parts) compiledMatches.set(match, (parts = compileMatch(match)));
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const value = target[part.key];
    if (value === undefined || !Object.hasOwn(target, part.key)) return undefined;
    out += pythonStr(value);
  }
  return out;
}

/** oslo's GenericCheck._find_in_dict: walks the credentials; a list matches when any element does. */
function findInCredentials(value: unknown, path: readonly string[], match: string): boolean {
  if (path.length === 0) return match === pythonStr(value);
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, path[0])) return false;
  const next = (value as Record<string, unknown>)[path[0]];
  const rest = path.slice(1);
  if (Array.isArray(next)) return next.some((element) => findInCredentials(element, rest, match));
  return findInCredentials(next, rest, match);
}

/** Each `rule:` hop; the enforcer refuses cycles at load, this only guards against a bug. */
const MAX_DEPTH = 64;

export function evaluateCheck(node: CheckNode, scope: EvaluationScope, depth = 0): boolean {
  if (depth > MAX_DEPTH) throw new Error('policy rules nest too deeply (a cycle of rule: references?)');
  switch (node.kind) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'not':
      return !evaluateCheck(node.check, scope, depth);
    case 'and':
      return node.checks.every((c) => evaluateCheck(c, scope, depth));
    case 'or':
      return node.checks.some((c) => evaluateCheck(c, scope, depth));
    case 'rule': {
      // An unknown rule fails closed, as in oslo (the enforcer refuses such references at load).
      const rule = scope.rules.get(node.name);
      return rule !== undefined && evaluateCheck(rule, scope, depth + 1);
    }
    case 'role': {
      const role = substitute(node.match, scope.target);
      const roles = scope.creds.roles;
      if (role === undefined || !Array.isArray(roles)) return false;
      const wanted = role.toLowerCase();
      return roles.some((r) => String(r).toLowerCase() === wanted);
    }
    case 'literal': {
      const match = substitute(node.match, scope.target);
      return match !== undefined && match === node.value;
    }
    case 'credential': {
      const match = substitute(node.match, scope.target);
      return match !== undefined && findInCredentials(scope.creds, node.path, match);
    }
  }
}
