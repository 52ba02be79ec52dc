import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { AdminPolicy, authorize, isContextAdmin, requireAdmin, TypePolicy } from '../http/policy';
import { type AuthedContext, Ctx } from '../http/request-context';
import { queryValue, type QueryParams } from '../query-params';
import { parseCreateVolumeTypeRequest, parseIsPublicFilter } from './volume-type.request';
import { volumeTypeView } from './volume-type.view-builder';
import { VolumeTypesService } from './volume-types.service';

/** Cinder's `types` resource with the types-manage and type-access extensions. */
@Controller('v3')
export class TypesController {
  constructor(private readonly types: VolumeTypesService) {}

  @Get('types')
  async index(@Ctx() ctx: AuthedContext, @Query() query: QueryParams) {
    authorize(ctx.caller, TypePolicy.getAll);
    // Only admins (context.is_admin) may filter; members always get the public types.
    const isPublic = isContextAdmin(ctx.caller) ? parseIsPublicFilter(queryValue(query, 'is_public')) : true;
    const types = await this.types.list(ctx.caller, isPublic);
    return { volume_types: types.map((t) => volumeTypeView(ctx.caller, t, { withAccessFlag: true })) };
  }

  @Get('types/default')
  async showDefault(@Ctx() ctx: AuthedContext) {
    authorize(ctx.caller, TypePolicy.get);
    return { volume_type: volumeTypeView(ctx.caller, await this.types.getDefault(), { withAccessFlag: false }) };
  }

  @Get('types/:id')
  async show(@Ctx() ctx: AuthedContext, @Param('id') id: string) {
    authorize(ctx.caller, TypePolicy.get);
    return { volume_type: volumeTypeView(ctx.caller, await this.types.get(ctx.caller, id), { withAccessFlag: true }) };
  }

  /** Cinder validates the body before it checks the policy, so a member's bad body is a 400. */
  @Post('types')
  @HttpCode(200)
  async create(@Ctx() ctx: AuthedContext, @Body() body: unknown) {
    const input = parseCreateVolumeTypeRequest(body);
    requireAdmin(ctx.caller, AdminPolicy.createType);
    return { volume_type: volumeTypeView(ctx.caller, await this.types.create(input), { withAccessFlag: true }) };
  }

  @Delete('types/:id')
  @HttpCode(202)
  async delete(@Ctx() ctx: AuthedContext, @Param('id') id: string): Promise<void> {
    requireAdmin(ctx.caller, AdminPolicy.typeDelete);
    await this.types.delete(ctx.caller, id);
  }
}
