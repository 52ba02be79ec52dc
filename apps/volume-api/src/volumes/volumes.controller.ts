import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query, Res } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { CodedError, ErrorCode } from '@volume/contracts';
import { VOLUME_SUMMARY, VOLUME_SUMMARY_METADATA } from '@volume/microversion';
import { API_CONFIG } from '../api-config.token';
import type { ApiConfig } from '../config';
import { authorize, isContextAdmin, VolumePolicy, volumeTarget } from '../http/policy';
import { nextPageLinks } from '../next-page-link';
import { VolumeTypesService } from '../types/volume-types.service';
import { type AuthedContext, Ctx } from '../http/request-context';
import { VolumeActionsService } from './volume-actions.service';
import { MigrationProgressService } from './migration-progress/migration-progress.service';
import { parseCreateRequest, parseListRequest, parseUpdateRequest, type QueryParams } from './volume-requests';
import { volumeDetail, volumeSummary } from './volume.view-builder';
import { VolumesService } from './volumes.service';
import { VolumeReadCache } from './volume-read-cache';

/** Cinder's resource-not-found answer for a route that exists only from a later microversion. */
function versionNotFound(): CodedError {
  return new CodedError(ErrorCode.NotFound, 'The resource could not be found.');
}

@Controller('v3/volumes')
export class VolumesController {
  constructor(
    private readonly volumes: VolumesService,
    private readonly actions: VolumeActionsService,
    private readonly progress: MigrationProgressService,
    private readonly types: VolumeTypesService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly reads: VolumeReadCache,
  ) {}

  @Get()
  index(@Ctx() ctx: AuthedContext, @Query() query: QueryParams) {
    return this.list(ctx, query, false);
  }

  @Get('detail')
  detail(@Ctx() ctx: AuthedContext, @Query() query: QueryParams) {
    return this.list(ctx, query, true);
  }

  private async list(ctx: AuthedContext, query: QueryParams, detail: boolean) {
    const spec = await parseListRequest(query, ctx, this.config.OSAPI_MAX_LIMIT);
    authorize(ctx.caller, VolumePolicy.getAll);
    const { items, count } = await this.volumes.list(ctx.caller, spec);
    const body: Record<string, unknown> = {
      volumes: items.map((v) => (detail ? volumeDetail(ctx, v, { withExtensions: true }) : volumeSummary(ctx, v))),
    };
    const next = nextPageLinks(ctx, detail ? 'volumes/detail' : 'volumes', query, {
      lastId: items.at(-1)?.id,
      limit: spec.limit,
      itemCount: count ?? items.length,
    });
    if (next) body.volumes_links = next;
    if (count !== undefined) body.count = count;
    return body;
  }

  @Get('summary')
  async summary(@Ctx() ctx: AuthedContext, @Query('all_tenants') allTenants?: string) {
    if (!ctx.version.gte(VOLUME_SUMMARY)) throw versionNotFound();
    authorize(ctx.caller, VolumePolicy.getAll);
    const s = await this.volumes.summary(ctx.caller, isContextAdmin(ctx.caller) && allTenants !== undefined && allTenants !== '0');
    const out: Record<string, unknown> = { total_count: s.count, total_size: s.size };
    if (ctx.version.gte(VOLUME_SUMMARY_METADATA)) out.metadata = s.metadata;
    return { 'volume-summary': out };
  }

  /** GET /v3/volumes/{id}: routed by Fastify itself (show-volume.route.ts), not by Nest; read through the cache. */
  async show(ctx: AuthedContext, id: string) {
    const v = await this.volumes.get(ctx.caller, id, this.reads);
    const migrationProgress = await this.progress.migrationProgress(ctx, v);
    return { volume: volumeDetail(ctx, v, { withExtensions: true, migrationProgress }) };
  }

  @Post()
  @HttpCode(202)
  async create(@Ctx() ctx: AuthedContext, @Body() body: unknown) {
    const input = await parseCreateRequest(body, ctx, this.types);
    authorize(ctx.caller, VolumePolicy.create);
    const v = await this.volumes.create(ctx.caller, input, ctx.requestId);
    return { volume: volumeDetail(ctx, v, { withExtensions: false }) };
  }

  @Put(':id')
  async update(@Ctx() ctx: AuthedContext, @Param('id') id: string, @Body() body: unknown) {
    const current = await this.volumes.get(ctx.caller, id);
    const input = parseUpdateRequest(body, ctx);
    authorize(ctx.caller, VolumePolicy.update, volumeTarget(current));
    const v = await this.volumes.update(ctx.caller, id, input);
    return { volume: volumeDetail(ctx, v, { withExtensions: false }) };
  }

  @Delete(':id')
  @HttpCode(202)
  async remove(@Ctx() ctx: AuthedContext, @Param('id') id: string) {
    // Cinder's order: the volume (404), then the policy against it (403).
    authorize(ctx.caller, VolumePolicy.delete, volumeTarget(await this.volumes.get(ctx.caller, id)));
    await this.volumes.delete(ctx.caller, id, ctx.requestId);
  }

  @Post(':id/action')
  async action(
    @Ctx() ctx: AuthedContext,
    @Param('id') id: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const result = await this.actions.dispatch(ctx, id, body);
    reply.code(result.status);
    return result.body;
  }
}
