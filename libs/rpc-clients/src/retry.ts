import type { Logger } from 'pino';
import { CodedError, ErrorCode, retryWithBackoff } from '@volume/domain';

/**
 * A call to a host that is not up (yet): nobody listens on its subjects (a worker still starting, or
 * restarting), NATS itself is unreachable for a moment, or no answer came in time.
 */
export function isHostNotUp(err: unknown): boolean {
  return err instanceof CodedError && (err.code === ErrorCode.Unavailable || err.code === ErrorCode.Timeout);
}

/**
 * How long a caller keeps asking a service that is not up: longer than a restart of an app or of
 * NATS takes (a few seconds to a few tens), short enough that one gone for good is reported within
 * a minute (issue 17 §3).
 */
export const SERVICE_START_BOUND_MS = 60_000;

/**
 * `op`, a call to another service, asked again with backoff while that service is not up (nobody
 * listens, NATS is away, no answer in time), for at most `boundMs` (SERVICE_START_BOUND_MS). Every
 * other failure is thrown at once. `op` must be safe to repeat: an attempt that timed out may have
 * been done.
 */
export function untilServiceAnswers<T>(
  op: () => Promise<T>,
  opts: { what: string; log: Logger; boundMs?: number; signal?: AbortSignal },
): Promise<T> {
  return retryWithBackoff(op, {
    retryable: isHostNotUp,
    boundMs: opts.boundMs ?? SERVICE_START_BOUND_MS,
    signal: opts.signal,
    onRetry: (err, attempt, delayMs) => opts.log.warn({ err: (err as Error).message, attempt, delayMs }, `${opts.what}: not answered; asking again`),
  });
}
