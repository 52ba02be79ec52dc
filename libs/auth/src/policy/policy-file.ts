import { readFileSync } from 'node:fs';
import { isMap, isNode, isScalar, LineCounter, parseDocument } from 'yaml';

/** One rule a policy file sets, with where it stands, so that a refusal can name the line. */
export interface PolicyOverride {
  name: string;
  check: string;
  /** 1-based line of the rule's name. */
  line: number;
  /** 1-based line and column where the check string's text starts (after an opening quote). */
  checkLine: number;
  checkColumn: number;
}

/** A policy file that cannot be used: the app must not start with it. */
export class PolicyFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super(`policy file ${file}${line === undefined ? '' : ` line ${line}`}: ${reason}`);
    this.name = 'PolicyFileError';
  }
}

/**
 * Reads a policy file as Cinder's `policy.yaml` is written: a mapping of rule names to check
 * strings (JSON, a subset of YAML, reads too). An empty file sets nothing.
 * @throws PolicyFileError for an unreadable file, bad YAML, or anything but name: "check string".
 */
export function readPolicyFile(file: string): PolicyOverride[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PolicyFileError(file, undefined, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parsePolicyText(file, text);
}

/** `readPolicyFile` on text already read; `file` only names it in errors. */
export function parsePolicyText(file: string, text: string): PolicyOverride[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const reason = yamlError.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new PolicyFileError(file, yamlError.linePos?.[0].line, `not valid YAML: ${reason}`);
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return [];
  if (!isMap(root)) {
    throw new PolicyFileError(file, lineOf(lines, root.range), 'must be a mapping of rule names to check strings');
  }
  const overrides: PolicyOverride[] = [];
  for (const pair of root.items) {
    const key = pair.key;
    if (!isScalar(key) || typeof key.value !== 'string') {
      throw new PolicyFileError(file, lineOf(lines, isNode(key) ? key.range : undefined), 'a rule name must be a string');
    }
    const line = lineOf(lines, key.range) as number;
    const value = pair.value;
    if (!isScalar(value) || typeof value.value !== 'string') {
      throw new PolicyFileError(file, line, `${key.value}: the check string must be a string (quote it; "" means always)`);
    }
    const quoted = value.type === 'QUOTE_DOUBLE' || value.type === 'QUOTE_SINGLE';
    const at = lines.linePos((value.range?.[0] ?? 0) + (quoted ? 1 : 0));
    overrides.push({ name: key.value, check: value.value, line, checkLine: at.line, checkColumn: at.col });
  }
  return overrides;
}

function lineOf(lines: LineCounter, range: readonly number[] | null | undefined): number | undefined {
  return range ? lines.linePos(range[0]).line : undefined;
}
