import { CodedError, ErrorCode } from '@volume/domain';
import { pyLen } from '../python/strings';

/**
 * Cinder's utils.check_string_length (over oslo's): the limits count code points.
 * @throws CodedError(BadRequest) "Invalid input received: <name> has N characters, more than M."
 */
export function checkStringLength(value: unknown, name: string, minLength = 0, maxLength?: number): void {
  if (typeof value !== 'string') {
    throw invalidInput(`${name} is not a string or unicode`);
  }
  const length = pyLen(value);
  if (length < minLength) {
    throw invalidInput(`${name} has ${length} characters, less than ${minLength}.`);
  }
  if (maxLength !== undefined && maxLength > 0 && length > maxLength) {
    throw invalidInput(`${name} has ${length} characters, more than ${maxLength}.`);
  }
}

function invalidInput(reason: string): CodedError {
  return new CodedError(ErrorCode.BadRequest, `Invalid input received: ${reason}`);
}
