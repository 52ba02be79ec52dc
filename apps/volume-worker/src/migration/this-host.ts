import { extractHost } from '@volume/domain';
import type { WorkerRpcClient } from '@volume/rpc-clients';
// A type-only import: decorator metadata would otherwise reference a value that does not exist.
import type { WorkerConfig } from '../config';

/** Whether a Cinder host string (`host@backend#pool`) names this worker's machine. */
export function isThisHost(cfg: Pick<WorkerConfig, 'VOLUME_HOST'>, host: string): boolean {
  return extractHost(host, 'host') === cfg.VOLUME_HOST;
}

/**
 * A copy to another host ends its stream target there, whether the copy finished or failed; a target
 * that does not close now is closed when that host restarts.
 */
export async function closeRemoteTarget(
  cfg: Pick<WorkerConfig, 'VOLUME_HOST'>,
  workers: WorkerRpcClient,
  req: { destPoolHost: string; migrationId: string },
): Promise<void> {
  if (isThisHost(cfg, req.destPoolHost)) return;
  await workers.closeMigrationTarget(req.destPoolHost, req.migrationId).catch(() => undefined);
}
