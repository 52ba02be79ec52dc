import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { CodedError, ErrorCode, isCodedError, SwapProgressReply } from '@volume/contracts';
import { parseMigrateVolumeCompletion } from '@volume/api-dtos';
import { checkMigrationCompletion, checkSwapCompletion } from '@volume/domain';
import { LOGGER } from '@volume/platform';
import { activeMigrationMode, moveSwappedAttachments, VolumeEntity } from '@volume/persistence';
import { ComputeRpcClient, WorkerRpcClient } from '@volume/rpc-clients';
import { requireAdminOrService, ServicePolicy } from '../http/policy';
import { AuthedContext } from '../http/request-context';
import { VolumeActionsService } from './volume-actions.service';
import { VolumesService } from './volumes.service';

/** A worker's refusals that already are Cinder's answer to the caller; anything else is a 500. */
const PASSED_THROUGH: readonly string[] = [ErrorCode.BadRequest, ErrorCode.InvalidVolume, ErrorCode.NotFound, ErrorCode.Conflict];
/** How long nova-bridge may take to say where a swap is; a completion is not a GET that must be fast. */
const SWAP_STATE_TIMEOUT_MS = 5_000;

/**
 * os-migrate_volume_completion: the compute side (Nova, nova-bridge) tells the volume service that
 * it swapped a migrating volume's attachments to the destination (or failed to), and the source
 * volume's host finishes the migration (Cinder's migrate_volume_completion call).
 */
@Injectable()
export class MigrationCompletionService implements OnModuleInit {
  constructor(
    private readonly ds: DataSource,
    private readonly actions: VolumeActionsService,
    private readonly volumes: VolumesService,
    private readonly workers: WorkerRpcClient,
    private readonly compute: ComputeRpcClient,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onModuleInit(): void {
    this.actions.register('os-migrate_volume_completion', async (ctx, id, args) => {
      const saveVolumeId = await this.complete(ctx, id, args);
      return { status: 200, body: { save_volume_id: saveVolumeId } };
    });
  }

  /**
   * Cinder's order: the volume (404), policy (403), body (400), the new volume (404), the
   * migration checks (400), then (a compute swap only) the compute side's word that the swap is
   * ready for this completion (400, 503), then the call to the source host, whose answer is the id
   * to keep.
   */
  async complete(ctx: AuthedContext, volumeId: string, args: unknown): Promise<string> {
    const volume = await this.volumes.get(ctx.caller, volumeId);
    requireAdminOrService(ctx.caller, ServicePolicy.migrateVolumeCompletion);
    const params = parseMigrateVolumeCompletion({ 'os-migrate_volume_completion': args });
    // The compute side retries after a lost answer; by then the destination row may be gone.
    if (await this.alreadyCompleted(volume, params.newVolumeId)) return volume.id;
    const newVolume = await this.volumes.get(ctx.caller, params.newVolumeId);
    if (checkMigrationCompletion(volume, newVolume) === 'plain-swap') {
      // Nova swapped volumes on its own (neither migrates): the attachments move to the new volume.
      if (!params.error) await moveSwappedAttachments(this.ds.manager, volume.id, newVolume.id);
      return newVolume.id;
    }
    if (!volume.host) throw new CodedError(ErrorCode.InvalidVolume, `Invalid volume: Volume ${volume.id} has no host.`);
    if ((await activeMigrationMode(this.ds.manager, volume.id)) === 'compute-swap') {
      checkSwapCompletion(volume.id, await this.swapState(ctx, volume.id), params.error, ctx.caller);
    }
    const request = { volumeId: volume.id, newVolumeId: newVolume.id, error: params.error };
    this.log.info({ reqId: ctx.requestId, ...request }, 'migration completion issued');
    try {
      return (await this.workers.migrationCompletion(volume.host, request, ctx.requestId)).saveVolumeId;
    } catch (err) {
      if (isCodedError(err) && PASSED_THROUGH.includes(err.code)) throw err;
      this.log.error({ err, reqId: ctx.requestId, ...request }, 'the source host did not complete the migration');
      throw new CodedError(ErrorCode.Internal, `migration completion of volume ${volume.id} failed: ${(err as Error).message}`);
    }
  }

  /**
   * Where nova-bridge says the volume's swap is. No answer is no completion (503, to be retried):
   * the rows must never swap, nor the destination go, on a guess about the guest's disk.
   */
  private async swapState(ctx: AuthedContext, volumeId: string): Promise<SwapProgressReply> {
    try {
      return await this.compute.swapProgress(volumeId, SWAP_STATE_TIMEOUT_MS, ctx.requestId);
    } catch (err) {
      this.log.warn({ err, reqId: ctx.requestId, volumeId }, 'nova-bridge did not say where the swap is; the completion is refused');
      throw new CodedError(
        ErrorCode.Unavailable,
        `The compute service did not say whether the swap of volume ${volumeId} is past its pivot; the migration was not completed. Try again later.`,
      );
    }
  }

  /** Success already recorded for this very destination: answer as the first time did. */
  private async alreadyCompleted(volume: VolumeEntity, newVolumeId: string): Promise<boolean> {
    if (volume.migrationStatus !== 'success') return false;
    const [latest] = await this.ds.query(
      `SELECT dest_volume_id, status FROM volume_migrations WHERE volume_id = $1 ORDER BY started_at DESC LIMIT 1`,
      [volume.id],
    );
    return latest?.status === 'success' && String(latest.dest_volume_id).toLowerCase() === newVolumeId.toLowerCase();
  }
}
