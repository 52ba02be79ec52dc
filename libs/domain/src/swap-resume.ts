import { migrationTargetStatus } from './volume-status';

/** What a restarted compute side finds of a swap interrupted before its pivot. */
export interface InterruptedSwap {
  oldVolumeId: string;
  newVolumeId: string;
  /** The guest's disk is open on this host again (the mirror runs through it). */
  guestOpen: boolean;
  /** The migrating volume's `migration_status` as the volume API shows it now (undefined: not shown). */
  oldMigrationStatus: string | null | undefined;
  /** The destination's, or null when the destination volume is gone. */
  newMigrationStatus: string | null | undefined;
}

/**
 * Why a swap interrupted before its pivot (the compute side restarted) cannot be resumed, or null
 * when it can. Resuming mirrors the guest onto the destination again and pivots: only while the
 * migration it serves is still under way and the destination is still its target, for a pivot
 * onto a volume the migration gave up (reset by an admin, ended by the watchdog, deleted) would
 * run the guest on data about to be deleted. Otherwise the swap rolls back, the guest stays on the
 * source, as Nova's does.
 */
export function swapResumeRefusal(s: InterruptedSwap): string | null {
  if (!s.guestOpen) return 'the guest disk is not open on this host';
  if (s.oldMigrationStatus !== 'migrating') {
    return `volume ${s.oldVolumeId} is no longer migrating (migration_status ${s.oldMigrationStatus ?? 'not shown'})`;
  }
  if (s.newMigrationStatus === null) return `the destination volume ${s.newVolumeId} is gone`;
  if (s.newMigrationStatus !== migrationTargetStatus(s.oldVolumeId)) {
    return `volume ${s.newVolumeId} is no longer the destination of ${s.oldVolumeId} (migration_status ${s.newMigrationStatus ?? 'not shown'})`;
  }
  return null;
}
