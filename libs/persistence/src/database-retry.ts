import { Logger } from 'pino';
import { BackoffPolicy, retryWithBackoff } from '@volume/domain';
import { isDatabaseUnavailable } from './database-unavailable';

/** Enough to tell an outage from a blip in the logs, without a line every few seconds while it lasts. */
const LOG_EVERY_ATTEMPTS = 10;

/**
 * Runs one database step of a migration (a worker's copy, nova-bridge's swap) until the database
 * answers: an outage (PostgreSQL restarting, unreachable) delays a migration and never fails it,
 * nor throws a durable copy away. Other failures are thrown at once. Steps must be safe to repeat:
 * a transaction whose COMMIT lost its answer may have happened. Only the signal (the process
 * stopping, the migration cancelled) ends the wait.
 */
export function untilDatabaseAnswers<T>(
  what: string,
  op: () => Promise<T>,
  ctx: { log: Logger; signal?: AbortSignal; policy?: BackoffPolicy },
): Promise<T> {
  return retryWithBackoff(op, {
    policy: ctx.policy,
    retryable: (err) => isDatabaseUnavailable(err),
    signal: ctx.signal,
    onRetry: (err, attempt, delayMs) => {
      if (attempt === 1 || attempt % LOG_EVERY_ATTEMPTS === 0) {
        ctx.log.warn({ err: (err as Error).message, attempt, delayMs }, `the database does not answer; ${what} is retried until it does`);
      }
    },
  });
}
