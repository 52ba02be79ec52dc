import { useCallback, useState } from 'preact/hooks';
import { ApiError, type ConsoleApi } from './api-client';
import type { Migration } from './api-types';
import { formatBytes, formatRate } from '@volume/migration-format';
import { bandwidthFromMib, etaText, isPastSwitchOver, MIB } from './format';
import { FeedStatus, useMigrationFeed } from './use-migration-feed';

const ACTIVE = (m: Migration) => m.status === 'running' || m.status === 'cancelling';

/** Every running migration, live: one row each, with its bandwidth and cancel controls. */
export function RunningPage({ api }: { api: ConsoleApi }) {
  const [rows, setRows] = useState<Map<string, Migration>>(new Map());
  const snapshot = useCallback(async () => {
    const [running, cancelling] = await Promise.all([api.migrations({ status: 'running' }), api.migrations({ status: 'cancelling' })]);
    return [...running, ...cancelling];
  }, [api]);
  const feed = useMigrationFeed(api, '/volume-migrations/events', snapshot, {
    onSnapshot: (ms) => setRows(new Map(ms.map((m) => [m.id, m]))),
    onMigration: (m) =>
      setRows((prev) => {
        const next = new Map(prev);
        if (ACTIVE(m)) next.set(m.id, m);
        else next.delete(m.id);
        return next;
      }),
  });
  const list = [...rows.values()].sort((a, b) => (a.started_at ?? '').localeCompare(b.started_at ?? ''));
  return (
    <section aria-labelledby="running-title">
      <h1 id="running-title">Running migrations</h1>
      <FeedStatus {...feed} />
      {list.length === 0 ? (
        <p class="empty">No migration is running. <a href="#/start">Start one</a>.</p>
      ) : (
        <table class="migrations">
          <thead>
            <tr>
              <th scope="col">Volume</th>
              <th scope="col">Source → destination</th>
              <th scope="col">Progress</th>
              <th scope="col">Rate</th>
              <th scope="col">ETA</th>
              <th scope="col">Phase</th>
              <th scope="col">Steer</th>
            </tr>
          </thead>
          <tbody>
            {list.map((m) => (
              <RunningRow key={m.id} api={api} m={m} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function RunningRow({ api, m }: { api: ConsoleApi; m: Migration }) {
  const [confirming, setConfirming] = useState(false);
  const [editing, setEditing] = useState(false);
  const [message, setMessage] = useState('');
  const [unsupported, setUnsupported] = useState<Set<string>>(new Set());
  const locked = isPastSwitchOver(m);
  const done = m.processed_bytes ?? 0;

  const act = async (what: 'cancel' | 'bandwidth', run: () => Promise<void>, ok: string) => {
    setMessage('');
    try {
      await run();
      setMessage(ok);
      setConfirming(false);
      setEditing(false);
    } catch (err) {
      if (err instanceof ApiError && err.unsupported) setUnsupported((s) => new Set([...s, what]));
      setMessage(err instanceof ApiError && err.unsupported ? `${what} is not supported by this API` : (err as Error).message);
    }
  };
  const applyBandwidth = (e: Event) => {
    e.preventDefault();
    const text = String(new FormData(e.currentTarget as HTMLFormElement).get('mib') ?? '');
    let bps: number | null;
    try {
      bps = bandwidthFromMib(text);
    } catch (err) {
      setMessage((err as Error).message);
      return;
    }
    act('bandwidth', () => api.setBandwidth(m.volume_id, bps), bps === null ? 'Bandwidth back to the host default' : `Bandwidth set to ${formatRate(bps)}`);
  };

  return (
    <tr data-migration={m.id} data-volume={m.volume_id}>
      <td>
        <a href={`#/migrations/${m.id}`}>{m.volume_id.slice(0, 8)}</a>
        {m.stalled && <span class="badge stalled">stalled</span>}
        {m.status === 'cancelling' && <span class="badge">cancelling</span>}
      </td>
      <td class="hosts">
        {m.source_host} → {m.destination_host}
      </td>
      <td class="progress-cell">
        <progress max={100} value={m.progress ?? 0} aria-label={`Progress of ${m.volume_id}`} />
        <span class="pct">{m.progress ?? 0}%</span>
        <span class="bytes">
          {formatBytes(done)} of {formatBytes(m.total_bytes)}
        </span>
      </td>
      <td class="rate">
        {formatRate(m.rate_bytes_per_second)}
        <span class="limit">limit {m.bandwidth_limit === null ? 'host default' : formatRate(m.bandwidth_limit)}</span>
      </td>
      <td class="eta">{etaText(m)}</td>
      <td>{m.phase ?? '–'}</td>
      <td class="steer">
        {!unsupported.has('bandwidth') &&
          (editing ? (
            <form onSubmit={applyBandwidth} class="inline">
              <label>
                MiB/s
                <input name="mib" inputMode="decimal" size={6} defaultValue={m.bandwidth_limit ? String(m.bandwidth_limit / MIB) : ''} placeholder="default" />
              </label>
              <button type="submit">Apply</button>
              <button type="button" onClick={() => setEditing(false)}>
                Close
              </button>
            </form>
          ) : (
            <button type="button" disabled={locked} onClick={() => setEditing(true)} title={locked ? 'Past the switch-over' : undefined}>
              Bandwidth…
            </button>
          ))}
        {!unsupported.has('cancel') &&
          (confirming ? (
            <span class="confirm" role="group" aria-label="Confirm cancel">
              Cancel this migration?
              <button type="button" class="danger" onClick={() => act('cancel', () => api.cancel(m.volume_id), 'Cancel requested')}>
                Yes, cancel
              </button>
              <button type="button" onClick={() => setConfirming(false)}>
                Keep running
              </button>
            </span>
          ) : (
            <button type="button" disabled={locked} onClick={() => setConfirming(true)} title={locked ? 'Past the switch-over' : undefined}>
              Cancel…
            </button>
          ))}
        {message && (
          <span class="note" role="status">
            {message}
          </span>
        )}
      </td>
    </tr>
  );
}
