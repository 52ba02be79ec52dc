import { progressPercent } from './migration-progress';

/** Where a swap is, as Nova/QEMU name the steps of a block-mirror job. */
export type SwapPhase = 'accepted' | 'copying' | 'ready' | 'pivoting' | 'completing' | 'completed' | 'failed' | 'cancelled';

/** Phases in which a percent means something: the copy runs or the guest already moved. */
const REPORTING: ReadonlySet<SwapPhase> = new Set<SwapPhase>(['copying', 'ready', 'pivoting', 'completing']);

/** Phases before the commit point: a failure or a cancel rolls back, the guest stays on the source. */
export const PRE_PIVOT: ReadonlySet<SwapPhase> = new Set<SwapPhase>(['accepted', 'copying', 'ready', 'pivoting']);

/** Phases after which nothing more happens. */
export const FINISHED: ReadonlySet<SwapPhase> = new Set<SwapPhase>(['completed', 'failed', 'cancelled']);

/**
 * The percent a swap reports: `min(99, max(previous, floor(100 * cur / end)))`. `end` grows when
 * the guest dirties copied regions, so the raw ratio can fall; the ratchet never shows that, and
 * 99 is the ceiling because only the completion (the volume's `success`) means done. Null when the
 * phase has no percent (not yet copying, or finished) or nothing is known yet.
 */
export function swapPercent(phase: SwapPhase, previous: number | null, cur: number | null, end: number | null): number | null {
  if (!REPORTING.has(phase)) return null;
  let raw: number | null = null;
  if (cur !== null && end !== null && end > 0) raw = progressPercent(Math.min(cur, end), end);
  if (raw === null && previous === null) return null;
  return Math.min(99, Math.max(previous ?? 0, raw ?? 0));
}
