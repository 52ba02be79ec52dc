import { randomUUID } from 'node:crypto';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { CodedError, ErrorCode } from '@volume/contracts';
import {
  AVAILABLE_MIGRATION_STATUSES,
  checkResetStatus,
  extractHost,
  migrationRefusalMessage,
  migrationRequestTarget,
  parseMigrateVolume,
  parseResetStatus,
} from '@volume/domain';
import { LOGGER } from '@volume/platform';
import { endMigrationWithError, VolumeAttachmentEntity, VolumeEntity, VolumeMigrationEntity } from '@volume/persistence';
import { API_CONFIG } from '../api-config.token';
import { SchedulerClient } from '../clients/scheduler.client';
import { WorkerClient } from '../clients/worker.client';
import { ApiConfig } from '../config';
import { AdminPolicy, requireAdmin } from '../http/policy';
import { AuthedContext } from '../http/request-context';
import { VolumeActionsService } from './volume-actions.service';
import { showsMigrationProgress } from './volume.view-builder';
import { VolumesService } from './volumes.service';

const GIB = 1024 ** 3;
/** How long one live answer serves the GETs of a volume: fresh to the eye, cheap for the worker. */
const PROGRESS_TTL_MS = 250;
const IDLE_MIGRATION = AVAILABLE_MIGRATION_STATUSES.filter((s): s is string => s !== null);

/** The admin's volume actions of Cinder's admin_actions extension: migrate and reset-status. */
@Injectable()
export class VolumeAdminActionsService implements OnModuleInit {
  private readonly progressCache = new Map<string, { at: number; value: Promise<string | null> }>();

  constructor(
    private readonly ds: DataSource,
    private readonly actions: VolumeActionsService,
    private readonly volumes: VolumesService,
    private readonly scheduler: SchedulerClient,
    private readonly workers: WorkerClient,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onModuleInit(): void {
    this.actions.register('os-migrate_volume', async (ctx, id, args) => {
      await this.migrate(ctx, id, args);
      return { status: 202 };
    });
    this.actions.register('os-reset_status', async (ctx, id, args) => {
      await this.resetStatus(ctx, id, args);
      return { status: 202 };
    });
  }

  /**
   * Cinder's order: find the volume (404), policy (403), body (400), destination service (400),
   * then one conditional UPDATE that decides between racing requests; the scheduler takes it from there.
   */
  async migrate(ctx: AuthedContext, volumeId: string, args: unknown): Promise<void> {
    const volume = await this.volumes.get(ctx.caller, volumeId);
    requireAdmin(ctx.caller, AdminPolicy.migrateVolume);
    const version = ctx.version.toString();
    const params = parseMigrateVolume({ 'os-migrate_volume': args }, version);
    const target = migrationRequestTarget(params, version);
    const destHost = 'host' in target ? target.host : target.cluster;
    await this.requireVolumeService(destHost, 'cluster' in target);
    if (volume.status === 'in-use') {
      throw new CodedError(
        ErrorCode.InvalidVolume,
        'Invalid volume: Migrating an attached (in-use) volume is not supported yet; detach it first.',
      );
    }

    const migrationId = randomUUID();
    await this.ds.transaction(async (em) => {
      const [, affected]: [unknown, number] = await em.query(
        `UPDATE volumes
            SET migration_status = 'starting', previous_status = status, migration_progress = NULL,
                status = CASE WHEN $3 AND status = 'available' THEN 'maintenance' ELSE status END,
                updated_at = now()
          WHERE id = $1
            AND status IN ('available', 'in-use')
            AND (migration_status IS NULL OR migration_status = ANY($4))
            AND (replication_status IS NULL OR replication_status IN ('disabled', 'not-capable'))
            AND consistencygroup_id IS NULL AND group_id IS NULL
            AND host IS DISTINCT FROM $2`,
        [volumeId, destHost, params.lockVolume, IDLE_MIGRATION],
      );
      if (!affected) throw new CodedError(ErrorCode.InvalidVolume, migrationRefusalMessage(volumeId));
      const now = new Date();
      await em.getRepository(VolumeMigrationEntity).insert({
        id: migrationId,
        volumeId,
        sourceHost: volume.host ?? '',
        destHost,
        status: 'starting',
        forceHostCopy: params.forceHostCopy,
        lockVolume: params.lockVolume,
        bytesTotal: volume.size * GIB,
        bytesDone: 0,
        startedAt: now,
        updatedAt: now,
      });
    });
    this.log.info({ reqId: ctx.requestId, volumeId, migrationId, destHost }, 'migration accepted');
    try {
      await this.scheduler.scheduleMigration(
        { migrationId, volumeId, destHost, forceHostCopy: params.forceHostCopy },
        ctx.requestId,
      );
    } catch (err) {
      // Nobody took it: end it now, as the scheduler would have, so nothing stays `starting`.
      this.log.error({ err, reqId: ctx.requestId, volumeId, migrationId }, 'no scheduler took the migration');
      await this.failMigration(migrationId, volumeId, `scheduler unavailable: ${(err as Error).message}`);
    }
  }

  /** Cinder: `Service.get_by_id(host=extract_host(host, 'backend'), topic='cinder-volume', is_up=True, disabled=False)`. */
  private async requireVolumeService(dest: string, isCluster: boolean): Promise<void> {
    const backend = isCluster ? null : extractHost(dest, 'backend');
    const rows = backend
      ? await this.ds.query(
          `SELECT 1 FROM services
            WHERE host = $1 AND "binary" = 'cinder-volume' AND NOT disabled
              AND updated_at > now() - make_interval(secs => $2)`,
          [backend, this.config.SERVICE_DOWN_TIME_S],
        )
      : [];
    if (rows.length === 0) throw new CodedError(ErrorCode.InvalidHost, `Invalid host: No available service named '${dest}'`);
  }

  private async failMigration(migrationId: string, volumeId: string, error: string): Promise<void> {
    await this.ds.transaction((em) => endMigrationWithError(em, { migrationId, volumeId, error }));
  }

  /** The admin's escape hatch (Cinder's os-reset_status): sets what it is told, nothing else. */
  async resetStatus(ctx: AuthedContext, volumeId: string, args: unknown): Promise<void> {
    const volume = await this.volumes.get(ctx.caller, volumeId);
    requireAdmin(ctx.caller, AdminPolicy.resetStatus);
    const update = parseResetStatus({ 'os-reset_status': args });
    checkResetStatus(update, { hasAttachments: (volume.attachments ?? []).length > 0 });
    await this.ds.transaction(async (em) => {
      const changes: Partial<VolumeEntity> = { updatedAt: new Date() };
      if (update.status !== undefined) changes.status = update.status;
      if (update.attachStatus !== undefined) changes.attachStatus = update.attachStatus;
      if (update.migrationStatus !== undefined) {
        changes.migrationStatus = update.migrationStatus;
        changes.migrationProgress = null;
      }
      await em.getRepository(VolumeEntity).update({ id: volumeId }, changes);
      if (update.attachStatus === 'detached') await em.getRepository(VolumeAttachmentEntity).delete({ volumeId });
      if (update.migrationStatus !== undefined && update.migrationStatus !== 'migrating') {
        // A worker still copying sees the volume is no longer `migrating` at its next checkpoint and stops.
        await em.query(
          `UPDATE volume_migrations SET status = 'error', error = 'reset by an admin (os-reset_status)',
                  finished_at = now(), updated_at = now()
            WHERE volume_id = $1 AND status NOT IN ('success', 'error')`,
          [volumeId],
        );
      }
    });
    this.log.info({ reqId: ctx.requestId, volumeId, update }, 'volume status reset');
  }

  /**
   * The progress source of 3.72: the worker running the copy, asked with a short budget; when it
   * does not answer, the value it last persisted.
   */
  async migrationProgress(ctx: AuthedContext, volume: VolumeEntity): Promise<string | null> {
    if (!showsMigrationProgress(ctx, volume) || !volume.host) return null;
    return (await this.liveProgress(volume.host, volume.id, ctx.requestId)) ?? volume.migrationProgress;
  }

  /**
   * Many admins (or one polling hard) must not slow the copy they watch: concurrent and closely
   * following GETs of one volume share a single request to the worker for PROGRESS_TTL_MS.
   */
  private liveProgress(host: string, volumeId: string, requestId: string): Promise<string | null> {
    const now = Date.now();
    const cached = this.progressCache.get(volumeId);
    if (cached && now - cached.at < PROGRESS_TTL_MS) return cached.value;
    const value = this.workers
      .migrationProgress(host, volumeId, this.config.MIGRATION_PROGRESS_TIMEOUT_MS, requestId)
      .then((live) => live.progress)
      .catch((err) => {
        this.log.debug({ err, volumeId }, 'live migration progress unavailable; using the persisted value');
        return null;
      });
    this.progressCache.set(volumeId, { at: now, value });
    if (this.progressCache.size > 10_000) {
      for (const [id, entry] of this.progressCache) if (now - entry.at >= PROGRESS_TTL_MS) this.progressCache.delete(id);
    }
    return value;
  }
}
