import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { VolumeEntity } from '@volume/persistence';
import { APP_CONFIG, LOGGER, NatsService } from '@volume/platform';
// A type-only import: decorator metadata would otherwise reference a value that does not exist.
import type { WorkerConfig } from './config';
import { VolumeService } from './volume/volume.service';

/**
 * How often, and after how long, a `creating` or `deleting` volume of this host is finished by the
 * sweep rather than by the call that should have come: longer than a call's own retries take to
 * start, short enough that a lost delete (NATS away, the API killed) ends within a minute.
 */
const SWEEP_EVERY_MS = 20_000;

/**
 * Finishes what nobody else would ever move out of `creating` or `deleting` on this host: at start,
 * what a crash interrupted, before the host takes new work; then periodically, what a lost call
 * left (a delete cast while NATS was away, by an API that gave up or died, or a create whose
 * scheduler died after the placement). A call under way for the same volume is joined, not raced
 * (VolumeService).
 */
@Injectable()
export class Reconciler {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly ds: DataSource,
    private readonly volumes: VolumeService,
    private readonly nats: NatsService,
    @Inject(APP_CONFIG) private readonly cfg: WorkerConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** Every such volume of this host, at start. */
  run(): Promise<void> {
    return this.reconcile(0);
  }

  /** Then, every SWEEP_EVERY_MS, those left so for longer than that. */
  start(): void {
    this.timer = setInterval(
      () => this.nats.track(this.reconcile(SWEEP_EVERY_MS).catch((err) => this.log.warn({ err: (err as Error).message }, 'reconcile sweep failed'))),
      SWEEP_EVERY_MS,
    );
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async reconcile(olderThanMs: number): Promise<void> {
    // starts_with, not LIKE: '_' is both a LIKE wildcard and legal in host names.
    const unfinished = await this.ds
      .getRepository(VolumeEntity)
      .createQueryBuilder('v')
      .where('starts_with(v.host, :prefix)', { prefix: `${this.cfg.VOLUME_HOST}@` })
      .andWhere('v.status IN (:...statuses)', { statuses: ['creating', 'deleting'] })
      .andWhere('COALESCE(v.updated_at, v.created_at) <= now() - make_interval(secs => :age)', { age: olderThanMs / 1000 })
      .getMany();
    for (const volume of unfinished) {
      // Not `volumeId` nor `host`: the service's own lines and the base logger carry those keys.
      const log = this.log.child({ reconcile: volume.status, volumeHost: volume.host });
      const volumeId = volume.id;
      try {
        if (volume.status === 'creating') {
          log.info({ volumeId, status: await this.volumes.finishCreate(volume, log) }, 'reconciled a volume left creating');
        } else {
          log.info({ volumeId, rowDeleted: await this.volumes.finishDelete(volume, log) }, 'reconciled a volume left deleting');
        }
      } catch (err) {
        log.error({ err, volumeId }, 'could not reconcile volume');
      }
    }
  }
}
