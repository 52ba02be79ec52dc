import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from 'pino';
import { swapResumeRefusal } from '@volume/domain';
import { ComputeSwapEntity } from '@volume/persistence/compute-host';
import { ApiIdentity } from './api-identity';
import { VolumeApiClient, VolumeApiError } from './volume-api.client';

const MAX_BACKOFF_MS = 30_000;
/** Reads of a swap's volumes before it resumes: ~25 s of backoff, for a volume API restarting too. */
const RESUME_READ_ATTEMPTS = 8;

/** Errors worth retrying: volume-api down or failing, not a refusal of the request itself. */
function transient(err: unknown): boolean {
  return !(err instanceof VolumeApiError) || err.status === 0 || err.status >= 500;
}

export interface RetryScope {
  /** Aborted when the bridge stops: no further attempt. */
  signal: AbortSignal;
  log: Logger;
  swapId: string;
  /** The longest pause between two attempts; 30 s unless given. */
  maxBackoffMs?: number;
}

/**
 * Runs `step` until it succeeds, `attempts` run out (refusals count as final) or the bridge
 * stops; backoff doubles to 30 s (scope.maxBackoffMs). Returns whether it succeeded.
 */
export async function retryStep(what: string, step: () => Promise<unknown>, attempts: number, scope: RetryScope): Promise<boolean> {
  for (let attempt = 1, delay = 200; ; attempt++, delay = Math.min(delay * 2, scope.maxBackoffMs ?? MAX_BACKOFF_MS)) {
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

/**
 * Why a swap interrupted before its pivot cannot resume (libs/domain's swapResumeRefusal), judged
 * on its volumes as the volume API shows them now (a 404: the volume is gone); null when it can.
 */
export async function resumeRefusal(
  volumeApi: VolumeApiClient,
  as: ApiIdentity,
  row: Pick<ComputeSwapEntity, 'oldVolumeId' | 'newVolumeId'>,
  guestOpen: boolean,
  scope: RetryScope,
): Promise<string | null> {
  const migrationStatusOf = (id: string) =>
    volumeApi.getVolume(as, id).then(
      (v) => v.migration_status,
      (err) => {
        if (err instanceof VolumeApiError && err.status === 404) return null;
        throw err;
      },
    );
  let statuses: (string | null | undefined)[] = [];
  const read = await retryStep(
    'read the volumes of the interrupted swap',
    async () => (statuses = await Promise.all([migrationStatusOf(row.oldVolumeId), migrationStatusOf(row.newVolumeId)])),
    RESUME_READ_ATTEMPTS,
    scope,
  );
  if (!read) return 'the volume API did not tell whether the migration is still under way';
  const [oldMigrationStatus, newMigrationStatus] = statuses;
  return swapResumeRefusal({ oldVolumeId: row.oldVolumeId, newVolumeId: row.newVolumeId, guestOpen, oldMigrationStatus, newMigrationStatus });
}
