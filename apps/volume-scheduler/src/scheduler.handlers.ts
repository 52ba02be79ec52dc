import { Injectable } from '@nestjs/common';
import { SchedulerSubjects, WorkerSubjects } from '@volume/contracts';
import { NatsService } from '@volume/platform';
import { PlacementService } from './placement/placement.service';
import { PoolStatsStore } from './stats/pool-stats.store';

/** The scheduler's NATS surface; replicas share each subject through the `volume-scheduler` queue group. */
@Injectable()
export class SchedulerHandlers {
  constructor(
    private readonly nats: NatsService,
    private readonly placement: PlacementService,
    private readonly stats: PoolStatsStore,
  ) {}

  serve(): void {
    this.nats.serve(SchedulerSubjects.createVolume, ({ volumeId }, { requestId, log }) => {
      // Answer as soon as we own the request (Cinder casts); the work is tracked by drain() on shutdown.
      const work = this.placement.placeAndCreate(volumeId, requestId, log);
      this.nats.track(work);
      return { accepted: true as const };
    });
    this.nats.subscribe(WorkerSubjects.poolStats, (report) => this.stats.save(report));
  }
}
