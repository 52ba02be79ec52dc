import { CodedError, ErrorCode } from '../errors';
import { pyStr } from './repr';
import { pyStrip } from './strings';

// oslo_utils.strutils.bool_from_string, which decides what "true" means for capabilities, query
// parameters and action bodies.

export const TRUE_STRINGS: readonly string[] = ['1', 't', 'true', 'on', 'y', 'yes'];
export const FALSE_STRINGS: readonly string[] = ['0', 'f', 'false', 'off', 'n', 'no'];
const ACCEPTABLE = [...TRUE_STRINGS, ...FALSE_STRINGS]
  .sort()
  .map((text) => `'${text}'`)
  .join(', ');

/** bool_from_string(value, strict=False, default=defaultValue). */
export function boolFromString(value: unknown, defaultValue = false): boolean {
  return boolOrUndefined(value) ?? defaultValue;
}

/**
 * bool_from_string(value, strict=True): only the oslo true/false spellings are accepted.
 * @throws CodedError(BadRequest) with oslo's "Unrecognized value ..." text otherwise.
 */
export function parseBoolish(value: unknown): boolean {
  const parsed = boolOrUndefined(value);
  if (parsed === undefined) {
    throw new CodedError(
      ErrorCode.BadRequest,
      `Unrecognized value '${pyStr(value)}', acceptable values are: ${ACCEPTABLE}`,
    );
  }
  return parsed;
}

function boolOrUndefined(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  const lowered = pyStrip(pyStr(value)).toLowerCase();
  if (TRUE_STRINGS.includes(lowered)) return true;
  if (FALSE_STRINGS.includes(lowered)) return false;
  return undefined;
}
