import { CodedError, ErrorCode, FALSE_STRINGS, parseBoolish, pyStr, TRUE_STRINGS } from '@volume/domain';

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
