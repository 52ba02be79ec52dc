import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from 'pino';
import { VolumeApiError } from './volume-api.client';

const MAX_BACKOFF_MS = 30_000;

/** Errors worth retrying: volume-api down or failing, not a refusal of the request itself. */
function transient(err: unknown): boolean {
  return !(err instanceof VolumeApiError) || err.status === 0 || err.status >= 500;
}

export interface RetryScope {
  /** Aborted when the bridge stops: no further attempt. */
  signal: AbortSignal;
  log: Logger;
  swapId: string;
}

/**
 * Runs `step` until it succeeds, `attempts` run out (refusals count as final) or the bridge
 * stops; backoff doubles to 30 s. Returns whether it succeeded.
 */
export async function retryStep(what: string, step: () => Promise<unknown>, attempts: number, scope: RetryScope): Promise<boolean> {
  for (let attempt = 1, delay = 200; ; attempt++, delay = Math.min(delay * 2, MAX_BACKOFF_MS)) {
    if (scope.signal.aborted) return false;
    try {
      await step();
      return true;
    } catch (err) {
      const final = attempt >= attempts || (attempts !== Infinity && !transient(err));
      scope.log[final ? 'error' : 'warn']({ err, swapId: scope.swapId, attempt }, `swap: cannot ${what}${final ? '' : '; retrying'}`);
      if (final) return false;
    }
    try {
      await sleep(delay, undefined, { signal: scope.signal });
    } catch {
      return false;
    }
  }
}

/** `promise`, or the signal's reason (a cancel, a stall or a stop), whichever comes first. */
export function interruptible<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
