import { useEffect, useState } from 'preact/hooks';
import { ApiError, type ConsoleApi } from './api-client';
import type { Estimate, Pool, Volume } from './api-types';
import { formatBytes, formatDuration, formatRate, isMigrationDestination } from '@volume/migration-format';
import { bandwidthFromMib } from './format';
import { rememberEstimate } from './session-store';

function freeGb(p: Pool): string {
  const free = p.capabilities?.free_capacity_gb;
  return free === undefined ? 'unknown' : `${free} GB free`;
}

const INVALID = Symbol('invalid');
/** How long the bandwidth field rests before the estimate is asked again. */
const ESTIMATE_DELAY_MS = 300;

/** The bandwidth field as bytes per second (null: empty), or INVALID: no estimate until it is a number (start says why). */
function bandwidthOrInvalid(text: string): number | null | typeof INVALID {
  try {
    return bandwidthFromMib(text);
  } catch {
    return INVALID;
  }
}

/** What the expected rate is when it is a ceiling rather than the hosts' pace. */
const LIMITED_BY = { bandwidth: ', the bandwidth entered', host: ", the source host's limit" } as const;

/** Pick a volume and a destination pool, see the pre-flight estimate, optionally cap the bandwidth, start. */
export function StartPage({ api }: { api: ConsoleApi }) {
  const [volumes, setVolumes] = useState<Volume[] | null>(null);
  const [pools, setPools] = useState<Pool[]>([]);
  const [volumeId, setVolumeId] = useState('');
  const [host, setHost] = useState('');
  const [bandwidth, setBandwidth] = useState('');
  const [estimate, setEstimate] = useState<Estimate | 'unsupported' | null>(null);
  const [message, setMessage] = useState('');

  useEffect(() => {
    Promise.all([api.volumes(), api.pools()]).then(
      ([vs, ps]) => {
        // A running migration's destination bears its source's name: it is no volume to migrate.
        setVolumes(vs.filter((v) => (v.status === 'available' || v.status === 'in-use') && !isMigrationDestination(v)));
        setPools(ps);
      },
      (err: Error) => setMessage(err.message),
    );
  }, [api]);

  const volume = volumes?.find((v) => v.id === volumeId);
  const currentHost = volume?.['os-vol-host-attr:host'] ?? '';
  useEffect(() => {
    setEstimate(null);
    const bps = bandwidthOrInvalid(bandwidth);
    if (!volumeId || !host || bps === INVALID) return;
    let current = true;
    // The estimate goes by the bandwidth entered: asked once typing pauses, not at every key.
    const asking = setTimeout(() => {
      api.estimate(volumeId, host, bps).then(
        (e) => current && setEstimate(e),
        (err) => current && (err instanceof ApiError && err.unsupported ? setEstimate('unsupported') : setMessage((err as Error).message)),
      );
    }, ESTIMATE_DELAY_MS);
    return () => {
      current = false;
      clearTimeout(asking);
    };
  }, [api, volumeId, host, bandwidth]);

  const start = async (e: Event) => {
    e.preventDefault();
    setMessage('');
    try {
      const bps = bandwidthFromMib(bandwidth);
      await api.migrate(volumeId, host, bps);
      rememberEstimate(volumeId, estimate && estimate !== 'unsupported' ? estimate.expected_seconds : null);
      location.hash = '#/running';
    } catch (err) {
      setMessage((err as Error).message);
    }
  };

  return (
    <section aria-labelledby="start-title">
      <h1 id="start-title">Start a migration</h1>
      <form class="start" onSubmit={start}>
        <label>
          Volume
          <select name="volume" required value={volumeId} onChange={(e) => setVolumeId((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">{volumes === null ? 'Loading…' : 'Choose a volume'}</option>
            {(volumes ?? []).map((v) => (
              <option key={v.id} value={v.id} disabled={v.migration_status === 'migrating' || v.migration_status === 'starting'}>
                {v.name || v.id} · {v.size} GB · {v['os-vol-host-attr:host'] ?? 'no host'}
              </option>
            ))}
          </select>
        </label>
        <label>
          Destination pool
          <select name="host" required value={host} onChange={(e) => setHost((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">Choose a pool</option>
            {pools.map((p) => (
              <option key={p.name} value={p.name} disabled={p.name === currentHost}>
                {p.name} · {freeGb(p)}
                {p.name === currentHost ? ' (current)' : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          Bandwidth (MiB/s, empty = the host default)
          <input name="bandwidth" inputMode="decimal" value={bandwidth} onInput={(e) => setBandwidth((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <div class="estimate" aria-live="polite">
          {estimate === 'unsupported' && 'No pre-flight estimate: this API does not offer one.'}
          {estimate && estimate !== 'unsupported' && (
            <p>
              Estimate: {formatBytes(estimate.bytes_to_copy)} to copy of {formatBytes(estimate.total_bytes)}, about{' '}
              <strong>{formatDuration(estimate.expected_seconds)}</strong> at {formatRate(estimate.expected_rate_bytes_per_second)}
              {estimate.limited_by ? LIMITED_BY[estimate.limited_by] : ''} (confidence{' '}
              {estimate.confidence}, from {estimate.basis.migrations} past migration{estimate.basis.migrations === 1 ? '' : 's'})
            </p>
          )}
        </div>
        <button type="submit" disabled={!volumeId || !host}>
          Start migration
        </button>
        {message && (
          <p role="alert" class="error">
            {message}
          </p>
        )}
      </form>
    </section>
  );
}
