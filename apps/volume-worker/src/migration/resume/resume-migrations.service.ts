import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { MigrationModeName, RunMigrationRequest } from '@volume/contracts';
import { RUNNABLE_MIGRATION_STATUSES } from '@volume/domain';
import { VolumeMigrationEntity } from '@volume/persistence';
import { APP_CONFIG, LOGGER } from '@volume/platform';
import { ComputeRpcClient, untilServiceAnswers } from '@volume/rpc-clients';
// A type-only import: decorator metadata would otherwise reference a value that does not exist.
import type { WorkerConfig } from '../../config';
import { ComputeHandover } from '../compute-handover/compute-handover.service';
import { DriverMove } from '../driver-move/driver-move.service';
import { MigrationFailure } from '../failure/migration-failure.service';
import { MigrationRunner } from '../migration-runner.service';

/** How long nova-bridge may take to say whether it has a swap (it reads one row). */
const SWAP_LOOKUP_TIMEOUT_MS = 5_000;

/** At start: what a crash or stop left under way with this host as source is resumed (or ended by its run). */
@Injectable()
export class ResumeMigrations {
  constructor(
    private readonly ds: DataSource,
    private readonly runner: MigrationRunner,
    private readonly driverMove: DriverMove,
    private readonly compute: ComputeRpcClient,
    private readonly handover: ComputeHandover,
    private readonly failure: MigrationFailure,
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
      // A migration an admin cancelled while this host was away is ended by its run (`cancelled`), not resumed.
      .where('m.status IN (:...runnable)', { runnable: [...RUNNABLE_MIGRATION_STATUSES, 'cancelling'] })
      .andWhere('m.mode IS NOT NULL')
      .andWhere('m.source_host LIKE :prefix', { prefix: `${this.cfg.VOLUME_HOST}@%` })
      .getMany();
    for (const m of rows) {
      // A compute-swap belongs to nova-bridge: its completion (or the watchdog) ends it, never a re-run here.
      if (m.mode === 'compute-swap') {
        // A swap being cancelled is the compute side's to roll back: never handed over again.
        if (m.status !== 'cancelling') void this.resumeHandover(m);
        continue;
      }
      this.log.info({ migrationId: m.id, volumeId: m.volumeId, bytesDone: m.bytesDone }, 'resuming an interrupted migration');
      this.runner.start(this.requestOf(m, m.mode as MigrationModeName));
    }
  }

  /**
   * A handover this host died in (or whose nova-bridge died with the call): a swap nova-bridge never
   * took (it knows none for the migration) would be ended only by the watchdog, long after. It is
   * handed over again: nova-bridge answers a repeat of a swap it took with that swap, never a
   * second one. A refusal ends the migration in error, the source intact, as on a first handover.
   * Never rejects.
   */
  private async resumeHandover(m: VolumeMigrationEntity): Promise<void> {
    const log = this.log.child({ migrationId: m.id, volumeId: m.volumeId });
    const req = this.requestOf(m, 'host-assisted');
    let phase: string | null;
    try {
      ({ phase } = await untilServiceAnswers(() => this.compute.swapProgress(m.volumeId, SWAP_LOOKUP_TIMEOUT_MS), { what: 'asking nova-bridge for the swap', log }));
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'nova-bridge cannot say whether it has the swap; the watchdog looks at the migration');
      return;
    }
    if (phase !== null) return;
    log.warn('nova-bridge never took the swap of this attached volume; handing it over again');
    try {
      await this.handover.handOver(req, log);
    } catch (err) {
      log.error({ err }, 'migration failed; the source stays as it was');
      await this.failure.fail(req, m, (err as Error).message, log).catch((e) => log.error({ err: e }, 'cannot end the migration; the watchdog ends it'));
    }
  }

  private requestOf(m: VolumeMigrationEntity, mode: MigrationModeName): RunMigrationRequest {
    return { migrationId: m.id, volumeId: m.volumeId, destPoolHost: m.destHost, mode, destVolumeId: m.destVolumeId };
  }
}
