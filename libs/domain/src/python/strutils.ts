import { CodedError, ErrorCode } from '@volume/contracts';
import { pyStr } from './repr';
import { pyStrip } from './strings';

// oslo_utils.strutils.bool_from_string and Cinder's utils.get_bool_param, which decide what
// "true" means for query parameters and action bodies.

const TRUE_STRINGS = ['1', 't', 'true', 'on', 'y', 'yes'];
const FALSE_STRINGS = ['0', 'f', 'false', 'off', 'n', 'no'];
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

/**
 * Cinder's utils.get_bool_param: a missing parameter is `defaultValue`.
 * @throws CodedError(BadRequest) "Value 'x' for 'name' is not a boolean."
 */
export function getBoolParam(
  name: string,
  params: Readonly<Record<string, unknown>>,
  defaultValue = false,
): boolean {
  const value = Object.hasOwn(params, name) ? params[name] : defaultValue;
  // is_valid_boolstr does not strip, bool_from_string does: ' true' is refused here.
  const spelled = pyStr(value).toLowerCase();
  if (!TRUE_STRINGS.includes(spelled) && !FALSE_STRINGS.includes(spelled)) {
    throw new CodedError(ErrorCode.BadRequest, `Value '${pyStr(value)}' for '${name}' is not a boolean.`);
  }
  return parseBoolish(value);
}

function boolOrUndefined(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  const lowered = pyStrip(pyStr(value)).toLowerCase();
  if (TRUE_STRINGS.includes(lowered)) return true;
  if (FALSE_STRINGS.includes(lowered)) return false;
  return undefined;
}
