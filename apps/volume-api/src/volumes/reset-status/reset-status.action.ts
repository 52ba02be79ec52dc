import { Injectable, OnModuleInit } from '@nestjs/common';
import { parseResetStatus } from '@volume/api-dtos';
import { AdminPolicy, requireAdmin } from '../../http/policy';
import { VolumeActionsService } from '../volume-actions.service';
import { VolumesService } from '../volumes.service';
import { ResetStatusService } from './reset-status.service';

/** os-reset_status, checked in Cinder's order: the volume (404), policy (403), the body (400). */
@Injectable()
export class ResetStatusAction implements OnModuleInit {
  constructor(
    private readonly actions: VolumeActionsService,
    private readonly volumes: VolumesService,
    private readonly service: ResetStatusService,
  ) {}

  onModuleInit(): void {
    this.actions.register('os-reset_status', async (ctx, volumeId, args) => {
      const volume = await this.volumes.get(ctx.caller, volumeId);
      requireAdmin(ctx.caller, AdminPolicy.resetStatus);
      const update = parseResetStatus({ 'os-reset_status': args });
      await this.service.reset(volume.id, update, ctx.requestId);
      return { status: 202 };
    });
  }
}
