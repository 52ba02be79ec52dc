import type { StreamedNotification } from './migration-event-feed.service';

/** At most this many samples in an answer: a chart's worth, whatever the migration's length. */
export const MAX_PROGRESS_SAMPLES = 1000;

/** One point of a migration's progress, as its notification carried it (the resource's own fields). */
export interface ProgressSample {
  at: unknown;
  event_type: string;
  status: unknown;
  phase: unknown;
  progress: unknown;
  processed_bytes: unknown;
  total_bytes: unknown;
  rate_bytes_per_second: unknown;
}

/**
 * The samples of `GET /volume-migrations/{id}/progress` from the notifications the stream holds:
 * one per notification (the relay keeps about one a second), evenly thinned to `max` with the
 * first and the last kept, so that a six-hour copy still answers a chart, not megabytes.
 */
export function progressSamples(held: StreamedNotification[], max = MAX_PROGRESS_SAMPLES): ProgressSample[] {
  const step = held.length <= max ? 1 : (held.length - 1) / (max - 1);
  const picked = step === 1 ? held : Array.from({ length: max }, (_, i) => held[Math.round(i * step)]);
  return picked.map(({ notification: { event_type, payload: p } }) => ({
    at: p.observed_at,
    event_type,
    status: p.status,
    phase: p.phase,
    progress: p.progress,
    processed_bytes: p.processed_bytes,
    total_bytes: p.total_bytes,
    rate_bytes_per_second: p.rate_bytes_per_second,
  }));
}
