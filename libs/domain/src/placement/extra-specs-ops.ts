import { pyFloat } from '../python/numbers';
import { pySplit } from '../python/strings';
import { boolFromString } from '../python/strutils';
import type { CapabilityValue } from './pool-stats';

// Cinder's cinder/scheduler/filters/extra_specs_ops.match: an extra spec value is either a literal
// to compare with the capability, or '<op> operand' with one of the operators below. Where Python
// would raise a TypeError (comparing a string with a number, '<in>' on a number) the spec simply
// does not match.

type Operator = (capability: CapabilityValue, operand: string) => boolean;

function numeric(compare: (a: number, b: number) => boolean): Operator {
  return (capability, operand) => {
    const a = pyFloat(capability);
    const b = pyFloat(operand);
    return a !== undefined && b !== undefined && compare(a, b);
  };
}

function textual(compare: (a: string, b: string) => boolean): Operator {
  return (capability, operand) => typeof capability === 'string' && compare(capability, operand);
}

function contains(capability: CapabilityValue, operand: string): boolean {
  if (typeof capability === 'string') return capability.includes(operand);
  if (Array.isArray(capability)) return capability.includes(operand);
  return typeof capability === 'object' && capability !== null && Object.hasOwn(capability, operand);
}

const OPERATORS: ReadonlyMap<string, Operator> = new Map<string, Operator>([
  ['=', numeric((a, b) => a >= b)],
  ['<in>', contains],
  ['<is>', (capability, operand) => boolFromString(capability) === boolFromString(operand)],
  ['==', numeric((a, b) => a === b)],
  ['!=', numeric((a, b) => a !== b)],
  ['>=', numeric((a, b) => a >= b)],
  ['<=', numeric((a, b) => a <= b)],
  ['s==', (capability, operand) => capability === operand],
  ['s!=', (capability, operand) => capability !== operand],
  ['s<', textual((a, b) => a < b)],
  ['s<=', textual((a, b) => a <= b)],
  ['s>', textual((a, b) => a > b)],
  ['s>=', textual((a, b) => a >= b)],
]);

/** Whether a reported capability satisfies one extra spec requirement. */
export function matchExtraSpec(capability: CapabilityValue, requirement: string | null): boolean {
  if (requirement === null) return capability === null;
  const words = pySplit(requirement);
  const op = words.shift();
  const method = op === undefined ? undefined : OPERATORS.get(op);
  if (op !== '<or>' && method === undefined) return capability === requirement;
  if (capability === null) return false;
  if (op === '<or>') {
    // '<or> a <or> b': every other word is an alternative.
    return words.some((word, index) => index % 2 === 0 && word === capability);
  }
  return words.length > 0 && method !== undefined && method(capability, words[0]);
}
