import { CodedError, ErrorCode } from '@volume/contracts';

/** Nova's answer to the swap PUT, besides 202, as the `NOVA.*` code it becomes. */
const STATUS_CODES: Record<number, ErrorCode> = {
  400: ErrorCode.ComputeBadRequest,
  401: ErrorCode.ComputeForbidden,
  403: ErrorCode.ComputeForbidden,
  404: ErrorCode.ComputeNotFound,
  409: ErrorCode.ComputeConflict,
};

export interface NovaFetchInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutS: number;
  /** Aborted when the adapter stops. */
  signal: AbortSignal;
}

/** One request with Node's fetch, bounded by the configured timeout and by the adapter's stop. */
export function novaFetch(url: string, init: NovaFetchInit): Promise<Response> {
  return fetch(url, {
    method: init.method,
    headers: init.headers,
    body: init.body,
    redirect: 'manual',
    signal: AbortSignal.any([init.signal, AbortSignal.timeout(init.timeoutS * 1000)]),
  });
}

/** Why a fetch failed, without the request (whose headers hold the token). */
export function describeFetchError(err: unknown): string {
  // Duck-typed: fetch's errors come from Node's own realm, where `instanceof Error` may not hold.
  const e = (err ?? {}) as { name?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (e.name === 'TimeoutError') return 'no answer within the timeout (NOVA_TIMEOUT_S)';
  if (e.name === 'AbortError') return 'aborted (nova-bridge is stopping)';
  if (typeof e.cause?.code === 'string') return typeof e.cause.message === 'string' ? `${e.cause.code} (${e.cause.message})` : e.cause.code;
  return typeof e.message === 'string' ? e.message : String(err);
}

/**
 * The message of a Nova fault body: `{"conflictingRequest": {"code": 409, "message": "..."}}`
 * (the key names the fault), or keystonemiddleware's `{"error": {"message": ...}}`.
 */
export function faultMessage(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body.trim().slice(0, 500) || undefined;
  }
  if (!parsed || typeof parsed !== 'object') return undefined;
  const first = Object.values(parsed)[0] as { message?: unknown } | undefined;
  return typeof first?.message === 'string' ? first.message : undefined;
}

/** The CodedError for a Nova answer that is not the expected one: 4xx by meaning, everything else unavailable. */
export function novaError(status: number, body: string, what: string): CodedError {
  const message = faultMessage(body);
  const code = STATUS_CODES[status] ?? ErrorCode.ComputeUnavailable;
  return new CodedError(code, `Nova answered ${status} to ${what}${message ? `: ${message}` : ''}`);
}

/** A body as JSON, or undefined when it is not JSON (a proxy's HTML page, a truncated answer). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
