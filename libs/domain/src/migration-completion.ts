import { CodedError, ErrorCode } from './errors';
import { pyTruthy } from './python/strings';

export interface CompletionVolume {
  id: string;
  migrationStatus: string | null;
}

/**
 * `plain-swap`: neither volume migrates (Nova swapped volumes on its own), so only the attachments
 * move; `migration`: the source host finishes the migration.
 */
export type MigrationCompletionKind = 'plain-swap' | 'migration';

/**
 * Cinder's volume API checks of migrate_volume_completion, in its order.
 * @throws CodedError(InvalidVolume) "Invalid volume: Source volume not mid-migration.",
 *   "Invalid volume: Destination volume not mid-migration." or
 *   "Invalid volume: Destination has migration_status <s>, expected target:<id>."
 */
export function checkMigrationCompletion(volume: CompletionVolume, newVolume: CompletionVolume): MigrationCompletionKind {
  if (!pyTruthy(volume.migrationStatus) && !pyTruthy(newVolume.migrationStatus)) return 'plain-swap';
  const invalid = (reason: string) => new CodedError(ErrorCode.InvalidVolume, `Invalid volume: ${reason}`);
  if (!pyTruthy(volume.migrationStatus)) throw invalid('Source volume not mid-migration.');
  if (!pyTruthy(newVolume.migrationStatus)) throw invalid('Destination volume not mid-migration.');
  const expected = `target:${volume.id}`;
  if (newVolume.migrationStatus !== expected) {
    throw invalid(`Destination has migration_status ${newVolume.migrationStatus}, expected ${expected}.`);
  }
  return 'migration';
}
