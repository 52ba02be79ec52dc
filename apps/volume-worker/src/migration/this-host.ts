import { extractHost } from '@volume/domain';
// A type-only import: decorator metadata would otherwise reference a value that does not exist.
import type { WorkerConfig } from '../config';

/** Whether a Cinder host string (`host@backend#pool`) names this worker's machine. */
export function isThisHost(cfg: Pick<WorkerConfig, 'VOLUME_HOST'>, host: string): boolean {
  return extractHost(host, 'host') === cfg.VOLUME_HOST;
}
