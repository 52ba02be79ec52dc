import { CancelSwapReply, SwapPhase } from '@volume/contracts';

/** One entry of `GET /servers/{id}/os-instance-actions` (microversion 2.1). */
export interface InstanceAction {
  action: string;
  request_id: string;
  start_time: string;
  message?: string | null;
}
/** One event of `GET /servers/{id}/os-instance-actions/{request_id}`; `events` needs Nova's admin policy at 2.1. */
export interface InstanceActionEvent {
  event: string;
  start_time?: string | null;
  finish_time?: string | null;
  result?: string | null;
}

/** Nova's compute manager wraps `swap_volume` with `wrap_instance_event(prefix='compute')`. */
export const SWAP_ACTION = 'swap_volume';
export const SWAP_EVENT = 'compute_swap_volume';

/** Nova's clock and ours may differ; an action this much older than our swap may still be it. */
export const CLOCK_SKEW_MS = 60_000;

/**
 * The swap action to follow: the one with Nova's request id of our PUT if listed, else the latest
 * `swap_volume` not older than our swap (an earlier swap of another volume of the server is not ours).
 */
export function latestSwapAction(actions: InstanceAction[], novaRequestId?: string, notBefore?: string): InstanceAction | undefined {
  const swaps = actions.filter((a) => a.action === SWAP_ACTION);
  const ours = novaRequestId ? swaps.find((a) => a.request_id === novaRequestId) : undefined;
  if (ours) return ours;
  const earliest = notBefore ? Date.parse(notBefore) - CLOCK_SKEW_MS : Number.NEGATIVE_INFINITY;
  return swaps
    .filter((a) => novaTime(a.start_time) >= earliest)
    .reduce<InstanceAction | undefined>((latest, a) => (!latest || novaTime(a.start_time) > novaTime(latest.start_time) ? a : latest), undefined);
}

export interface ObservedPhase {
  phase: SwapPhase;
  /** ISO time of the last change seen (the event's finish or start, else the action's start). */
  updatedAt: string | null;
}

/**
 * Where a swap is, from its instance action: no `compute_swap_volume` event yet -> accepted (the
 * compute host has not picked up the cast); event running -> copying; finished -> completed on
 * Success (the pivot and Cinder's completion are done), failed on Error (Nova rolled back and
 * called the completion with error). Without visible events (policy), an action whose message is
 * `Error` failed and any other is only known to be accepted.
 */
export function phaseOf(action: InstanceAction, events: InstanceActionEvent[] | undefined): ObservedPhase {
  const event = (events ?? []).find((e) => e.event === SWAP_EVENT);
  if (!event) {
    return { phase: action.message === 'Error' ? 'failed' : 'accepted', updatedAt: isoOf(action.start_time) };
  }
  if (!event.finish_time) return { phase: 'copying', updatedAt: isoOf(event.start_time) ?? isoOf(action.start_time) };
  return { phase: event.result === 'Success' ? 'completed' : 'failed', updatedAt: isoOf(event.finish_time) };
}

/** Nova cannot cancel a swap: what a cancel request amounts to, given the phase. */
export function cancelOutcome(phase: SwapPhase | null): CancelSwapReply['outcome'] {
  if (phase === 'failed') return 'cancelled';
  if (phase === 'completed') return 'past-pivot';
  return 'unsupported';
}

/** Nova's timestamps are UTC without a zone (`2026-08-21T10:00:00.000000`). */
function novaTime(t: string | null | undefined): number {
  if (!t) return Number.NEGATIVE_INFINITY;
  const ms = Date.parse(/(Z|[+-]\d\d:?\d\d)$/.test(t) ? t : `${t}Z`);
  return Number.isFinite(ms) ? ms : Number.NEGATIVE_INFINITY;
}

function isoOf(t: string | null | undefined): string | null {
  const ms = novaTime(t);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}
