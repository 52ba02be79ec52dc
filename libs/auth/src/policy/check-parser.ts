/**
 * oslo.policy's check language (`oslo_policy/_parser.py`, `_checks.py`), parsed into a tree. No npm
 * package parses it, so this is a small recursive-descent parser with oslo's precedence
 * (`not` > `and` > `or`) and oslo's tokens: words split on whitespace, parentheses peeled off a
 * word's ends only (so `%(project_id)s` keeps its own), `and`/`or`/`not` in any case.
 *
 * Where oslo fails closed in silence (a rule that does not parse never passes), this parser throws
 * `PolicySyntaxError`, so that a policy file with a typo stops the app instead of locking users out.
 */
export type CheckNode =
  | { kind: 'true' }
  | { kind: 'false' }
  | { kind: 'rule'; name: string }
  | { kind: 'role'; match: string }
  /** `<credential path>:<match>`, e.g. `project_id:%(project_id)s`, `is_admin:True`. */
  | { kind: 'credential'; path: string[]; match: string }
  /** `<python literal>:<match>`, e.g. `True:%(is_public)s`, `'Member':%(role)s`. */
  | { kind: 'literal'; value: string; match: string }
  | { kind: 'not'; check: CheckNode }
  | { kind: 'and'; checks: CheckNode[] }
  | { kind: 'or'; checks: CheckNode[] };

/** A check string that is not in the language; `column` is 1-based within the check string. */
export class PolicySyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly column: number,
  ) {
    super(`${reason} (column ${column})`);
    this.name = 'PolicySyntaxError';
  }
}

type TokenType = '(' | ')' | 'and' | 'or' | 'not' | 'check';

interface Token {
  type: TokenType;
  text: string;
  /** 0-based offset in the check string. */
  offset: number;
}

function tokenize(rule: string): Token[] {
  const tokens: Token[] = [];
  for (const m of rule.matchAll(/\S+/g)) {
    const word = m[0];
    const start = m.index ?? 0;
    const lead = word.length - word.replace(/^\(+/, '').length;
    for (let i = 0; i < lead; i++) tokens.push({ type: '(', text: '(', offset: start + i });
    const rest = word.slice(lead);
    const core = rest.replace(/\)+$/, '');
    if (core) {
      const lowered = core.toLowerCase();
      const type = lowered === 'and' || lowered === 'or' || lowered === 'not' ? lowered : 'check';
      tokens.push({ type, text: core, offset: start + lead });
    }
    for (let i = core.length; i < rest.length; i++) tokens.push({ type: ')', text: ')', offset: start + lead + i });
  }
  return tokens;
}

/** What Python's `ast.literal_eval` would make of a check's kind, as `str()` prints it; undefined if no literal. */
function pythonLiteral(kind: string): string | undefined {
  const quoted = /^'(.*)'$|^"(.*)"$/s.exec(kind);
  if (quoted) return quoted[1] ?? quoted[2];
  if (kind === 'True' || kind === 'False' || kind === 'None') return kind;
  if (/^[-+]?\d+$/.test(kind)) return String(BigInt(kind));
  if (/^[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?$/.test(kind)) return String(Number(kind));
  return undefined;
}

function parseCheck(token: Token): CheckNode {
  const text = token.text;
  const at = (reason: string) => new PolicySyntaxError(reason, token.offset + 1);
  if (text === '@') return { kind: 'true' };
  if (text === '!') return { kind: 'false' };
  if (/^'.*'$|^".*"$/s.test(text) && text.length >= 2) throw at(`${text} is a quoted string, not a check`);
  const colon = text.indexOf(':');
  if (colon < 0) throw at(`"${text}" is not a check (expected kind:match, @ or !)`);
  const kind = text.slice(0, colon);
  const match = text.slice(colon + 1);
  if (!kind) throw at(`"${text}" has no kind before its colon`);
  if (kind === 'rule') {
    if (!match) throw at('rule: names no rule');
    return { kind: 'rule', name: match };
  }
  if (kind === 'role') return { kind: 'role', match };
  // oslo's HttpCheck posts the credentials to a URL: not something this API does on each request.
  if (kind === 'http' || kind === 'https') throw at(`${kind}: checks (a remote policy server) are not supported`);
  const literal = pythonLiteral(kind);
  if (literal !== undefined) return { kind: 'literal', value: literal, match };
  return { kind: 'credential', path: kind.split('.'), match };
}

class Parser {
  private pos = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly length: number,
  ) {}

  parse(): CheckNode {
    const node = this.or();
    const extra = this.tokens[this.pos];
    if (extra) throw this.unexpected(extra);
    return node;
  }

  private or(): CheckNode {
    const checks = [this.and()];
    while (this.peek('or')) {
      this.pos++;
      checks.push(this.and());
    }
    return checks.length === 1 ? checks[0] : { kind: 'or', checks };
  }

  private and(): CheckNode {
    const checks = [this.not()];
    while (this.peek('and')) {
      this.pos++;
      checks.push(this.not());
    }
    return checks.length === 1 ? checks[0] : { kind: 'and', checks };
  }

  private not(): CheckNode {
    if (this.peek('not')) {
      this.pos++;
      return { kind: 'not', check: this.not() };
    }
    return this.atom();
  }

  private atom(): CheckNode {
    const token = this.tokens[this.pos];
    if (!token) throw new PolicySyntaxError('unexpected end of the rule', this.length + 1);
    if (token.type === 'check') {
      this.pos++;
      return parseCheck(token);
    }
    if (token.type !== '(') throw this.unexpected(token);
    this.pos++;
    const inner = this.or();
    const close = this.tokens[this.pos];
    if (!close) throw new PolicySyntaxError(`"(" at column ${token.offset + 1} is never closed`, this.length + 1);
    if (close.type !== ')') throw this.unexpected(close);
    this.pos++;
    return inner;
  }

  private peek(type: TokenType): boolean {
    return this.tokens[this.pos]?.type === type;
  }

  private unexpected(token: Token): PolicySyntaxError {
    return new PolicySyntaxError(`unexpected "${token.text}"`, token.offset + 1);
  }
}

/**
 * Parses one check string. The empty string always passes, as in oslo; a string of blanks is
 * refused (oslo would make it a rule that never passes, which nobody means).
 * @throws PolicySyntaxError
 */
export function parseCheckString(rule: string): CheckNode {
  if (rule === '') return { kind: 'true' };
  const tokens = tokenize(rule);
  if (tokens.length === 0) throw new PolicySyntaxError('a rule of blanks only (write "" or "@" for always)', 1);
  return new Parser(tokens, rule.length).parse();
}

/** The rule names a check string refers to with `rule:`. */
export function referencedRules(node: CheckNode): string[] {
  switch (node.kind) {
    case 'rule':
      return [node.name];
    case 'not':
      return referencedRules(node.check);
    case 'and':
    case 'or':
      return node.checks.flatMap(referencedRules);
    default:
      return [];
  }
}
