import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { VolumeEntity } from '@volume/persistence';
import { APP_CONFIG, LOGGER } from '@volume/platform';
// A type-only import: decorator metadata would otherwise reference a value that does not exist.
import type { WorkerConfig } from './config';
import { VolumeService } from './volume/volume.service';

/**
 * Finishes what a crash interrupted on this host, before it takes new work: nobody else would ever
 * move these rows out of `creating` or `deleting`.
 */
@Injectable()
export class Reconciler {
  constructor(
    private readonly ds: DataSource,
    private readonly volumes: VolumeService,
    @Inject(APP_CONFIG) private readonly cfg: WorkerConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async run(): Promise<void> {
    // starts_with, not LIKE: '_' is both a LIKE wildcard and legal in host names.
    const unfinished = await this.ds
      .getRepository(VolumeEntity)
      .createQueryBuilder('v')
      .where('starts_with(v.host, :prefix)', { prefix: `${this.cfg.VOLUME_HOST}@` })
      .andWhere('v.status IN (:...statuses)', { statuses: ['creating', 'deleting'] })
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
