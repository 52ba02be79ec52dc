import { CodedError, ErrorCode, pyFloat, pyFloatRepr, pyRepr, pyStr } from '@volume/domain';
import { pyInt } from '../python/numbers';
import { pyLen } from '../python/strings';
import { checkFormat } from './formats';
import type { JsonSchema, JsonType } from './json-schema';
import { pythonRegex } from './python-regex';

// python-jsonschema's Draft4Validator as Cinder extends it (cinder/api/validation/validators.py):
// keywords are walked lazily in schema order and the first error wins, messages are
// python-jsonschema's, and minimum/maximum also judge numeric strings.

type PathElement = string | number;

interface SchemaError {
  path: readonly PathElement[];
  instance: unknown;
  message: string;
}

type Keyword = keyof JsonSchema;
type KeywordCheck = (schema: JsonSchema, instance: unknown, path: readonly PathElement[]) => Iterable<SchemaError>;

/**
 * Validates `body` as Cinder's @validation.schema does.
 * @throws CodedError(BadRequest) with Cinder's text: "Invalid input for field/attribute <name>.
 *   Value: <str(value)>. <message>", or the bare message when the failure is at the root, or the
 *   text of a format checker that raises in Cinder.
 */
export function validate(schema: JsonSchema, body: unknown): void {
  const first = iterErrors(schema, body, []).next();
  if (first.done) return;
  const { path, instance, message } = first.value;
  if (path.length === 0) throw new CodedError(ErrorCode.BadRequest, message);
  const field = String(path[path.length - 1]);
  throw new CodedError(
    ErrorCode.BadRequest,
    `Invalid input for field/attribute ${field}. Value: ${pyStr(instance)}. ${message}`,
  );
}

/** True when `body` passes `schema` (a format checker that raises in Cinder still throws). */
export function isValid(schema: JsonSchema, body: unknown): boolean {
  return iterErrors(schema, body, []).next().done === true;
}

function* iterErrors(schema: JsonSchema, instance: unknown, path: readonly PathElement[]): Generator<SchemaError> {
  for (const keyword of Object.keys(schema) as Keyword[]) {
    const check = KEYWORDS[keyword];
    if (check !== undefined) yield* check(schema, instance, path);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isType(value: unknown, type: JsonType): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
  }
}

function pyEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => pyEqual(item, b[index]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && pyEqual(a[key], b[key]));
  }
  return a === b;
}

/** Cinder's _number_from_str: int() first, then float(); floats keep their Python spelling. */
function cinderNumber(value: unknown): { value: number; repr: string } | undefined {
  const asInt = pyInt(value);
  if (asInt !== undefined) return { value: asInt, repr: pyRepr(asInt) };
  const asFloat = pyFloat(value);
  return asFloat === undefined ? undefined : { value: asFloat, repr: pyFloatRepr(asFloat) };
}

function error(path: readonly PathElement[], instance: unknown, message: string): SchemaError {
  return { path, instance, message };
}

function sortedRepr(items: Iterable<string>): string {
  return [...items].sort().map(pyRepr).join(', ');
}

const KEYWORDS: Partial<Record<Keyword, KeywordCheck>> = {
  *type(schema, instance, path) {
    const types = typeof schema.type === 'string' ? [schema.type] : (schema.type ?? []);
    if (!types.some((type) => isType(instance, type))) {
      yield error(path, instance, `${pyRepr(instance)} is not of type ${types.map((t) => pyRepr(t)).join(', ')}`);
    }
  },

  *properties(schema, instance, path) {
    if (!isObject(instance)) return;
    for (const [name, subschema] of Object.entries(schema.properties ?? {})) {
      if (Object.hasOwn(instance, name)) yield* iterErrors(subschema, instance[name], [...path, name]);
    }
  },

  *patternProperties(schema, instance, path) {
    if (!isObject(instance)) return;
    for (const [pattern, subschema] of Object.entries(schema.patternProperties ?? {})) {
      for (const [name, value] of Object.entries(instance)) {
        if (pythonRegex(pattern).test(name)) yield* iterErrors(subschema, value, [...path, name]);
      }
    }
  },

  *additionalProperties(schema, instance, path) {
    if (!isObject(instance) || schema.additionalProperties !== false) return;
    const declared = schema.properties ?? {};
    const patterns = Object.keys(schema.patternProperties ?? {});
    const matchesPattern = (name: string): boolean =>
      patterns.length > 0 && pythonRegex(patterns.join('|')).test(name);
    const extras = Object.keys(instance).filter((name) => !Object.hasOwn(declared, name) && !matchesPattern(name));
    if (extras.length === 0) return;
    if (patterns.length > 0) {
      const verb = extras.length === 1 ? 'does' : 'do';
      yield error(path, instance, `${sortedRepr(extras)} ${verb} not match any of the regexes: ${sortedRepr(patterns)}`);
    } else {
      const verb = extras.length === 1 ? 'was' : 'were';
      yield error(path, instance, `Additional properties are not allowed (${sortedRepr(extras)} ${verb} unexpected)`);
    }
  },

  *required(schema, instance, path) {
    if (!isObject(instance)) return;
    for (const name of schema.required ?? []) {
      if (!Object.hasOwn(instance, name)) yield error(path, instance, `${pyRepr(name)} is a required property`);
    }
  },

  *minLength(schema, instance, path) {
    if (typeof instance === 'string' && pyLen(instance) < (schema.minLength ?? 0)) {
      yield error(path, instance, `${pyRepr(instance)} is too short`);
    }
  },

  *maxLength(schema, instance, path) {
    if (typeof instance === 'string' && schema.maxLength !== undefined && pyLen(instance) > schema.maxLength) {
      yield error(path, instance, `${pyRepr(instance)} is too long`);
    }
  },

  *pattern(schema, instance, path) {
    if (typeof instance === 'string' && schema.pattern !== undefined && !pythonRegex(schema.pattern).test(instance)) {
      yield error(path, instance, `${pyRepr(instance)} does not match ${pyRepr(schema.pattern)}`);
    }
  },

  *minimum(schema, instance, path) {
    const number = cinderNumber(instance);
    if (number !== undefined && schema.minimum !== undefined && number.value < schema.minimum) {
      yield error(path, instance, `${number.repr} is less than the minimum of ${pyRepr(schema.minimum)}`);
    }
  },

  *maximum(schema, instance, path) {
    const number = cinderNumber(instance);
    if (number !== undefined && schema.maximum !== undefined && number.value > schema.maximum) {
      yield error(path, instance, `${number.repr} is greater than the maximum of ${pyRepr(schema.maximum)}`);
    }
  },

  *enum(schema, instance, path) {
    const allowed = schema.enum ?? [];
    if (!allowed.some((candidate) => pyEqual(candidate, instance))) {
      yield error(path, instance, `${pyRepr(instance)} is not one of ${pyRepr(allowed)}`);
    }
  },

  *format(schema, instance, path) {
    const format = schema.format ?? '';
    if (!checkFormat(format, instance)) yield error(path, instance, `${pyRepr(instance)} is not a ${pyRepr(format)}`);
  },

  *anyOf(schema, instance, path) {
    const branches = schema.anyOf ?? [];
    // Spreading runs every branch to its end, as python-jsonschema's list() does.
    if (!branches.some((branch) => [...iterErrors(branch, instance, path)].length === 0)) {
      yield error(path, instance, `${pyRepr(instance)} is not valid under any of the given schemas`);
    }
  },

  *oneOf(schema, instance, path) {
    const branches = schema.oneOf ?? [];
    const firstValid = branches.findIndex((branch) => [...iterErrors(branch, instance, path)].length === 0);
    if (firstValid < 0) {
      yield error(path, instance, `${pyRepr(instance)} is not valid under any of the given schemas`);
      return;
    }
    const moreValid = branches.slice(firstValid + 1).filter((branch) => isValid(branch, instance));
    if (moreValid.length > 0) {
      const reprs = [...moreValid, branches[firstValid]].map(pyRepr).join(', ');
      yield error(path, instance, `${pyRepr(instance)} is valid under each of ${reprs}`);
    }
  },
};
