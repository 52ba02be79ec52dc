import { ProgressTracker, RateEstimator } from '@volume/domain';
import { MetricFamily, MetricsRegistry } from '@volume/platform';
import { CopyWork, ProgressRegistry } from './progress-registry';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const LABELS = { migrationId: 'm1', destination: 'host-b@file#pool1' };

function valuesOf(families: MetricFamily[], name: string): Record<string, number | null> {
  const family = families.find((f) => f.name === name);
  if (!family) throw new Error(`no metric ${name}`);
  return Object.fromEntries(family.samples.map((s) => [s.labels?.volume_id ?? s.labels?.mode ?? '', s.value]));
}

describe('ProgressRegistry', () => {
  let now: number;
  let rate: RateEstimator;
  let tracker: ProgressTracker;
  let work: CopyWork;
  let registry: ProgressRegistry;
  let metrics: MetricsRegistry;

  /** A copy of `size` bytes whose map shows `toRead` bytes of data, started (as the runner does) at 0. */
  function start(size: number, toRead: number | null) {
    now = 0;
    rate = new RateEstimator({ now: () => now });
    tracker = new ProgressTracker(size);
    work = { toRead, read: 0 };
    rate.record(0);
  }

  /** The copy processes `bytes` more over `ms`, reading `read` of them (the rest are holes from the map). */
  function copy(bytes: number, ms: number, read = bytes) {
    now += ms;
    tracker.update(tracker.processed + bytes);
    work.read += read;
    rate.record(work.read);
  }

  beforeEach(() => {
    metrics = new MetricsRegistry();
    registry = new ProgressRegistry(metrics);
  });

  it('answers the API with the percent, the bytes and the time left', () => {
    start(100 * MIB, 100 * MIB);
    registry.trackCopy('v1', { tracker, rate, work }, LABELS);
    copy(10 * MIB, 1000);
    copy(10 * MIB, 1000);
    expect(registry.report('v1')).toMatchObject({ progress: '20', migrationId: 'm1', bytesDone: 20 * MIB, bytesTotal: 100 * MIB, etaSeconds: 8 });
    expect(registry.report('v2')).toEqual({ progress: null });
  });

  it('answers the 3.73 resource with what is read, the rate, the ETA and its state, and when bytes last advanced', () => {
    start(100 * MIB, 50 * MIB);
    registry.trackCopy('v1', { tracker, rate, work, limits: { hostBytesPerSecond: 10 * MIB, stallWarnMs: 5000 } }, LABELS);
    copy(20 * MIB, 1000, 10 * MIB);
    copy(10 * MIB, 1000);
    const before = Date.now();
    expect(registry.report('v1')).toMatchObject({ bytesToRead: 50 * MIB, readBytes: 20 * MIB, etaSeconds: 3, etaState: 'throttled', stalled: false });
    expect(registry.report('v1').rateBytesPerSecond).toBeCloseTo(10 * MIB, -5);
    expect(Date.parse(registry.report('v1').lastProgressAt ?? '')).toBeGreaterThanOrEqual(before - 5);
    now += 5000;
    expect(registry.figures('v1')).toMatchObject({ etaSeconds: null, etaState: 'stalled', stalled: true });
    expect(Date.parse(registry.figures('v1')?.lastProgressAt ?? '')).toBeLessThanOrEqual(before - 4990);
  });

  it('when two copies share the host limit, then each is throttled at its share', () => {
    start(100 * MIB, 100 * MIB);
    const limits = { hostBytesPerSecond: 20 * MIB, stallWarnMs: 60_000 };
    registry.trackCopy('v1', { tracker, rate, work, limits }, LABELS);
    registry.trackCopy('v2', { tracker, rate, work, limits }, { migrationId: 'm2', destination: 'host-b@file#pool1' });
    copy(10 * MIB, 1000);
    expect(registry.figures('v1')?.etaState).toBe('throttled');
    registry.forget('v2');
    expect(registry.figures('v1')?.etaState).toBe('ready');
  });

  it("when a copy has its own limit (an admin's), then it is throttled at the tighter of it and the host's share", () => {
    start(100 * MIB, 100 * MIB);
    let own = 5 * MIB;
    registry.trackCopy('v1', { tracker, rate, work, limits: { hostBytesPerSecond: 0, ownBytesPerSecond: () => own, stallWarnMs: 60_000 } }, LABELS);
    copy(5 * MIB, 1000);
    expect(registry.figures('v1')?.etaState).toBe('throttled');
    own = 50 * MIB;
    expect(registry.figures('v1')?.etaState).toBe('ready');
  });

  it('goes by bytes read: a run of holes skipped unread neither makes the rate soar nor the time left collapse', () => {
    // 10 GiB of holes (processed in a few ms, not read), then 10 GiB of data at 100 MiB/s.
    start(20 * GIB, 10 * GIB);
    registry.trackCopy('v1', { tracker, rate, work }, LABELS);
    for (let i = 0; i < 2560; i++) copy(4 * MIB, 0.001, 0);
    for (let i = 0; i < 25; i++) copy(4 * MIB, 40); // 1 s of data at 100 MiB/s
    const families = metrics.collect();
    const rateNow = valuesOf(families, 'volume_migration_rate_bytes_per_second').v1 as number;
    expect(rateNow).toBeGreaterThan(95 * MIB);
    expect(rateNow).toBeLessThan(105 * MIB);
    // 10 GiB - 100 MiB left to read at 100 MiB/s: 102 s (not 2 s, as by processed bytes).
    expect(valuesOf(families, 'volume_migration_eta_seconds').v1).toBe(102);
    expect(registry.report('v1').etaSeconds).toBe(102);
  });

  it('reports each running copy as metrics: size, processed, ratio, bytes read, rate, time left and time since it last moved', () => {
    start(100 * MIB, 60 * MIB);
    registry.trackCopy('v1', { tracker, rate, work }, LABELS);
    registry.trackDriverMove('v2', { migrationId: 'm2', destination: 'host-a@file#pool2' });
    copy(20 * MIB, 0.5, 0); // holes
    copy(25 * MIB, 1000);
    now += 4000; // stalled for 4 s

    const families = metrics.collect();
    expect(valuesOf(families, 'volume_migrations_running')).toEqual({ 'host-assisted': 1, 'driver-assisted': 1 });
    expect(valuesOf(families, 'volume_migration_size_bytes')).toEqual({ v1: 100 * MIB });
    expect(valuesOf(families, 'volume_migration_processed_bytes')).toEqual({ v1: 45 * MIB });
    expect(valuesOf(families, 'volume_migration_progress_ratio')).toEqual({ v1: 0.45 });
    expect(valuesOf(families, 'volume_migration_read_bytes')).toEqual({ v1: 25 * MIB });
    expect(valuesOf(families, 'volume_migration_to_read_bytes')).toEqual({ v1: 60 * MIB });
    const rateNow = valuesOf(families, 'volume_migration_rate_bytes_per_second').v1 as number;
    expect(rateNow).toBeCloseTo((25 * MIB) / 1.0005, -3);
    expect(valuesOf(families, 'volume_migration_eta_seconds')).toEqual({ v1: 2 });
    expect(valuesOf(families, 'volume_migration_seconds_since_progress')).toEqual({ v1: 4 });
    expect(metrics.render()).toContain('volume_migration_processed_bytes{volume_id="v1",migration_id="m1",destination="host-b@file#pool1"} 47185920\n');
  });

  it('shows a copy that never moves as stalled from its start, and not once it has processed everything', () => {
    start(100 * MIB, null);
    registry.trackCopy('v1', { tracker, rate, work }, LABELS);
    now += 7000; // the map, the destination or the throttle holds it before its first block
    let text = metrics.render();
    expect(text).toMatch(/^volume_migration_seconds_since_progress\{volume_id="v1"[^}]*\} 7\n/m);
    expect(text).not.toMatch(/^volume_migration_eta_seconds\{/m); // no rate yet
    expect(text).not.toMatch(/^volume_migration_to_read_bytes\{/m); // not known yet
    copy(100 * MIB, 1000);
    tracker.complete();
    now += 5000; // the final sync and the row swap
    text = metrics.render();
    expect(text).not.toMatch(/^volume_migration_seconds_since_progress\{/m);
    registry.forget('v1');
    text = metrics.render();
    expect(text).not.toContain('volume_id="v1"');
    expect(text).toContain('volume_migrations_running{mode="host-assisted"} 0\n');
  });
});
