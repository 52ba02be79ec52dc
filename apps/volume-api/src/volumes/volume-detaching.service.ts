import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { AVAILABLE_MIGRATION_STATUSES } from '@volume/domain';
import { LOGGER } from '@volume/platform';
import { OwnerPolicy, requireOwnerAdminOrService } from '../http/policy';
import { AuthedContext } from '../http/request-context';
import { VolumeActionsService } from './volume-actions.service';
import { beginDetachingOutcome } from '@volume/domain';
import { VolumesService } from './volumes.service';

const IDLE_MIGRATION = AVAILABLE_MIGRATION_STATUSES.filter((s): s is string => s !== null);

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

  /** in-use -> detaching in one conditional UPDATE, so that a racing migrate or detach loses. */
  async beginDetaching(ctx: AuthedContext, volumeId: string): Promise<void> {
    const volume = await this.volumes.get(ctx.caller, volumeId);
    requireOwnerAdminOrService(ctx.caller, volume.projectId, OwnerPolicy.beginDetaching);
    const [, affected]: [unknown, number] = await this.ds.query(
      `UPDATE volumes SET status = 'detaching', updated_at = now()
        WHERE id = $1 AND status = 'in-use' AND attach_status = 'attached'
          AND (migration_status IS NULL OR migration_status = ANY($2))`,
      [volumeId, IDLE_MIGRATION],
    );
    const outcome = beginDetachingOutcome(affected > 0, volume.migrationStatus);
    this.log.info({ reqId: ctx.requestId, volumeId, outcome }, 'begin detaching');
  }

  /** detaching -> in-use; any other status is left alone (Cinder's conditional update, no error). */
  async rollDetaching(ctx: AuthedContext, volumeId: string): Promise<void> {
    const volume = await this.volumes.get(ctx.caller, volumeId);
    requireOwnerAdminOrService(ctx.caller, volume.projectId, OwnerPolicy.rollDetaching);
    await this.ds.query(`UPDATE volumes SET status = 'in-use', updated_at = now() WHERE id = $1 AND status = 'detaching'`, [volumeId]);
  }
}
