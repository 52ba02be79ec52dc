import { Injectable, Optional } from '@nestjs/common';
import { MigrationProgressReply } from '@volume/contracts';
import { ProgressTracker, RateEstimator } from '@volume/domain';
import { MetricFamily, MetricLabels, MetricsRegistry } from '@volume/platform';

/** Cinder spec: a driver-assisted move reports this instead of a percentage. */
export const DRIVER_ASSISTED = 'driver-assisted';

/** Which migration: the metrics' labels besides the volume. */
export interface MigrationLabels {
  migrationId: string;
  /** The destination pool, `host@backend#pool`. */
  destination: string;
}

interface HostCopy {
  kind: 'host-assisted';
  tracker: ProgressTracker;
  rate: RateEstimator;
  labels?: MigrationLabels;
}

interface DriverMove {
  kind: 'driver-assisted';
  labels?: MigrationLabels;
}

/**
 * The live progress of the migrations this host runs, answered from memory so that the API's
 * 200 ms budget is never at the mercy of a database or a busy disk. The same figures, with the copy
 * rate, the time left and how long ago the copy last moved, are this worker's Prometheus metrics.
 */
@Injectable()
export class ProgressRegistry {
  private readonly running = new Map<string, HostCopy | DriverMove>();

  constructor(@Optional() metrics?: MetricsRegistry) {
    metrics?.register(() => this.metrics());
  }

  trackCopy(volumeId: string, tracker: ProgressTracker, rate: RateEstimator, labels?: MigrationLabels): void {
    this.running.set(volumeId, { kind: 'host-assisted', tracker, rate, labels });
  }

  trackDriverMove(volumeId: string, labels?: MigrationLabels): void {
    this.running.set(volumeId, { kind: 'driver-assisted', labels });
  }

  forget(volumeId: string): void {
    this.running.delete(volumeId);
  }

  report(volumeId: string): MigrationProgressReply {
    const entry = this.running.get(volumeId);
    if (!entry) return { progress: null };
    if (entry.kind === 'driver-assisted') return { progress: DRIVER_ASSISTED };
    const { tracker, rate } = entry;
    return {
      progress: tracker.percent,
      bytesDone: tracker.processed,
      bytesTotal: tracker.total,
      etaSeconds: rate.etaSeconds(tracker.total - tracker.processed),
    };
  }

  /**
   * One series per migration this host runs (labels: volume, migration, destination pool). The
   * ETA follows the recent rate; `seconds_since_progress` grows while a copy is stalled, which the
   * rate alone would not show (it keeps its last value): alert on it.
   */
  metrics(): MetricFamily[] {
    const copies: { labels: MetricLabels; copy: HostCopy }[] = [];
    const count = { 'host-assisted': 0, 'driver-assisted': 0 };
    for (const [volumeId, entry] of this.running) {
      count[entry.kind]++;
      if (entry.kind === 'host-assisted') {
        copies.push({
          labels: { volume_id: volumeId, migration_id: entry.labels?.migrationId ?? '', destination: entry.labels?.destination ?? '' },
          copy: entry,
        });
      }
    }
    const perCopy = (name: string, help: string, value: (c: HostCopy) => number | null): MetricFamily => ({
      name,
      help,
      type: 'gauge',
      samples: copies.map(({ labels, copy }) => ({ labels, value: value(copy) })),
    });
    const seconds = (ms: number | null) => (ms === null ? null : Math.round(ms / 100) / 10);
    return [
      {
        name: 'volume_migrations_running',
        help: 'Migrations this host runs as their source, by mode',
        type: 'gauge',
        samples: Object.entries(count).map(([mode, n]) => ({ labels: { mode }, value: n })),
      },
      perCopy('volume_migration_size_bytes', 'Bytes the copy has to process (the volume size)', (c) => c.tracker.total),
      perCopy('volume_migration_processed_bytes', 'Bytes processed so far, holes included', (c) => c.tracker.processed),
      perCopy('volume_migration_progress_ratio', 'Processed over size, 0 to 1 (migration_progress is its percent)', (c) =>
        c.tracker.total === 0 ? 0 : c.tracker.processed / c.tracker.total,
      ),
      perCopy('volume_migration_rate_bytes_per_second', 'Recent copy rate (exponentially weighted, 10 s half-life)', (c) => c.rate.bytesPerSecond),
      perCopy('volume_migration_eta_seconds', 'Seconds left at the recent rate', (c) => c.rate.etaSeconds(c.tracker.total - c.tracker.processed)),
      perCopy('volume_migration_seconds_since_progress', 'Seconds since the copy last processed a block', (c) => seconds(c.rate.msSinceLastUpdate())),
    ];
  }
}
