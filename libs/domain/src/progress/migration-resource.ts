/**
 * The words of the volume-migrations resource (3.73): its status and phase, from what a migration's
 * row records. Pure, so that the view, the list's filter and the tests agree on one mapping.
 */

/** A migration's row as the runners write it (`volume_migrations.status`). */
export type MigrationRowStatus = 'starting' | 'migrating' | 'completing' | 'success' | 'error' | 'cancelling' | 'cancelled';

/** The resource's `status`: everything under way is `running`. */
export type MigrationResourceStatus = 'running' | 'success' | 'error' | 'cancelling' | 'cancelled';

export type MigrationPhase = 'scheduling' | 'creating-destination' | 'copying' | 'swapping' | 'completing' | 'done';

export const MIGRATION_RESOURCE_STATUSES: readonly MigrationResourceStatus[] = ['running', 'success', 'error', 'cancelling', 'cancelled'];

/** The row statuses each resource status stands for (the list's `status=` filter). */
const ROW_STATUSES: Record<MigrationResourceStatus, readonly MigrationRowStatus[]> = {
  running: ['starting', 'migrating', 'completing'],
  success: ['success'],
  error: ['error'],
  cancelling: ['cancelling'],
  cancelled: ['cancelled'],
};

/** Row statuses after which nothing more happens: the migration is history. */
export const FINISHED_MIGRATION_STATUSES: readonly MigrationRowStatus[] = ['success', 'error', 'cancelled'];

export function rowStatusesOf(status: MigrationResourceStatus): readonly MigrationRowStatus[] {
  return ROW_STATUSES[status];
}

export function isMigrationResourceStatus(value: string): value is MigrationResourceStatus {
  return (MIGRATION_RESOURCE_STATUSES as readonly string[]).includes(value);
}

export function resourceStatusOf(status: MigrationRowStatus): MigrationResourceStatus {
  return status === 'starting' || status === 'migrating' || status === 'completing' ? 'running' : status;
}

/**
 * The phase shown: what status and mode say, and for a host copy under way the step its runner
 * recorded (making the destination, or copying). A cancel in progress stays in the phase it stopped.
 */
export function migrationPhase(row: { status: MigrationRowStatus; mode: string | null; phase: MigrationPhase }): MigrationPhase {
  switch (row.status) {
    case 'success':
    case 'error':
    case 'cancelled':
      return 'done';
    case 'starting':
      return 'scheduling';
    case 'completing':
      return 'completing';
    case 'cancelling':
      return row.phase;
    case 'migrating':
      if (row.mode === 'compute-swap') return 'swapping';
      if (row.mode === 'driver-assisted') return 'copying';
      if (row.mode === null) return 'scheduling';
      return row.phase === 'copying' ? 'copying' : 'creating-destination';
  }
}
