import { Injectable, OnModuleInit } from '@nestjs/common';
import { migrationRequestTarget, parseMigrateVolume } from '@volume/api-dtos';
import { AdminPolicy, requireAdmin } from '../../http/policy';
import { VolumeActionsService } from '../volume-actions.service';
import { VolumesService } from '../volumes.service';
import { MigrateVolumeService } from './migrate-volume.service';

/** os-migrate_volume, checked in Cinder's order: the volume (404), policy (403), the body (400). */
@Injectable()
export class MigrateVolumeAction implements OnModuleInit {
  constructor(
    private readonly actions: VolumeActionsService,
    private readonly volumes: VolumesService,
    private readonly service: MigrateVolumeService,
  ) {}

  onModuleInit(): void {
    this.actions.register('os-migrate_volume', async (ctx, volumeId, args) => {
      const volume = await this.volumes.get(ctx.caller, volumeId);
      requireAdmin(ctx.caller, AdminPolicy.migrateVolume);
      const version = ctx.version.toString();
      const params = parseMigrateVolume({ 'os-migrate_volume': args }, version);
      await this.service.migrate({
        volumeId: volume.id,
        target: migrationRequestTarget(params, version),
        forceHostCopy: params.forceHostCopy,
        lockVolume: params.lockVolume,
        bandwidthBytesPerSecond: params.bandwidthBytesPerSecond,
        requestId: ctx.requestId,
      });
      return { status: 202 };
    });
  }
}
