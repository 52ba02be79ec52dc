import { useCallback, useState } from 'preact/hooks';
import type { ConsoleApi } from './api-client';
import type { Migration } from './api-types';
import { BytesChart, type Sample } from './bytes-chart';
import { bytesText, durationText, etaText, parseApiTime, rateText, timeText } from './format';
import { recalledEstimate } from './session-store';
import { FeedStatus, useMigrationFeed } from './use-migration-feed';

interface Seen {
  at: string;
  type: string;
  m: Migration;
}

function sampleOf(m: Migration): Sample {
  return { t: (parseApiTime(m.observed_at) ?? Date.now()) / 1000, bytes: m.processed_bytes, rate: m.rate_bytes_per_second };
}

/** One migration: its figures, a chart of bytes and rate over time, its events, estimate against actual. */
export function MigrationPage({ api, id }: { api: ConsoleApi; id: string }) {
  const [m, setM] = useState<Migration | null>(null);
  const [samples, setSamples] = useState<Sample[]>([]);
  const [events, setEvents] = useState<Seen[]>([]);
  const see = (next: Migration, type: string) => {
    setM(next);
    setSamples((prev) => {
      const s = sampleOf(next);
      // Figures exist only from when this page watches; the start (nothing copied yet) anchors the line.
      const started = parseApiTime(next.started_at);
      const seeded = prev.length === 0 && started !== null && started / 1000 < s.t ? [{ t: started / 1000, bytes: 0, rate: null }] : prev;
      return seeded.length && seeded[seeded.length - 1].t >= s.t ? seeded : [...seeded, s];
    });
    setEvents((prev) => [{ at: next.observed_at ?? '', type, m: next }, ...prev].slice(0, 200));
  };
  const snapshot = useCallback(async () => [await api.migration(id)], [api, id]);
  const feed = useMigrationFeed(api, `/volume-migrations/${encodeURIComponent(id)}/events`, snapshot, {
    onSnapshot: ([one]) => see(one, 'snapshot'),
    onMigration: (next, type) => see(next, type),
  });

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
          <progress max={100} value={m.progress ?? 0} aria-label="Progress" /> {m.progress ?? 0}% · {bytesText(m.processed_bytes)} of {bytesText(m.total_bytes)}
        </dd>
        <dt>Rate / ETA</dt>
        <dd>
          {rateText(m.rate_bytes_per_second)} · {etaText(m)} · limit {m.bandwidth_limit === null ? 'host default' : rateText(m.bandwidth_limit)}
        </dd>
        <dt>Started / finished (UTC)</dt>
        <dd>
          {timeText(m.started_at)} / {timeText(m.finished_at)} · {durationText(m.duration_seconds)} at {rateText(m.average_rate_bytes_per_second)} on average
        </dd>
        <dt>Estimate against actual</dt>
        <dd class="estimate">
          {estimate?.expectedSeconds == null
            ? 'no estimate recorded when it started (estimates are kept for migrations started from this console)'
            : `estimated ${durationText(estimate.expectedSeconds)}; ${m.finished_at ? 'took' : 'running for'} ${durationText(m.duration_seconds)}`}
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
      <h2>Events</h2>
      <ol class="events">
        {events.map((e, i) => (
          <li key={i}>
            <time>{timeText(e.at)}</time> <code>{e.type}</code> {e.m.phase} · {e.m.progress ?? 0}% · {rateText(e.m.rate_bytes_per_second)}
          </li>
        ))}
      </ol>
    </section>
  );
}
