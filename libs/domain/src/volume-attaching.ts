import { CodedError, ErrorCode } from './errors';
import { isMigrating, isMigrationTarget } from './volume-status';

// The volume's side of the 3.27+ attachment flow: when an attachment may reserve it, and what its
// status becomes when an attachment goes.

/** What the reserve rule reads of a volume. */
export interface ReservableVolume {
  id: string;
  status: string;
  multiattach: boolean;
  migrationStatus: string | null;
}

const RESERVABLE_STATUSES: readonly string[] = ['available'];
/** A multiattach volume takes more attachments while in use or already reserved by another. */
const MULTIATTACH_RESERVABLE_STATUSES: readonly string[] = ['available', 'in-use', 'reserved'];

/**
 * Cinder's `_attachment_reserve` condition, plus this service's own: no attachment is made on a
 * migrating volume, except on a migration's destination (`target:<id>`), which the compute side
 * attaches to swap.
 * @throws CodedError(InvalidVolume) with Cinder's "Volume <id> status must be ..." text.
 */
export function checkReservable(volume: ReservableVolume): void {
  const statuses = volume.multiattach ? MULTIATTACH_RESERVABLE_STATUSES : RESERVABLE_STATUSES;
  const migrationAllows = !isMigrating(volume.migrationStatus) || isMigrationTarget(volume.migrationStatus);
  if (statuses.includes(volume.status) && migrationAllows) return;
  const expected = volume.multiattach ? 'available or in-use or downloading' : 'available or downloading';
  throw new CodedError(ErrorCode.InvalidVolume, `Invalid volume: Volume ${volume.id} status must be ${expected}`);
}

/**
 * Migration statuses under which the volume's last detach shows it `available`. Cinder's db
 * `volume_detached` tests this set, not AVAILABLE_MIGRATION_STATUSES: `deleting` (the row left
 * with the old data after a swap) hides the detach too, like a migration under way.
 */
const DETACH_SHOWN_MIGRATION_STATUSES: readonly (string | null)[] = [null, 'success', 'error', 'cancelled'];

/** What the volume becomes once one of its attachments is gone. */
export interface VolumeAfterDetach {
  status: string;
  attachStatus: 'attached' | 'detached';
}

/**
 * Cinder's db `volume_detached`: any attachment still attached keeps the volume in-use, one still
 * being made keeps it reserved. After the last one the volume is available, unless a migration
 * hides the detach: the compute side deletes the old attachment mid-swap, and the volume must still
 * read in-use until the completion swaps the rows.
 */
export function volumeAfterDetach(
  volume: { status: string; migrationStatus: string | null },
  remaining: readonly { attachStatus: string }[],
): VolumeAfterDetach {
  const anyAttached = remaining.some((a) => a.attachStatus === 'attached');
  const attachStatus = anyAttached ? 'attached' : 'detached';
  if (remaining.length > 0) return { status: anyAttached ? 'in-use' : 'reserved', attachStatus };
  const status = DETACH_SHOWN_MIGRATION_STATUSES.includes(volume.migrationStatus) ? 'available' : volume.status;
  return { status, attachStatus };
}
