import type { SwapCompletion, SwapPhase } from '@volume/domain';
import type { MigrationCopyFigures } from './migration.contracts';
import { defineCall } from './rpc';

// Domain words, re-exported because the swap replies carry them.
export type { SwapCompletion, SwapPhase };

/**
 * The compute side of an attached-volume migration (Nova's swap volume), served by nova-bridge.
 * A volume-worker asks it to swap each attachment of a migrating in-use volume to the destination
 * volume; the API asks it for the swap's progress; the scheduler's watchdog asks it to cancel a swap
 * that went silent. The compute side ends every accepted swap by calling the volume API's
 * `os-migrate_volume_completion` (as Nova does), never with a reply here.
 */

/** Which adapter answered: the built-in compute host, or a real Nova API. */
export type ComputeAdapterName = 'local' | 'nova';

export interface SwapVolumeRequest {
  migrationId: string;
  /** The attachment's `instance_uuid`. */
  serverId: string;
  /** The attachment being swapped (the old one, on the source volume). */
  attachmentId: string;
  /** The migrating volume, as Cinder and the guest's owner know it. */
  oldVolumeId: string;
  /** The destination row (`migration_status = target:<oldVolumeId>`), available, not attached. */
  newVolumeId: string;
}
export interface SwapVolumeReply {
  /** Nova answered 202 (or the local compute host took the swap); the rest happens asynchronously. */
  accepted: true;
}

export interface SwapProgressRequest {
  /** The migrating volume's id (the old id). */
  volumeId: string;
}
export interface SwapProgressReply {
  /** Integer percent string "0".."99" while swapping ("100" only after completion), or null when unknown. */
  progress: string | null;
  phase: SwapPhase | null;
  /** QEMU's `offset` and `len` (libvirt's cur/end): `end` may grow as the guest dirties copied regions. */
  cur: number | null;
  end: number | null;
  /** ISO time of the last change the compute side saw, or null. */
  updatedAt: string | null;
  /**
   * The os-migrate_volume_completion the compute side stands behind now: `success` past the pivot,
   * `error` once the swap is rolling back with its mirror stopped, or rolled back; null before the
   * pivot or when it cannot tell. The API refuses any other completion of a compute swap.
   */
  completion: SwapCompletion | null;
  source: ComputeAdapterName;
  /**
   * The mirror's recent rate and the time left at it, as a host copy reports them (3.73's
   * volume-migrations resource): only the local compute host measures them (Nova has no such API).
   */
  figures?: Pick<MigrationCopyFigures, 'rateBytesPerSecond' | 'etaSeconds' | 'etaState' | 'stalled' | 'lastProgressAt'>;
}

export interface CancelSwapRequest {
  volumeId: string;
  reason: string;
}
export interface CancelSwapReply {
  /**
   * `cancelled`: the swap was stopped before its pivot and rolled back (the guest stays on the source;
   * completion with error was sent). `not-found`: no swap of that volume is known here.
   * `past-pivot`: the guest already runs on the new volume; the swap cannot be cancelled and will complete.
   * `unsupported`: the adapter cannot cancel (a real Nova has no API for it).
   */
  outcome: 'cancelled' | 'not-found' | 'past-pivot' | 'unsupported';
  phase: SwapPhase | null;
}

/** 3.73's os-migrate_volume_set_bandwidth for a swap: the mirror's own limit; null: none (SWAP_COPY_BPS_LIMIT alone). */
export interface SetSwapBandwidthRequest {
  volumeId: string;
  bytesPerSecond: number | null;
}
export interface SetSwapBandwidthReply {
  /**
   * `applied`: the running mirror took it now. `not-running`: no mirror of that volume runs here (it
   * takes the migration's recorded limit when it starts or resumes). `unsupported`: a real Nova has no knob.
   */
  outcome: 'applied' | 'not-running' | 'unsupported';
}

export const ComputeSubjects = {
  swapVolume: defineCall<SwapVolumeRequest, SwapVolumeReply>('nova.swap_volume.v1', 30_000, 'nova-bridge'),
  /** Asked on every admin GET of a migrating in-use volume at 3.72: it must answer fast or be skipped. */
  swapProgress: defineCall<SwapProgressRequest, SwapProgressReply>('nova.swap_progress.v1', 200, 'nova-bridge'),
  cancelSwap: defineCall<CancelSwapRequest, CancelSwapReply>('nova.cancel_swap.v1', 10_000, 'nova-bridge'),
  setSwapBandwidth: defineCall<SetSwapBandwidthRequest, SetSwapBandwidthReply>('nova.set_swap_bandwidth.v1', 5_000, 'nova-bridge'),
} as const;
