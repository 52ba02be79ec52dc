import { Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { isCodedError, RunMigrationRequest } from '@volume/contracts';
import { markComputeSwap, untilDatabaseAnswers, VolumeAttachmentEntity } from '@volume/persistence';
import { ComputeRpcClient, untilServiceAnswers } from '@volume/rpc-clients';

/**
 * Cinder: "Nova must be involved when migrating an attached volume". The compute side mirrors each
 * attachment onto the destination while the guest runs and ends the migration with
 * os-migrate_volume_completion; this host copies nothing.
 */
@Injectable()
export class ComputeHandover {
  constructor(
    private readonly ds: DataSource,
    private readonly compute: ComputeRpcClient,
  ) {}

  /**
   * Returns false when nothing is attached (the host copies then). Any refusal throws, so the run's
   * failure path removes the destination.
   */
  async handOver(req: RunMigrationRequest, log: Logger): Promise<boolean> {
    // Its database steps wait for a database that restarts: a handover is never failed for that.
    const attachments = await untilDatabaseAnswers(
      'reading the attachments',
      () => this.ds.getRepository(VolumeAttachmentEntity).find({ where: { volumeId: req.volumeId, attachStatus: 'attached' }, order: { createdAt: 'ASC' } }),
      { log },
    );
    if (attachments.length === 0) return false;
    if (!(await untilDatabaseAnswers('marking the migration a compute swap', () => markComputeSwap(this.ds.manager, req.migrationId), { log }))) {
      throw new Error('the migration is no longer under way (cancelled); nothing is handed over');
    }
    for (const att of attachments) {
      if (!att.instanceUuid) throw new Error(`attachment ${att.id} is attached to a host, not a server: only a compute service can move it`);
      try {
        const swap = {
          migrationId: req.migrationId,
          serverId: att.instanceUuid,
          attachmentId: att.id,
          oldVolumeId: req.volumeId,
          newVolumeId: req.destVolumeId as string,
        };
        // A bridge restarting is asked again; a repeat of an accepted swap is answered with it.
        await untilServiceAnswers(() => this.compute.swapVolume(swap), { what: `handing attachment ${att.id} to the compute side`, log });
      } catch (err) {
        const why = isCodedError(err) ? `${err.code}: ${err.message}` : (err as Error).message;
        throw new Error(`the compute side refused to swap attachment ${att.id} of server ${att.instanceUuid}: ${why}`);
      }
      log.info({ attachmentId: att.id, serverId: att.instanceUuid }, 'compute side accepted the swap');
    }
    log.info({ to: req.destPoolHost }, 'attached volume handed to the compute side; its completion ends the migration');
    return true;
  }
}
