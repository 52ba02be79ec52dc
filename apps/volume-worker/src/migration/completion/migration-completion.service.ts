import { Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import {
  CodedError,
  ErrorCode,
  isCodedError,
  MigrationCompletionReply,
  MigrationCompletionRequest,
  RunMigrationRequest,
} from '@volume/contracts';
import { finishVolumeMigration, untilDatabaseAnswers } from '@volume/persistence';
import { VolumeService } from '../../volume/volume.service';
import { MigrationFailure } from '../failure/migration-failure.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Cinder's manager `migrate_volume_completion`: the rows swap (the volume keeps its id and takes the
 * destination's data), then the old data goes. The host copy ends here once its copy is durable;
 * the compute side ends a swap here, through the API.
 */
@Injectable()
export class MigrationCompletion {
  constructor(
    private readonly ds: DataSource,
    private readonly volumes: VolumeService,
    private readonly failure: MigrationFailure,
  ) {}

  /**
   * The compute side's completion. With `error` the guest stayed on the source: the destination
   * goes and the migration ends in error. Without, the rows swap as after a copy and the old data
   * goes. A repeat after success answers the same and changes nothing; nothing undoes a finished
   * migration.
   */
  async complete(req: MigrationCompletionRequest, log: Logger): Promise<MigrationCompletionReply> {
    for (const id of [req.volumeId, req.newVolumeId]) {
      // What Cinder's volume_get answers for an id that is no uuid, before PostgreSQL would refuse it.
      if (!UUID.test(id ?? '')) throw new CodedError(ErrorCode.NotFound, `Volume ${id} could not be found.`);
    }
    const answer = { saveVolumeId: req.volumeId };
    if (await this.succeeded(req.volumeId, req.newVolumeId)) return answer;
    const [migration]: { id: string; mode: string | null }[] = await this.ds.query(
      `SELECT id, mode FROM volume_migrations WHERE volume_id = $1 AND dest_volume_id = $2 ORDER BY started_at DESC LIMIT 1`,
      [req.volumeId, req.newVolumeId],
    );
    if (req.error) {
      await this.failure.abandon(req, migration?.id ?? null, log);
      return answer;
    }
    // The rows must never swap under a copy still writing the destination.
    if (migration && migration.mode !== 'compute-swap') {
      throw new CodedError(ErrorCode.InvalidVolume, `Invalid volume: Volume ${req.volumeId} is being copied by its host, not swapped by a compute service.`);
    }
    let oldDataRow: string;
    try {
      oldDataRow = await finishVolumeMigration(this.ds.manager, req.volumeId, req.newVolumeId);
    } catch (err) {
      // A concurrent repeat swapped the rows first.
      if (isCodedError(err) && (await this.succeeded(req.volumeId, req.newVolumeId))) return answer;
      throw err;
    }
    log.info({ volumeId: req.volumeId, newVolumeId: req.newVolumeId }, 'compute swap completed; removing the old data');
    await this.removeOldData(oldDataRow, log);
    return answer;
  }

  /**
   * The host copy is durable at the destination: the rows swap, then the old data goes. The swap
   * waits for a database that does not answer (the copy is never thrown away for an outage), and a
   * swap repeated after a COMMIT whose answer was lost finds the migration succeeded.
   */
  async completeCopy(req: RunMigrationRequest & { destVolumeId: string }, log: Logger, signal?: AbortSignal): Promise<void> {
    const oldDataRow = await untilDatabaseAnswers(
      'swapping the rows',
      async () => {
        try {
          return await finishVolumeMigration(this.ds.manager, req.volumeId, req.destVolumeId);
        } catch (err) {
          // The destination row took the old data in the swap that did happen.
          if (isCodedError(err) && (await this.succeeded(req.volumeId, req.destVolumeId))) return req.destVolumeId;
          throw err;
        }
      },
      { log, signal },
    );
    log.info({ to: req.destPoolHost }, 'migration done; removing the old data');
    await this.removeOldData(oldDataRow, log, signal);
  }

  private async succeeded(volumeId: string, newVolumeId: string): Promise<boolean> {
    const rows: unknown[] = await this.ds.query(
      `SELECT 1 FROM volume_migrations WHERE volume_id = $1 AND dest_volume_id = $2 AND status = 'success'`,
      [volumeId, newVolumeId],
    );
    return rows.length > 0;
  }

  private async removeOldData(rowId: string, log: Logger, signal?: AbortSignal): Promise<void> {
    await untilDatabaseAnswers('removing the old data', () => this.volumes.delete(rowId, log), { log, signal }).catch((err) =>
      log.error({ err, volumeId: rowId }, 'removing the old data failed; the row stays deleting and is retried at restart'),
    );
  }
}
