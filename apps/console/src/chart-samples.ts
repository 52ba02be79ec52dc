import { parseApiTime } from '@volume/migration-format';
import type { Migration } from './api-types';

/** One observation of a migration: seconds since the epoch, bytes processed, read rate. */
export interface Sample {
  t: number;
  bytes: number | null;
  rate: number | null;
}

/** What an observation needs for the chart: the migration itself, or one of its progress samples. */
export type Observation = Pick<Migration, 'observed_at' | 'processed_bytes' | 'rate_bytes_per_second'> & { started_at?: string | null };

/**
 * The chart's points with one more observation of the migration, in time order whatever order
 * they came in (a live read, then its past progress), one per instant, and anchored at its start
 * (nothing copied yet) when no observation is as early.
 */
export function withSample(samples: Sample[], m: Observation): Sample[] {
  const t = parseApiTime(m.observed_at);
  if (t === null) return samples;
  const next = { t: t / 1000, bytes: m.processed_bytes, rate: m.rate_bytes_per_second };
  const started = parseApiTime(m.started_at);
  const points = samples.length === 0 && started !== null && started / 1000 < next.t ? [{ t: started / 1000, bytes: 0, rate: null }] : samples;
  if (points.some((p) => p.t === next.t)) return points;
  return [...points, next].sort((a, b) => a.t - b.t);
}

/**
 * The migration as the page shows it: the later observation of the two (an event can be older than a
 * live read), an ended one before any running one.
 */
export function latestOf(shown: Migration | null, next: Migration): Migration {
  if (!shown) return next;
  if ((shown.status === 'running') !== (next.status === 'running')) return next.status === 'running' ? shown : next;
  return (parseApiTime(next.observed_at) ?? 0) >= (parseApiTime(shown.observed_at) ?? 0) ? next : shown;
}
