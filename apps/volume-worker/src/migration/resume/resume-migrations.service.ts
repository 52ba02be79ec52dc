import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { MigrationModeName } from '@volume/contracts';
import { RUNNABLE_MIGRATION_STATUSES } from '@volume/domain';
import { VolumeMigrationEntity } from '@volume/persistence';
import { APP_CONFIG, LOGGER } from '@volume/platform';
// A type-only import: decorator metadata would otherwise reference a value that does not exist.
import type { WorkerConfig } from '../../config';
import { DriverMove } from '../driver-move/driver-move.service';
import { MigrationRunner } from '../migration-runner.service';

/** At start: what a crash or stop left under way with this host as source is resumed (or ended by its run). */
@Injectable()
export class ResumeMigrations {
  constructor(
    private readonly ds: DataSource,
    private readonly runner: MigrationRunner,
    private readonly driverMove: DriverMove,
    @Inject(APP_CONFIG) private readonly cfg: WorkerConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /**
   * Before the host takes new work: driver moves a crash left committed lose their old location,
   * those whose migration ended before their commit lose their new one (DriverMove.recoverUnfinished).
   */
  async finishDriverMoves(): Promise<void> {
    await this.driverMove.recoverUnfinished(this.cfg.VOLUME_HOST, this.log);
  }

  async resumeInterrupted(): Promise<void> {
    const rows = await this.ds
      .getRepository(VolumeMigrationEntity)
      .createQueryBuilder('m')
      .where('m.status IN (:...runnable)', { runnable: RUNNABLE_MIGRATION_STATUSES })
      // A compute-swap belongs to nova-bridge: its completion (or the watchdog) ends it, never a re-run here.
      .andWhere(`m.mode IS NOT NULL AND m.mode <> 'compute-swap'`)
      .andWhere('m.source_host LIKE :prefix', { prefix: `${this.cfg.VOLUME_HOST}@%` })
      .getMany();
    for (const m of rows) {
      this.log.info({ migrationId: m.id, volumeId: m.volumeId, bytesDone: m.bytesDone }, 'resuming an interrupted migration');
      this.runner.start({
        migrationId: m.id,
        volumeId: m.volumeId,
        destPoolHost: m.destHost,
        mode: m.mode as MigrationModeName,
        destVolumeId: m.destVolumeId,
      });
    }
  }
}
