import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { MigrationProgressReply, SwapProgressReply } from '@volume/contracts';
import { LOGGER } from '@volume/platform';
import { VolumeMigrationEntity } from '@volume/persistence';
import { ComputeRpcClient, WorkerRpcClient } from '@volume/rpc-clients';
import { API_CONFIG } from '../api-config.token';
import type { ApiConfig } from '../config';
import { FiguresSource } from './volume-migration.view-builder';

/**
 * The live figures of one running migration for `GET /volume-migrations/{id}`: one request to its
 * runner (the source host's worker for a copy, nova-bridge for a compute swap) with the budget of
 * 3.72's field. No answer, an answer about another migration, or nothing running there: the row.
 * Lists never ask (a page would be a request per row): they show the rows.
 */
@Injectable()
export class LiveMigrationFigures {
  constructor(
    private readonly workers: WorkerRpcClient,
    private readonly compute: ComputeRpcClient,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async of(row: VolumeMigrationEntity, requestId: string): Promise<FiguresSource> {
    if (row.status !== 'migrating') return { kind: 'persisted' };
    try {
      const reply = row.mode === 'compute-swap' ? swapFigures(await this.askCompute(row, requestId)) : await this.askWorker(row, requestId);
      if (reply.progress === null || (reply.migrationId !== undefined && reply.migrationId !== row.id)) return { kind: 'persisted' };
      return { kind: 'live', reply };
    } catch (err) {
      this.log.debug({ err, migrationId: row.id }, 'live migration figures unavailable; showing the persisted ones');
      return { kind: 'persisted' };
    }
  }

  private askWorker(row: VolumeMigrationEntity, requestId: string): Promise<MigrationProgressReply> {
    return this.workers.migrationProgress(row.sourceHost, row.volumeId, this.config.MIGRATION_PROGRESS_TIMEOUT_MS, requestId);
  }

  private askCompute(row: VolumeMigrationEntity, requestId: string): Promise<SwapProgressReply> {
    return this.compute.swapProgress(row.volumeId, this.config.MIGRATION_PROGRESS_TIMEOUT_MS, requestId);
  }
}

/**
 * A swap's mirror in the copy's words: QEMU's `cur` of `end` (the percent already ratchets, as
 * `end` may grow), with the mirror's rate and time left when the compute side measures them (the
 * local compute host does; Nova does not, and the row's last figures are all there is).
 */
function swapFigures(s: SwapProgressReply): MigrationProgressReply {
  const reply: MigrationProgressReply = { progress: s.progress };
  if (s.cur !== null && s.end !== null) Object.assign(reply, { bytesDone: Math.min(s.cur, s.end), bytesTotal: s.end, readBytes: s.cur, bytesToRead: s.end });
  if (s.figures) Object.assign(reply, s.figures);
  return reply;
}
