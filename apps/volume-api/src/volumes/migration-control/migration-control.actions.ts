import { Injectable, OnModuleInit } from '@nestjs/common';
import { parseMigrateVolumeCancel, parseMigrateVolumeSetBandwidth } from '@volume/api-dtos';
import { requireAdmin } from '../../http/policy';
import { VolumeActionsService } from '../volume-actions.service';
import { VolumesService } from '../volumes.service';
import { MigrationBandwidthService } from './migration-bandwidth.service';
import { MigrationCancelService } from './migration-cancel.service';
import { MigrationControlPolicy, requireMigrationControlVersion } from './migration-control.policy';

/**
 * 3.73's controls of a running migration (issue 14 §2), checked in Cinder's order: the version
 * (404), the volume (404), policy (403), the body (400).
 */
@Injectable()
export class MigrationControlActions implements OnModuleInit {
  constructor(
    private readonly actions: VolumeActionsService,
    private readonly volumes: VolumesService,
    private readonly cancels: MigrationCancelService,
    private readonly bandwidths: MigrationBandwidthService,
  ) {}

  onModuleInit(): void {
    this.actions.register('os-migrate_volume_cancel', async (ctx, volumeId, args) => {
      requireMigrationControlVersion(ctx);
      const volume = await this.volumes.get(ctx.caller, volumeId);
      requireAdmin(ctx.caller, MigrationControlPolicy.cancel);
      parseMigrateVolumeCancel({ 'os-migrate_volume_cancel': args });
      await this.cancels.cancel(volume.id, ctx.requestId);
      return { status: 202 };
    });
    this.actions.register('os-migrate_volume_set_bandwidth', async (ctx, volumeId, args) => {
      requireMigrationControlVersion(ctx);
      const volume = await this.volumes.get(ctx.caller, volumeId);
      requireAdmin(ctx.caller, MigrationControlPolicy.setBandwidth);
      const bytesPerSecond = parseMigrateVolumeSetBandwidth({ 'os-migrate_volume_set_bandwidth': args });
      await this.bandwidths.set(volume.id, bytesPerSecond, ctx.requestId);
      return { status: 202 };
    });
  }
}
