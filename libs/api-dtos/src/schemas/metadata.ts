import { CodedError, ErrorCode, pyTruthy } from '@volume/domain';
import { pyLen } from '../python/strings';
import { checkStringLength } from '../validation/check-string-length';

/**
 * Cinder's utils.check_metadata_properties, which the volume API runs on every metadata write
 * whatever schema the endpoint had.
 * @throws CodedError(BadRequest) "Invalid metadata: ..." or "Invalid metadata size: ..."; the
 *   metadata endpoints answer the size error with 413, which is the caller's mapping to make.
 */
export function checkMetadataProperties(metadata: unknown): void {
  if (!pyTruthy(metadata)) return;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    // Raised with a positional message, which replaces InvalidInput's "Invalid input received:".
    throw new CodedError(ErrorCode.BadRequest, 'Metadata should be a dict.');
  }
  for (const [key, value] of Object.entries(metadata)) {
    try {
      checkStringLength(key, `Metadata key: ${key}`, 1);
      checkStringLength(value, `Value for metadata key: ${key}`);
    } catch (err) {
      throw new CodedError(ErrorCode.BadRequest, `Invalid metadata: ${(err as Error).message}`);
    }
    if (pyLen(key) > 255) {
      throw new CodedError(
        ErrorCode.BadRequest,
        `Invalid metadata size: Metadata property key ${key} greater than 255 characters.`,
      );
    }
    if (pyLen(value as string) > 255) {
      throw new CodedError(
        ErrorCode.BadRequest,
        `Invalid metadata size: Metadata property key ${key} value greater than 255 characters.`,
      );
    }
  }
}
