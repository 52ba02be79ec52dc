import type { FastifyReply } from 'fastify';
import { QueryFailedError } from 'typeorm';
import { CodedError, ErrorCode, faultBody } from '@volume/contracts';
import { isDatabaseUnavailable } from '@volume/persistence';

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

export interface Fault {
  status: number;
  message: string;
  /** Cinder's QuotaError carries `Retry-After: 0`, which its fault repeats in the body as `retryAfter`. */
  retryAfter?: string;
}

export const GENERIC_500 = 'The server has either erred or is incapable of performing the requested operation.';
export const GENERIC_400 = 'The server could not comply with the request since it is either malformed or otherwise incorrect.';
/** webob's HTTPServiceUnavailable explanation, what a Cinder API that cannot serve now answers. */
export const SERVICE_UNAVAILABLE = 'The server is currently unavailable. Please try again at a later time.';

/** Cinder's router answers a path (or method) it has no route for in plain text, before any fault handling. */
export const ROUTER_NOT_FOUND_TEXT = '404 Not Found\n\nThe resource could not be found.\n\n   ';

/**
 * What Cinder says when the HTTP layer refuses a request before any controller: webob's
 * explanations (oslo's size limiter's for 413). Other 4xx of the transport become webob's generic 400.
 */
const TRANSPORT_MESSAGES: Record<number, string> = {
  400: GENERIC_400,
  404: 'The resource could not be found.',
  408: 'The server has waited too long for the request to be sent by the client.',
  413: 'Request is too large.',
  414: 'The request URI was too long for this server.',
  431: 'The request header fields were too large',
};

/** The fault for a status the HTTP layer (Node's parser, Fastify, Nest) chose. */
export function transportFault(status: number): Fault {
  const message = TRANSPORT_MESSAGES[status];
  return message ? { status, message } : { status: 400, message: GENERIC_400 };
}

/**
 * PostgreSQL's class 22 ("data exception": a NUL byte, a value longer than its column, a malformed
 * uuid) means the input could not be stored: the client's error, whichever check let it through.
 */
function isDataException(err: unknown): boolean {
  const code = err instanceof QueryFailedError ? (err.driverError as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('22');
}

/** Maps any error to (status, message) without leaking internals of unexpected failures. */
export function toFault(err: unknown): Fault {
  // Fastify's own refusals (body limits, bad framing, a client gone before its body was in) carry a
  // 4xx statusCode; they come first, as the last one's ECONNRESET would read as a database outage.
  const { statusCode } = (err ?? {}) as { statusCode?: number };
  if (statusCode && statusCode >= 400 && statusCode < 500) return transportFault(statusCode);
  // PostgreSQL down, restarting or out of reach: the service is unavailable, not broken.
  if (isDatabaseUnavailable(err)) return toFault(new CodedError(ErrorCode.Unavailable, SERVICE_UNAVAILABLE));
  if (err instanceof CodedError) {
    const status = STATUS_BY_CODE[err.code] ?? 500;
    if (err.code === ErrorCode.OverLimit) return { status, message: err.message, retryAfter: '0' };
    return { status, message: status === 500 ? GENERIC_500 : err.message };
  }
  if (isDataException(err)) return { status: 400, message: GENERIC_400 };
  return { status: 500, message: GENERIC_500 };
}

/** Answers with Cinder's JSON fault body: the one way every HTTP refusal of the API is written. */
export function sendFault(reply: FastifyReply, { status, message, retryAfter }: Fault): FastifyReply {
  const body = faultBody(status, message);
  if (retryAfter !== undefined) {
    reply.header('retry-after', retryAfter);
    for (const fault of Object.values(body)) Object.assign(fault, { retryAfter });
  }
  return reply.code(status).type('application/json').send(body);
}
