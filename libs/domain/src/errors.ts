/**
 * Error codes that cross process boundaries. `instanceof` does not survive NATS, so every refusal
 * carries one of these codes; volume-api maps each code to Cinder's HTTP fault exactly once.
 */
export const ErrorCode = {
  /** Malformed input (schema, types, sizes); message is Cinder's text. */
  BadRequest: 'REQUEST.BAD',
  /** A resource (volume, type, attachment, marker...) does not exist or is hidden from the caller. */
  NotFound: 'RESOURCE.NOT_FOUND',
  /** Policy refused the caller. */
  Forbidden: 'POLICY.FORBIDDEN',
  /** No credentials. */
  Unauthorized: 'AUTH.UNAUTHORIZED',
  /** The volume is in a state that does not allow the operation ("Invalid volume: ..."). */
  InvalidVolume: 'VOLUME.INVALID_STATE',
  /** A destination host/service is unknown or down. */
  InvalidHost: 'HOST.INVALID',
  /** Placement found no backend. */
  NoValidBackend: 'SCHEDULER.NO_VALID_BACKEND',
  /** Quota or size limits. */
  OverLimit: 'LIMIT.EXCEEDED',
  Conflict: 'RESOURCE.CONFLICT',
  /** A request body in a format the API does not read. */
  UnsupportedMediaType: 'REQUEST.MEDIA_TYPE',
  /** A peer did not answer in time. */
  Timeout: 'RPC.TIMEOUT',
  /** A peer is not there at all (no responders). */
  Unavailable: 'RPC.UNAVAILABLE',
  /** Backend (driver) failure on a worker. */
  BackendFailure: 'BACKEND.FAILURE',
  /** The compute side (Nova, or the local compute host) refused a request: Nova's 400. */
  ComputeBadRequest: 'NOVA.BAD_REQUEST',
  /** Nova's 403 (the bridge's service user lacks the role). */
  ComputeForbidden: 'NOVA.FORBIDDEN',
  /** Nova's 404: no such server, or the volume is not attached to it. */
  ComputeNotFound: 'NOVA.NOT_FOUND',
  /** Nova's 409: the server is busy (another swap), or the volume is not migrating. */
  ComputeConflict: 'NOVA.CONFLICT',
  /** Nova answered 5xx, or could not be reached. */
  ComputeUnavailable: 'NOVA.UNAVAILABLE',
  Internal: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error as it travels on the wire. */
export interface WireError {
  code: ErrorCode;
  message: string;
}

/** An error with a code; the only error type that business code throws on purpose. */
export class CodedError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CodedError';
  }

  toWire(): WireError {
    return { code: this.code, message: this.message };
  }

  static fromWire(err: WireError): CodedError {
    return new CodedError(err.code, err.message);
  }
}

export function isCodedError(err: unknown): err is CodedError {
  return err instanceof CodedError;
}
