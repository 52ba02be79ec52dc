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
import { ComputeClient } from '../clients/compute.client';
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
/** How long a live answer outranks a lower persisted value (which trails it by up to a second). */
const RECENT_LIVE_MS = 5_000;
const PERCENT = /^\d+$/;
const IDLE_MIGRATION = AVAILABLE_MIGRATION_STATUSES.filter((s): s is string => s !== null);

/** The admin's volume actions of Cinder's admin_actions extension: migrate and reset-status. */
@Injectable()
export class VolumeAdminActionsService implements OnModuleInit {
  private readonly progressCache = new Map<string, { at: number; value: Promise<string | null> }>();
  private readonly recentLive = new Map<string, { at: number; value: string }>();

  constructor(
    private readonly ds: DataSource,
    private readonly actions: VolumeActionsService,
    private readonly volumes: VolumesService,
    private readonly scheduler: SchedulerClient,
    private readonly workers: WorkerClient,
    private readonly compute: ComputeClient,
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
   * An in-use volume keeps its status (lock_volume only locks an available one): the guest goes on
   * using it while the compute side swaps it (docs/attached-volume-migration.md).
   */
  async migrate(ctx: AuthedContext, volumeId: string, args: unknown): Promise<void> {
    const volume = await this.volumes.get(ctx.caller, volumeId);
    requireAdmin(ctx.caller, AdminPolicy.migrateVolume);
    const version = ctx.version.toString();
    const params = parseMigrateVolume({ 'os-migrate_volume': args }, version);
    const target = migrationRequestTarget(params, version);
    const destHost = 'host' in target ? target.host : target.cluster;
    await this.requireVolumeService(destHost, 'cluster' in target);
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
   * The progress source of 3.72: for an in-use volume the compute side swapping it (nova-bridge), else
   * the worker running the copy, asked with a short budget; when it does not answer (or answers
   * null), the value last persisted.
   */
  async migrationProgress(ctx: AuthedContext, volume: VolumeEntity): Promise<string | null> {
    if (!showsMigrationProgress(ctx, volume)) return null;
    const budget = this.config.MIGRATION_PROGRESS_TIMEOUT_MS;
    const host = volume.host;
    let live: Promise<string | null> | null = null;
    if (volume.previousStatus === 'in-use') {
      live = this.shared(volume.id, () => this.compute.swapProgress(volume.id, budget, ctx.requestId));
    } else if (host) {
      live = this.shared(volume.id, () => this.workers.migrationProgress(host, volume.id, budget, ctx.requestId));
    }
    const answered = await live;
    if (answered) {
      this.recentLive.set(volume.id, { at: Date.now(), value: answered });
      prune(this.recentLive, RECENT_LIVE_MS);
      return answered;
    }
    return this.notBelowRecent(volume.id, volume.migrationProgress);
  }

  /**
   * The persisted percent trails the live one by up to a second: when a live answer is missed, the
   * field must not go below what this API showed moments ago (progress never goes backwards).
   */
  private notBelowRecent(volumeId: string, persisted: string | null): string | null {
    const recent = this.recentLive.get(volumeId);
    if (!recent || Date.now() - recent.at > RECENT_LIVE_MS) return persisted;
    if (persisted === null) return recent.value;
    if (PERCENT.test(persisted) && PERCENT.test(recent.value)) return String(Math.max(Number(persisted), Number(recent.value)));
    return persisted;
  }

  /**
   * Many admins (or one polling hard) must not slow the copy they watch: concurrent and closely
   * following GETs of one volume share a single request for PROGRESS_TTL_MS.
   */
  private shared(volumeId: string, ask: () => Promise<{ progress: string | null }>): Promise<string | null> {
    const now = Date.now();
    const cached = this.progressCache.get(volumeId);
    if (cached && now - cached.at < PROGRESS_TTL_MS) return cached.value;
    const value = ask()
      .then((live) => live.progress)
      .catch((err) => {
        this.log.debug({ err, volumeId }, 'live migration progress unavailable; using the persisted value');
        return null;
      });
    this.progressCache.set(volumeId, { at: now, value });
    prune(this.progressCache, PROGRESS_TTL_MS);
    return value;
  }
}

/** Keeps a per-volume map small: past 10 000 entries, the expired ones go. */
function prune(map: Map<string, { at: number }>, ttlMs: number): void {
  if (map.size <= 10_000) return;
  const now = Date.now();
  for (const [id, entry] of map) if (now - entry.at >= ttlMs) map.delete(id);
}
