import { extractHost } from '../host';

/**
 * How a migration moves the data (`migrationMode` picks the first two).
 * `compute-swap`: an in-use volume whose destination exists and whose attachments the compute side
 * (nova-bridge) is swapping; the migration ends with `os-migrate_volume_completion`.
 */
export type MigrationModeName = 'driver-assisted' | 'host-assisted' | 'compute-swap';

export interface MigrationModeInput {
  /** `host@backend#pool` the volume is on. */
  sourceHost: string;
  /** `host@backend#pool` the scheduler chose. */
  destPoolHost: string;
  forceHostCopy: boolean;
  status: string;
  previousStatus: string | null;
}

/**
 * Cinder's `migrate_volume`: the driver moves the data itself only between pools of one host, when
 * no copy is forced and the volume is not attached ("Nova must be involved when migrating an
 * attached volume, and that's handled by the generic migration code"). Everything else is
 * host-assisted; an attached volume's source host then hands the swap to the compute side.
 * A migrating in-use volume keeps `in-use`, and `previous_status` records it either way.
 */
export function migrationMode(m: MigrationModeInput): Extract<MigrationModeName, 'driver-assisted' | 'host-assisted'> {
  const attached = m.status === 'in-use' || m.previousStatus === 'in-use';
  const sameWorker = extractHost(m.destPoolHost, 'host') === extractHost(m.sourceHost, 'host');
  return sameWorker && !m.forceHostCopy && !attached ? 'driver-assisted' : 'host-assisted';
}
