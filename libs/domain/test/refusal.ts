import type { ErrorCode } from '../src/errors';

/** Matches a thrown CodedError by code and exact message: `expect(fn).toThrow(refusal(...))`. */
export function refusal(code: ErrorCode, message: string): ReturnType<typeof expect.objectContaining> {
  return expect.objectContaining({ code, message });
}
