import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, type ConsoleApi } from './api-client';
import type { Migration, ProgressSample } from './api-types';
import { BytesChart } from './bytes-chart';
import { latestOf, type Sample, withSample } from './chart-samples';
import { formatApiTime, formatBytes, formatDuration, formatRate } from '@volume/migration-format';
import { etaText, isFinished } from './format';
import { recalledEstimate } from './session-store';
import { FeedStatus, useMigrationFeed } from './use-migration-feed';

interface Seen {
  at: string;
  type: string;
  phase: string | null;
  progress: number | null;
  rate: number | null;
}

const seenOf = (at: string | null, type: string, x: { phase: string | null; progress: number | null; rate_bytes_per_second: number | null }): Seen => ({
  at: at ?? '',
  type,
  phase: x.phase,
  progress: x.progress,
  rate: x.rate_bytes_per_second,
});

/** Newest first, each once (its past progress and the live stream meet at its latest event). */
function withSeen(prev: Seen[], more: Seen[]): Seen[] {
  const all = new Map([...prev, ...more].map((e) => [`${e.at} ${e.type}`, e]));
  return [...all.values()].sort((a, b) => b.at.localeCompare(a.at)).slice(0, 200);
}

/**
 * One migration: its figures, a chart of bytes and rate over time, its events, estimate against
 * actual. The curve is its past progress (`GET .../progress`: its events as far as the API keeps
 * them, a day by default), then the events stream, live.
 */
export function MigrationPage({ api, id }: { api: ConsoleApi; id: string }) {
  const [m, setM] = useState<Migration | null>(null);
  const [samples, setSamples] = useState<Sample[]>([]);
  const [events, setEvents] = useState<Seen[]>([]);
  const see = (next: Migration) => {
    setM((shown) => latestOf(shown, next));
    setSamples((prev) => withSample(prev, next));
  };
  const snapshot = useCallback(async () => [await api.migration(id)], [api, id]);
  // A finished migration's page shows its final state from the resource read below, at once: its
  // stream would only replay the end, drop, and answer 204 after the server's retry delay.
  const feed = useMigrationFeed(
    api,
    `/volume-migrations/${encodeURIComponent(id)}/events`,
    snapshot,
    {
      onSnapshot: ([one]) => see(one),
      onMigration: (next, type) => {
        see(next);
        setEvents((prev) => withSeen(prev, [seenOf(next.observed_at, type, next)]));
      },
    },
    m !== null && isFinished(m),
  );
  useEffect(() => {
    const stop = new AbortController();
    snapshot().then(
      ([one]) => !stop.signal.aborted && see(one),
      // The feed reads it again and reports what fails.
      () => undefined,
    );
    const observed = (p: ProgressSample) => ({ observed_at: p.at, processed_bytes: p.processed_bytes, rate_bytes_per_second: p.rate_bytes_per_second });
    api.progress(id, stop.signal).then(
      (past) => {
        setSamples((prev) => past.reduce((acc, p) => withSample(acc, observed(p)), prev));
        setEvents((prev) => withSeen(prev, past.map((p) => seenOf(p.at, p.event_type, p))));
      },
      // An API before the route shows no past; the live part goes on.
      (err) => {
        if (!stop.signal.aborted && !(err instanceof ApiError && err.unsupported)) console.warn('the migration progress could not be read', err);
      },
    );
    return () => stop.abort();
  }, [api, id, snapshot]);

  if (!m) {
    return (
      <section>
        <h1>Migration {id}</h1>
        <FeedStatus {...feed} />
      </section>
    );
  }
  const estimate = recalledEstimate(m.volume_id);
  return (
    <section aria-labelledby="migration-title">
      <h1 id="migration-title">Migration of volume {m.volume_id}</h1>
      <FeedStatus {...feed} />
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <span class={`badge result ${m.status}`}>{m.status}</span> {m.stalled && <span class="badge stalled">stalled</span>}
        </dd>
        <dt>Phase</dt>
        <dd>{m.phase ?? '–'}</dd>
        <dt>Hosts</dt>
        <dd>
          {m.source_host} → {m.destination_host} ({m.mode ?? 'not placed yet'})
        </dd>
        <dt>Progress</dt>
        <dd>
          <progress max={100} value={m.progress ?? 0} aria-label="Progress" /> {m.progress ?? 0}% · {formatBytes(m.processed_bytes)} of {formatBytes(m.total_bytes)}
        </dd>
        <dt>Rate / ETA</dt>
        <dd>
          {formatRate(m.rate_bytes_per_second)} · {etaText(m)} · limit {m.bandwidth_limit === null ? 'host default' : formatRate(m.bandwidth_limit)}
        </dd>
        <dt>Started / finished (UTC)</dt>
        <dd>
          {formatApiTime(m.started_at)} / {formatApiTime(m.finished_at)} · {formatDuration(m.duration_seconds)} at {formatRate(m.average_rate_bytes_per_second)} on average
        </dd>
        <dt>Estimate against actual</dt>
        <dd class="estimate">
          {estimate?.expectedSeconds == null
            ? 'no estimate recorded when it started (estimates are kept for migrations started from this console)'
            : `estimated ${formatDuration(estimate.expectedSeconds)}; ${m.finished_at ? 'took' : 'running for'} ${formatDuration(m.duration_seconds)}`}
        </dd>
        {m.error && (
          <>
            <dt>Error</dt>
            <dd class="error">{m.error}</dd>
          </>
        )}
      </dl>
      <h2>Bytes over time</h2>
      <BytesChart samples={samples} />
      {m.status !== 'running' && samples.length <= 2 && <p class="hint">Its progress is no longer kept by the API (a day by default): only the start and the end are known.</p>}
      <h2>Events</h2>
      <ol class="events">
        {events.map((e, i) => (
          <li key={i}>
            <time>{formatApiTime(e.at)}</time> <code>{e.type}</code> {e.phase} · {e.progress ?? 0}% · {formatRate(e.rate)}
          </li>
        ))}
      </ol>
    </section>
  );
}
