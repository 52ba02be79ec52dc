import { CodedError, ErrorCode } from './errors';
import { isMigrating } from './volume-status';

export const BEGIN_DETACHING_REFUSAL =
  "Invalid volume: Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.";

/**
 * What os-begin_detaching did, given whether its conditional UPDATE (in-use, attached, not
 * migrating -> detaching) matched. A migrating volume is no error and keeps its status: Nova's swap
 * calls begin_detaching on the volume being migrated, and its user must go on seeing it in-use
 * (Cinder's `_is_volume_migrating`, judged on the volume as read before the UPDATE).
 * @throws CodedError(InvalidVolume) with Cinder's text otherwise.
 */
export function beginDetachingOutcome(updated: boolean, migrationStatus: string | null): 'detaching' | 'unchanged-migrating' {
  if (updated) return 'detaching';
  if (isMigrating(migrationStatus)) return 'unchanged-migrating';
  throw new CodedError(ErrorCode.InvalidVolume, BEGIN_DETACHING_REFUSAL);
}
