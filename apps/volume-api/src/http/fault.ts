import { CodedError, ErrorCode } from '@volume/contracts';

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  [ErrorCode.BadRequest]: 400,
  [ErrorCode.InvalidVolume]: 400,
  [ErrorCode.InvalidHost]: 400,
  [ErrorCode.NoValidBackend]: 400,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.OverLimit]: 413,
  [ErrorCode.UnsupportedMediaType]: 415,
  [ErrorCode.Timeout]: 503,
  [ErrorCode.Unavailable]: 503,
  [ErrorCode.BackendFailure]: 500,
  // The compute side's refusals reach an HTTP client only through a worker's reply; Nova's own
  // statuses say the most, except its 403, which is about nova-bridge's credentials, not the caller's.
  [ErrorCode.ComputeBadRequest]: 400,
  [ErrorCode.ComputeForbidden]: 500,
  [ErrorCode.ComputeNotFound]: 404,
  [ErrorCode.ComputeConflict]: 409,
  [ErrorCode.ComputeUnavailable]: 503,
  [ErrorCode.Internal]: 500,
};

export const GENERIC_500 = 'The server has either erred or is incapable of performing the requested operation.';
export const GENERIC_400 = 'The server could not comply with the request since it is either malformed or otherwise incorrect.';

/** Maps any error to (status, message) without leaking internals of unexpected failures. */
export function toFault(err: unknown): { status: number; message: string } {
  if (err instanceof CodedError) {
    const status = STATUS_BY_CODE[err.code] ?? 500;
    return { status, message: status === 500 ? GENERIC_500 : err.message };
  }
  // Fastify's own refusals (body limits, bad framing) carry a 4xx statusCode.
  const { code, statusCode } = (err ?? {}) as { code?: string; statusCode?: number };
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, message: 'Request is too large.' };
  if (statusCode && statusCode >= 400 && statusCode < 500) return { status: 400, message: GENERIC_400 };
  return { status: 500, message: GENERIC_500 };
}
