import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { CodedError, ErrorCode } from '@volume/contracts';
import { AdminPolicy, authorize, requireAdmin, TypePolicy } from '../http/policy';
import { type AuthedContext, Ctx } from '../http/request-context';
import { extraSpecsOf, visibleExtraSpecs } from './extra-specs';
import { parseCreateExtraSpecsRequest, parseUpdateExtraSpecRequest } from './volume-type.request';
import { VolumeTypesService } from './volume-types.service';

/** Cinder's extra spec policies: reading is the readers', writing the admins' (by default). */
const ExtraSpecsPolicy = {
  index: TypePolicy.extraSpecsIndex,
  show: TypePolicy.extraSpecsShow,
  create: AdminPolicy.extraSpecs,
  update: TypePolicy.extraSpecsUpdate,
  delete: TypePolicy.extraSpecsDelete,
} as const;

/**
 * Cinder's `types/{type_id}/extra_specs` resource. The order of checks is Cinder's: body schema,
 * policy, "in use", then the type itself; deleting looks the type up before the policy.
 */
@Controller('v3')
export class TypeExtraSpecsController {
  constructor(private readonly types: VolumeTypesService) {}

  @Get('types/:typeId/extra_specs')
  async index(@Ctx() ctx: AuthedContext, @Param('typeId') typeId: string) {
    authorize(ctx.caller, ExtraSpecsPolicy.index);
    const type = await this.types.get(ctx.caller, typeId);
    return { extra_specs: visibleExtraSpecs(ctx.caller, extraSpecsOf(type)) };
  }

  /** Answers with the body as sent, as Cinder does. */
  @Post('types/:typeId/extra_specs')
  @HttpCode(200)
  async create(@Ctx() ctx: AuthedContext, @Param('typeId') typeId: string, @Body() body: unknown) {
    const specs = parseCreateExtraSpecsRequest(body);
    requireAdmin(ctx.caller, ExtraSpecsPolicy.create);
    await this.types.mergeExtraSpecs(ctx.caller, typeId, specs);
    return { extra_specs: specs };
  }

  @Get('types/:typeId/extra_specs/:key')
  async show(@Ctx() ctx: AuthedContext, @Param('typeId') typeId: string, @Param('key') key: string) {
    authorize(ctx.caller, ExtraSpecsPolicy.show);
    const type = await this.types.get(ctx.caller, typeId);
    const specs = visibleExtraSpecs(ctx.caller, extraSpecsOf(type));
    if (!Object.hasOwn(specs, key)) {
      throw new CodedError(ErrorCode.NotFound, `Volume Type ${typeId} has no extra specs with key ${key}.`);
    }
    return { [key]: specs[key] };
  }

  /** Answers with the body as sent, as Cinder does. */
  @Put('types/:typeId/extra_specs/:key')
  async update(@Ctx() ctx: AuthedContext, @Param('typeId') typeId: string, @Param('key') key: string, @Body() body: unknown) {
    const spec = parseUpdateExtraSpecRequest(body);
    requireAdmin(ctx.caller, ExtraSpecsPolicy.update);
    await this.types.updateExtraSpec(ctx.caller, typeId, key, spec);
    return spec;
  }

  @Delete('types/:typeId/extra_specs/:key')
  @HttpCode(202)
  async delete(@Ctx() ctx: AuthedContext, @Param('typeId') typeId: string, @Param('key') key: string): Promise<void> {
    const type = await this.types.get(ctx.caller, typeId);
    requireAdmin(ctx.caller, ExtraSpecsPolicy.delete);
    await this.types.deleteExtraSpec(type, key);
  }
}
