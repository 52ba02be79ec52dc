import { useEffect, useState } from 'preact/hooks';
import type { ConsoleApi } from './api-client';
import type { Migration } from './api-types';
import { formatApiTime, formatDuration, formatRate } from '@volume/migration-format';

const FINISHED = ['success', 'error', 'cancelled'];

/**
 * Finished migrations, newest first. Status and date go to the API (`status`, `changes-since`); the
 * host matches either end, which the API filters one at a time, so it is matched here.
 */
export function HistoryPage({ api }: { api: ConsoleApi }) {
  const [status, setStatus] = useState('');
  const [since, setSince] = useState('');
  const [host, setHost] = useState('');
  const [rows, setRows] = useState<Migration[] | null>(null);
  const [error, setError] = useState('');

  useEffect(() => {
    const stop = new AbortController();
    const query: Record<string, string> = { limit: '200' };
    if (status) query.status = status;
    if (since) query['changes-since'] = `${since}T00:00:00`;
    api.migrations(query, stop.signal).then(
      (ms) => (setError(''), setRows(ms.filter((m) => FINISHED.includes(m.status)))),
      (err: Error) => stop.signal.aborted || setError(err.message),
    );
    return () => stop.abort();
  }, [api, status, since]);

  const shown = (rows ?? []).filter((m) => !host || m.source_host.includes(host) || m.destination_host.includes(host));
  return (
    <section aria-labelledby="history-title">
      <h1 id="history-title">History</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <label>
          Host
          <input name="host" value={host} onInput={(e) => setHost((e.currentTarget as HTMLInputElement).value)} placeholder="host-b" />
        </label>
        <label>
          Result
          <select name="status" value={status} onChange={(e) => setStatus((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">any</option>
            {FINISHED.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Since
          <input name="since" type="date" value={since} onChange={(e) => setSince((e.currentTarget as HTMLInputElement).value)} />
        </label>
      </form>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {rows === null ? (
        <p>Loading…</p>
      ) : shown.length === 0 ? (
        <p class="empty">No finished migration matches.</p>
      ) : (
        <table class="history">
          <thead>
            <tr>
              <th scope="col">Volume</th>
              <th scope="col">Source → destination</th>
              <th scope="col">Started (UTC)</th>
              <th scope="col">Duration</th>
              <th scope="col">Average rate</th>
              <th scope="col">Result</th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((m) => (
              <tr key={m.id} data-migration={m.id} data-volume={m.volume_id}>
                <td>
                  <a href={`#/migrations/${m.id}`}>{m.volume_id.slice(0, 8)}</a>
                </td>
                <td class="hosts">
                  {m.source_host} → {m.destination_host}
                </td>
                <td>{formatApiTime(m.started_at)}</td>
                <td>{formatDuration(m.duration_seconds)}</td>
                <td>{formatRate(m.average_rate_bytes_per_second)}</td>
                <td>
                  <span class={`badge result ${m.status}`}>{m.status}</span>
                </td>
                <td class="error-text">{m.error ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
