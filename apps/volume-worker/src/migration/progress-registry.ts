import { Injectable, Optional } from '@nestjs/common';
import { MigrationCopyFigures, MigrationProgressReply } from '@volume/contracts';
import { bytesLeftToRead, DEFAULT_STALL_WARN_S, estimateEta, ProgressTracker, RateEstimator, tighterLimit } from '@volume/domain';
import { MetricFamily, MetricLabels, MetricsRegistry } from '@volume/platform';

/** Cinder spec: a driver-assisted move reports this instead of a percentage. */
export const DRIVER_ASSISTED = 'driver-assisted';

/** Which migration: the metrics' labels besides the volume. */
export interface MigrationLabels {
  migrationId: string;
  /** The destination pool, `host@backend#pool`. */
  destination: string;
}

/**
 * The copy's costly part: the bytes it has to read and has read. Holes the extent map shows take
 * no time, so the rate and the time left go by bytes read, not by bytes processed (a run of holes
 * would otherwise make the rate soar and the time left collapse).
 */
export interface CopyWork {
  /** Null until the copy knows (its map is taken): then the time left goes by processed bytes. */
  toRead: number | null;
  read: number;
}

/** What the time left is judged against. */
export interface CopyLimits {
  /** VOLUME_COPY_BPS_LIMIT, shared by all copies of the host; 0 = none. */
  hostBytesPerSecond: number;
  /** The copy's own limit now (an admin changes it while it runs); 0 = none. */
  ownBytesPerSecond?: () => number;
  /** MIGRATION_STALL_WARN_S, in milliseconds. */
  stallWarnMs: number;
}

const NO_LIMITS: CopyLimits = { hostBytesPerSecond: 0, stallWarnMs: DEFAULT_STALL_WARN_S * 1000 };

interface HostCopy {
  kind: 'host-assisted';
  tracker: ProgressTracker;
  /** Fed the bytes read (`work.read`). */
  rate: RateEstimator;
  work: CopyWork;
  labels: MigrationLabels;
  limits: CopyLimits;
}

interface DriverMove {
  kind: 'driver-assisted';
  labels: MigrationLabels;
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

  trackCopy(
    volumeId: string,
    copy: { tracker: ProgressTracker; rate: RateEstimator; work: CopyWork; limits?: CopyLimits },
    labels: MigrationLabels,
  ): void {
    this.running.set(volumeId, { kind: 'host-assisted', limits: NO_LIMITS, ...copy, labels });
  }

  trackDriverMove(volumeId: string, labels: MigrationLabels): void {
    this.running.set(volumeId, { kind: 'driver-assisted', labels });
  }

  forget(volumeId: string): void {
    this.running.delete(volumeId);
  }

  report(volumeId: string): MigrationProgressReply {
    const entry = this.running.get(volumeId);
    if (!entry) return { progress: null };
    if (entry.kind === 'driver-assisted') return { progress: DRIVER_ASSISTED };
    return { progress: entry.tracker.percent, migrationId: entry.labels.migrationId, ...this.figuresOf(entry) };
  }

  /** A running copy's figures (what the API shows live and the copy's checkpoint persists); null when none runs. */
  figures(volumeId: string): MigrationCopyFigures | null {
    const entry = this.running.get(volumeId);
    return entry?.kind === 'host-assisted' ? this.figuresOf(entry) : null;
  }

  private figuresOf(copy: HostCopy): MigrationCopyFigures {
    const { tracker, work, rate, limits } = copy;
    const sinceProgress = rate.msSinceLastUpdate();
    const bytesPerSecond = rate.bytesPerSecond;
    const eta = estimateEta({
      remainingBytes: bytesLeftToRead({ ...work, processed: tracker.processed, total: tracker.total }),
      rateBytesPerSecond: bytesPerSecond,
      msSinceProgress: sinceProgress,
      limitBytesPerSecond: tighterLimit(limits.hostBytesPerSecond / this.hostCopies(), limits.ownBytesPerSecond?.() ?? 0),
      stallWarnMs: limits.stallWarnMs,
    });
    return {
      bytesDone: tracker.processed,
      bytesTotal: tracker.total,
      bytesToRead: work.toRead,
      readBytes: work.read,
      rateBytesPerSecond: bytesPerSecond === null ? null : Math.round(bytesPerSecond),
      ...eta,
      lastProgressAt: sinceProgress === null ? null : new Date(Date.now() - sinceProgress).toISOString(),
    };
  }

  /** The copies sharing the host's one throttle: each gets its share of the limit. */
  private hostCopies(): number {
    let n = 0;
    for (const entry of this.running.values()) if (entry.kind === 'host-assisted') n++;
    return Math.max(1, n);
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
          labels: { volume_id: volumeId, migration_id: entry.labels.migrationId, destination: entry.labels.destination },
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
      perCopy(
        'volume_migration_rate_bytes_per_second',
        'Recent rate at which the copy reads the source (exponentially weighted, 10 s half-life; holes it skips unread do not count)',
        (c) => c.rate.bytesPerSecond,
      ),
      perCopy('volume_migration_read_bytes', 'Bytes of the source read so far by this run of the copy', (c) => c.work.read),
      perCopy('volume_migration_to_read_bytes', 'Bytes this run of the copy reads in all (the blocks holding data); absent until known', (c) => c.work.toRead),
      perCopy('volume_migration_eta_seconds', 'Seconds left: bytes still to read at the recent rate', (c) => etaSeconds(c)),
      // Only while copying: what follows the last block (the final sync, the row swap) is not a stall.
      perCopy('volume_migration_seconds_since_progress', 'Seconds since the copy started or last processed a block', (c) =>
        c.tracker.processed >= c.tracker.total ? null : seconds(c.rate.msSinceLastUpdate()),
      ),
    ];
  }
}

/** Bytes still to read at the recent read rate (a stalled copy keeps its last figure: alert on seconds_since_progress). */
function etaSeconds(copy: HostCopy): number | null {
  const { work, tracker, rate } = copy;
  return rate.etaSeconds(bytesLeftToRead({ ...work, processed: tracker.processed, total: tracker.total }));
}
