import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { CodedError, ErrorCode } from '@volume/contracts';
import { VOLUME_MIGRATIONS } from '@volume/microversion';
import { API_CONFIG } from '../api-config.token';
import type { ApiConfig } from '../config';
import { authorize, isContextAdmin } from '../http/policy';
import { type AuthedContext, Ctx } from '../http/request-context';
import { nextPageLinks } from '../next-page-link';
import type { QueryParams } from '../query-params';
import { LiveMigrationFigures } from './live-migration-figures.service';
import { estimateView, MigrationEstimateService } from './migration-estimate.service';
import { parseMigrationListQuery } from './volume-migration-query';
import { MigrationViewClock, volumeMigrationView } from './volume-migration.view-builder';
import { VolumeMigrationsRepository } from './volume-migrations.repository';

/** Admin APIs by default (`rule:admin_api`); a POLICY_FILE may open them, each caller then seeing its own project's. */
export const VolumeMigrationPolicy = {
  index: 'volume_extension:volume_migrations:index',
  show: 'volume_extension:volume_migrations:show',
  estimate: 'volume_extension:volume_migrations:estimate',
} as const;

/**
 * Migrations as a resource (3.73): the history and the running ones. Below 3.73 the routes do not
 * exist, which Cinder answers 404 "The resource could not be found." before any policy.
 */
@Controller('v3/volume-migrations')
export class VolumeMigrationsController {
  constructor(
    private readonly migrations: VolumeMigrationsRepository,
    private readonly live: LiveMigrationFigures,
    private readonly estimates: MigrationEstimateService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get()
  async index(@Ctx() ctx: AuthedContext, @Query() query: QueryParams) {
    requireVersion(ctx);
    authorize(ctx.caller, VolumeMigrationPolicy.index);
    const q = parseMigrationListQuery(query, ctx, this.config.OSAPI_MAX_LIMIT);
    const { items, count } = await this.migrations.list(q);
    const clock = this.clock();
    const body: Record<string, unknown> = { volume_migrations: items.map((r) => volumeMigrationView(r, { kind: 'persisted' }, clock)) };
    const next = nextPageLinks(ctx, 'volume-migrations', query, { lastId: items.at(-1)?.row.id, limit: q.limit, itemCount: count ?? items.length });
    if (next) body.volume_migrations_links = next;
    if (count !== undefined) body.count = count;
    return body;
  }

  @Get(':id')
  async show(@Ctx() ctx: AuthedContext, @Param('id') id: string) {
    requireVersion(ctx);
    authorize(ctx.caller, VolumeMigrationPolicy.show);
    const record = await this.migrations.get(id, isContextAdmin(ctx.caller) ? null : ctx.caller.projectId);
    const figures = await this.live.of(record.row, ctx.requestId);
    return { volume_migration: volumeMigrationView(record, figures, this.clock()) };
  }

  /** Issue 14 §2: how long a migration of the volume to `host` would take, before it is started. */
  @Post('estimate')
  @HttpCode(200)
  async estimate(@Ctx() ctx: AuthedContext, @Body() body: unknown) {
    requireVersion(ctx);
    authorize(ctx.caller, VolumeMigrationPolicy.estimate);
    return estimateView(await this.estimates.estimate(ctx, body));
  }

  private clock(): MigrationViewClock {
    return { now: new Date(), stallWarnMs: this.config.MIGRATION_STALL_WARN_S * 1000 };
  }
}

/** Below 3.73 the resource, its events included, does not exist. */
export function requireVersion(ctx: AuthedContext): void {
  if (!ctx.version.gte(VOLUME_MIGRATIONS)) throw new CodedError(ErrorCode.NotFound, 'The resource could not be found.');
}
