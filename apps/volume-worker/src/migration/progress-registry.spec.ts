import { ProgressTracker, RateEstimator } from '@volume/domain';
import { MetricFamily, MetricsRegistry } from '@volume/platform';
import { ProgressRegistry } from './progress-registry';

const MIB = 1024 * 1024;

function valuesOf(families: MetricFamily[], name: string): Record<string, number | null> {
  const family = families.find((f) => f.name === name);
  if (!family) throw new Error(`no metric ${name}`);
  return Object.fromEntries(family.samples.map((s) => [s.labels?.volume_id ?? s.labels?.mode ?? '', s.value]));
}

describe('ProgressRegistry', () => {
  let now: number;
  let rate: RateEstimator;
  let tracker: ProgressTracker;
  let registry: ProgressRegistry;
  let metrics: MetricsRegistry;

  beforeEach(() => {
    now = 0;
    rate = new RateEstimator({ now: () => now });
    tracker = new ProgressTracker(100 * MIB);
    metrics = new MetricsRegistry();
    registry = new ProgressRegistry(metrics);
  });

  /** The copy processes `bytes` more over `ms`. */
  function copy(bytes: number, ms: number) {
    now += ms;
    tracker.update(tracker.processed + bytes);
    rate.record(tracker.processed);
  }

  it('answers the API with the percent, the bytes and the time left', () => {
    registry.trackCopy('v1', tracker, rate, { migrationId: 'm1', destination: 'host-b@file#pool1' });
    copy(0, 0);
    copy(10 * MIB, 1000);
    copy(10 * MIB, 1000);
    expect(registry.report('v1')).toEqual({ progress: '20', bytesDone: 20 * MIB, bytesTotal: 100 * MIB, etaSeconds: 8 });
    expect(registry.report('v2')).toEqual({ progress: null });
  });

  it('reports each running copy as metrics: size, processed, ratio, rate, time left and time since it last moved', () => {
    registry.trackCopy('v1', tracker, rate, { migrationId: 'm1', destination: 'host-b@file#pool1' });
    registry.trackDriverMove('v2', { migrationId: 'm2', destination: 'host-a@file#pool2' });
    copy(0, 0);
    copy(25 * MIB, 1000);
    now += 4000; // stalled for 4 s

    const families = metrics.collect();
    expect(valuesOf(families, 'volume_migrations_running')).toEqual({ 'host-assisted': 1, 'driver-assisted': 1 });
    expect(valuesOf(families, 'volume_migration_size_bytes')).toEqual({ v1: 100 * MIB });
    expect(valuesOf(families, 'volume_migration_processed_bytes')).toEqual({ v1: 25 * MIB });
    expect(valuesOf(families, 'volume_migration_progress_ratio')).toEqual({ v1: 0.25 });
    expect(valuesOf(families, 'volume_migration_rate_bytes_per_second')).toEqual({ v1: 25 * MIB });
    expect(valuesOf(families, 'volume_migration_eta_seconds')).toEqual({ v1: 3 });
    expect(valuesOf(families, 'volume_migration_seconds_since_progress')).toEqual({ v1: 4 });
    const text = metrics.render();
    expect(text).toContain('volume_migration_processed_bytes{volume_id="v1",migration_id="m1",destination="host-b@file#pool1"} 26214400\n');
  });

  it('has no rate and no time left before the copy has moved twice, and forgets a migration that ended', () => {
    registry.trackCopy('v1', tracker, rate);
    let text = metrics.render();
    expect(text).toContain('volume_migration_processed_bytes{volume_id="v1",migration_id="",destination=""} 0\n');
    expect(text).not.toMatch(/^volume_migration_eta_seconds\{/m);
    expect(text).not.toMatch(/^volume_migration_rate_bytes_per_second\{/m);
    registry.forget('v1');
    text = metrics.render();
    expect(text).not.toContain('volume_id="v1"');
    expect(text).toContain('volume_migrations_running{mode="host-assisted"} 0\n');
  });
});
