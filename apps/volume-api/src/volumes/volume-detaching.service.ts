import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { beginDetachingOutcome } from '@volume/domain';
import { LOGGER } from '@volume/platform';
import { beginDetaching, rollDetaching } from '@volume/persistence';
import { OwnerPolicy, requireOwnerAdminOrService } from '../http/policy';
import { AuthedContext } from '../http/request-context';
import { VolumeActionsService } from './volume-actions.service';
import { VolumesService } from './volumes.service';

/**
 * os-begin_detaching and os-roll_detaching, the volume actions Nova brackets a detach (or a swap)
 * with. Cinder reads no schema for either: any value of the action key is accepted.
 */
@Injectable()
export class VolumeDetachingService implements OnModuleInit {
  constructor(
    private readonly ds: DataSource,
    private readonly actions: VolumeActionsService,
    private readonly volumes: VolumesService,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onModuleInit(): void {
    this.actions.register('os-begin_detaching', async (ctx, id) => {
      await this.beginDetaching(ctx, id);
      return { status: 202 };
    });
    this.actions.register('os-roll_detaching', async (ctx, id) => {
      await this.rollDetaching(ctx, id);
      return { status: 202 };
    });
  }

  /** in-use -> detaching (see the transition); a migrating volume keeps its status, as Cinder's. */
  async beginDetaching(ctx: AuthedContext, volumeId: string): Promise<void> {
    const volume = await this.volumes.get(ctx.caller, volumeId);
    requireOwnerAdminOrService(ctx.caller, volume.projectId, OwnerPolicy.beginDetaching);
    const outcome = beginDetachingOutcome(await beginDetaching(this.ds.manager, volumeId), volume.migrationStatus);
    this.log.info({ reqId: ctx.requestId, volumeId, outcome }, 'begin detaching');
  }

  /** detaching -> in-use; any other status is left alone, with no error. */
  async rollDetaching(ctx: AuthedContext, volumeId: string): Promise<void> {
    const volume = await this.volumes.get(ctx.caller, volumeId);
    requireOwnerAdminOrService(ctx.caller, volume.projectId, OwnerPolicy.rollDetaching);
    await rollDetaching(this.ds.manager, volumeId);
  }
}
