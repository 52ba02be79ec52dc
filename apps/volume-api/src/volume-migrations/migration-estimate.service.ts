import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { parseMigrationEstimate } from '@volume/api-dtos';
import { CodedError, ErrorCode, isCodedError, MigrationDataExtentReply } from '@volume/contracts';
import { canStartMigration, estimateMigration, extractHost, MigrationEstimate, migrationRefusalMessage } from '@volume/domain';
import { WorkerRpcClient } from '@volume/rpc-clients';
import { AuthedContext } from '../http/request-context';
import { MigrateVolumeService } from '../volumes/migrate-volume/migrate-volume.service';
import { VolumesService } from '../volumes/volumes.service';
import { recentCopyRates } from './volume-migrations.repository';

/**
 * The pre-flight estimate (3.73): validated as os-migrate_volume would be (the volume, the
 * destination service, the start rule, the bandwidth: the same errors), without its side effects;
 * then the volume's allocated bytes from its host's extent map, over the rate past unthrottled
 * copies achieved, capped by the host's limit and the bandwidth asked for (estimateMigration
 * chooses the basis and the ceiling).
 */
@Injectable()
export class MigrationEstimateService {
  constructor(
    private readonly ds: DataSource,
    private readonly volumes: VolumesService,
    private readonly migrate: MigrateVolumeService,
    private readonly workers: WorkerRpcClient,
  ) {}

  async estimate(ctx: AuthedContext, body: unknown): Promise<MigrationEstimate> {
    const params = parseMigrationEstimate(body);
    const volume = await this.volumes.get(ctx.caller, params.volumeId);
    await this.migrate.requireVolumeService(params.host, false);
    if (!canStartMigration(volume, { host: params.host })) throw new CodedError(ErrorCode.InvalidVolume, migrationRefusalMessage(volume.id));
    const source = extractHost(volume.host as string, 'backend') as string;
    const destination = extractHost(params.host, 'backend') as string;
    const [extent, betweenHosts, toDestination] = await Promise.all([
      this.extent(volume.host as string, volume.id, ctx.requestId),
      recentCopyRates(this.ds, destination, source),
      recentCopyRates(this.ds, destination, null),
    ]);
    return estimateMigration({
      bytesToCopy: extent.allocatedBytes,
      totalBytes: extent.totalBytes,
      source,
      destination,
      betweenHosts,
      toDestination,
      hostLimitBytesPerSecond: extent.hostLimitBytesPerSecond,
      bandwidthBytesPerSecond: params.bandwidthBytesPerSecond,
    });
  }

  /** The source host's answer; without it there is no estimate (its data is only known there). */
  private async extent(host: string, volumeId: string, requestId: string): Promise<MigrationDataExtentReply> {
    try {
      return await this.workers.migrationDataExtent(host, volumeId, requestId);
    } catch (err) {
      if (isCodedError(err) && err.code === ErrorCode.NotFound) throw err;
      throw new CodedError(ErrorCode.Unavailable, `The host of volume ${volumeId} did not say how much data it holds; try again later.`);
    }
  }
}

/** The body of `POST /volume-migrations/estimate`, in the API's words. */
export function estimateView(e: MigrationEstimate): Record<string, unknown> {
  return {
    estimate: {
      bytes_to_copy: e.bytesToCopy,
      total_bytes: e.totalBytes,
      expected_rate_bytes_per_second: e.expectedRateBytesPerSecond,
      expected_seconds: e.expectedSeconds,
      basis: e.basis,
      confidence: e.confidence,
      limited_by: e.limitedBy,
    },
  };
}
