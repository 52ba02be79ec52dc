import { Injectable } from '@nestjs/common';
import { MigrationProgressReply } from '@volume/contracts';
import { ProgressTracker, RateEstimator } from '@volume/domain';

/** Cinder spec: a driver-assisted move reports this instead of a percentage. */
export const DRIVER_ASSISTED = 'driver-assisted';

interface HostCopy {
  kind: 'host-assisted';
  tracker: ProgressTracker;
  rate: RateEstimator;
}

/**
 * The live progress of the migrations this host runs, answered from memory so that the API's
 * 200 ms budget is never at the mercy of a database or a busy disk.
 */
@Injectable()
export class ProgressRegistry {
  private readonly running = new Map<string, HostCopy | { kind: 'driver-assisted' }>();

  trackCopy(volumeId: string, tracker: ProgressTracker, rate: RateEstimator): void {
    this.running.set(volumeId, { kind: 'host-assisted', tracker, rate });
  }

  trackDriverMove(volumeId: string): void {
    this.running.set(volumeId, { kind: 'driver-assisted' });
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
}
