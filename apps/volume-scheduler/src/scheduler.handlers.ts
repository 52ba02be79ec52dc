import { Injectable } from '@nestjs/common';
import { MigrationSubjects, SchedulerSubjects, WorkerSubjects } from '@volume/contracts';
import { NatsService } from '@volume/platform';
import { MigrationPlacementService } from './placement/migration-placement.service';
import { PlacementService } from './placement/placement.service';
import { PoolStatsStore } from './stats/pool-stats.store';

/** The scheduler's NATS surface; replicas share each subject through the `volume-scheduler` queue group. */
@Injectable()
export class SchedulerHandlers {
  constructor(
    private readonly nats: NatsService,
    private readonly placement: PlacementService,
    private readonly stats: PoolStatsStore,
    private readonly migrations: MigrationPlacementService,
  ) {}

  serve(): void {
    this.nats.serve(SchedulerSubjects.createVolume, ({ volumeId }, { requestId, log }) => {
      // Answer as soon as we own the request (Cinder casts); the work is tracked by drain() on shutdown.
      const work = this.placement.placeAndCreate(volumeId, requestId, log);
      this.nats.track(work);
      return { accepted: true as const };
    });
    this.nats.serve(MigrationSubjects.schedule, (req, { requestId, log }) => {
      this.nats.track(this.migrations.scheduleMigration(req, requestId, log));
      return { accepted: true as const };
    });
    this.nats.subscribe(WorkerSubjects.poolStats, (report) => this.stats.save(report));
  }
}
