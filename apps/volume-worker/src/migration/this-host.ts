import { Logger } from 'pino';
import { extractHost, retryWithBackoff } from '@volume/domain';
import { isHostNotUp, WorkerRpcClient } from '@volume/rpc-clients';
// A type-only import: decorator metadata would otherwise reference a value that does not exist.
import type { WorkerConfig } from '../config';

/**
 * How long a source keeps asking a destination that does not answer to close a stream target. Not
 * longer: the migration's end waits for it, and a destination closes the targets of migrations
 * that are over by itself (TargetSweep).
 */
const CLOSE_TARGET_BOUND_MS = 15_000;

/** Whether a Cinder host string (`host@backend#pool`) names this worker's machine. */
export function isThisHost(cfg: Pick<WorkerConfig, 'VOLUME_HOST'>, host: string): boolean {
  return extractHost(host, 'host') === cfg.VOLUME_HOST;
}

/**
 * A copy to another host ends its stream target there, whether the copy finished or failed, so that
 * nothing more can be written into what may become a live volume's file. A destination that is not
 * up is asked again within a bound; one that never answers closes the target itself once it sees
 * the migration over.
 * @returns whether the destination confirmed the close (true too when there is no remote target).
 */
export async function closeRemoteTarget(
  cfg: Pick<WorkerConfig, 'VOLUME_HOST'>,
  workers: WorkerRpcClient,
  req: { destPoolHost: string; migrationId: string },
  ctx: { log: Logger; signal?: AbortSignal },
): Promise<boolean> {
  if (isThisHost(cfg, req.destPoolHost)) return true;
  try {
    await retryWithBackoff(() => workers.closeMigrationTarget(req.destPoolHost, req.migrationId), {
      retryable: isHostNotUp,
      boundMs: CLOSE_TARGET_BOUND_MS,
      signal: ctx.signal,
    });
    return true;
  } catch (err) {
    ctx.log.warn(
      { err: (err as Error).message, destination: req.destPoolHost },
      'the destination did not confirm closing the stream target; it closes it itself once the migration is over',
    );
    return false;
  }
}
