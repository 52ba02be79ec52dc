// The codes and the error type are the domain's words; they are re-exported here because every
// reply envelope carries them, so services keep one import for what crosses the wire.
export { CodedError, ErrorCode, isCodedError } from '@volume/domain';
export type { WireError } from '@volume/domain';
