import { CodedError, ErrorCode } from './errors';
import type { SwapPhase } from './progress/swap-progress';

/**
 * The os-migrate_volume_completion a compute swap calls for: `success` once the guest runs on the
 * new volume (past the pivot), `error` once the swap is rolled back (the mirror stopped, the guest
 * stays on the source).
 */
export type SwapCompletion = 'success' | 'error';

/**
 * The completion a swap's recorded phase calls for; null while the swap runs before its pivot.
 * A compute side that knows more (a rollback under way) reports that instead.
 */
export function completionForPhase(phase: SwapPhase | null): SwapCompletion | null {
  if (phase === 'completing' || phase === 'completed') return 'success';
  if (phase === 'failed' || phase === 'cancelled') return 'error';
  return null;
}

/** What the compute side reports about the swap of a volume whose completion is asked for. */
export interface ReportedSwap {
  phase: SwapPhase | null;
  /** The completion the compute side stands behind now (undefined: a bridge that does not say). */
  completion?: SwapCompletion | null;
  /** `nova`: a real Nova, whose instance actions show a swap as running until after its completion. */
  source: 'local' | 'nova';
}

const invalid = (reason: string) => new CodedError(ErrorCode.InvalidVolume, `Invalid volume: ${reason}`);

/**
 * Refuses the os-migrate_volume_completion of a compute swap that the compute side does not report
 * ready for it: a success before the pivot would swap the rows and unlink the data the guest still
 * runs on; an error before the rollback, or after the pivot, would delete the destination under a
 * running mirror or under the guest. A real Nova calls the completion from inside its swap, which
 * its instance actions show only as running: there the swap's own caller, a service, is trusted,
 * and nobody else is.
 * @throws CodedError(InvalidVolume)
 */
export function checkSwapCompletion(volumeId: string, swap: ReportedSwap, error: boolean, caller: { isService: boolean }): void {
  const wanted: SwapCompletion = error ? 'error' : 'success';
  const due = swap.completion ?? null;
  if (due === wanted) return;
  if (swap.phase === null) throw invalid(`The compute service knows no swap of volume ${volumeId} to complete.`);
  if (due === null && swap.source === 'nova' && caller.isService) return;
  if (due === 'success') {
    throw invalid(`Volume ${volumeId} is past its swap's pivot: the guest runs on the new volume, so only a successful completion ends the migration.`);
  }
  if (due === 'error') {
    throw invalid(`The swap of volume ${volumeId} was rolled back: the guest stays on the source, so only a completion with error ends the migration.`);
  }
  throw invalid(
    error
      ? `The compute service has not rolled back the swap of volume ${volumeId} (swap ${swap.phase}); it completes the migration itself once it has.`
      : `The compute service has not switched the guest of volume ${volumeId} to the new volume (swap ${swap.phase}); it completes the migration itself after its pivot.`,
  );
}
