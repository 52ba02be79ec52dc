import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { CancelSwapReply, CodedError, ErrorCode } from '@volume/contracts';
import { checkMigrationCancel } from '@volume/domain';
import { LOGGER } from '@volume/platform';
import { ControlledMigration, requestMigrationCancel, withdrawMigrationCancel } from '@volume/persistence';
import { ComputeRpcClient, WorkerRpcClient } from '@volume/rpc-clients';

const REASON = 'cancelled by an admin (os-migrate_volume_cancel)';

/**
 * os-migrate_volume_cancel (3.73): the decision is the row's (requestMigrationCancel, against the
 * commit points), the stop is the runner's. A host copy or a driver move is its source host's: it
 * is told at once, and a host that does not answer ends it from the row when it does (the copy's
 * next write finds the volume no longer migrating; a restart finds the row `cancelling`). A compute
 * swap is the compute side's: only it knows whether its pivot is past, so its answer is awaited.
 */
@Injectable()
export class MigrationCancelService {
  constructor(
    private readonly ds: DataSource,
    private readonly workers: WorkerRpcClient,
    private readonly compute: ComputeRpcClient,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /**
   * Accepted (202) when the migration stops, or was cancelled already (a repeat).
   * @throws CodedError(InvalidVolume) past the switch-over, with nothing to cancel, or when the
   *   compute side cannot cancel its swap; CodedError(Unavailable) when the compute side does not answer.
   */
  async cancel(volumeId: string, requestId: string): Promise<void> {
    const log = this.log.child({ reqId: requestId, volumeId });
    const request = await requestMigrationCancel(this.ds.manager, volumeId);
    checkMigrationCancel(volumeId, request.verdict);
    if (request.verdict !== 'cancel' || request.ended || !request.migration) {
      log.info({ verdict: request.verdict, ended: request.ended }, 'migration cancel: nothing more to stop');
      return;
    }
    const migration = request.migration;
    log.info({ migrationId: migration.id, mode: migration.mode }, 'migration cancel accepted');
    if (migration.mode === 'compute-swap') return this.cancelSwap(volumeId, migration, log);
    try {
      await this.workers.cancelMigration(migration.sourceHost, migration.id, volumeId, requestId);
    } catch (err) {
      log.warn({ err, migrationId: migration.id }, 'the source host did not answer the cancel; it ends the migration from its row');
    }
  }

  private async cancelSwap(volumeId: string, migration: ControlledMigration, log: Logger): Promise<void> {
    let reply: CancelSwapReply;
    try {
      reply = await this.compute.cancelSwap(volumeId, REASON);
    } catch (err) {
      await this.withdraw(migration, volumeId);
      log.warn({ err, migrationId: migration.id }, 'the compute side did not answer the cancel; the swap goes on');
      throw new CodedError(ErrorCode.Unavailable, `The compute service did not answer; the swap of volume ${volumeId} was not cancelled. Try again later.`);
    }
    log.info({ migrationId: migration.id, outcome: reply.outcome, phase: reply.phase }, 'compute side answered the cancel');
    if (reply.outcome === 'cancelled') return;
    await this.withdraw(migration, volumeId);
    if (reply.outcome === 'past-pivot') checkMigrationCancel(volumeId, 'past-switch-over');
    throw new CodedError(
      ErrorCode.InvalidVolume,
      reply.outcome === 'unsupported'
        ? `Invalid volume: The migration of volume ${volumeId} is a swap by Nova, which cannot cancel a volume swap; it goes on.`
        : `Invalid volume: The compute service knows no swap of volume ${volumeId} yet; the migration goes on. Try again later.`,
    );
  }

  private withdraw(migration: ControlledMigration, volumeId: string): Promise<void> {
    return withdrawMigrationCancel(this.ds.manager, { migrationId: migration.id, volumeId });
  }
}
