import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { checkQuotaSetTarget, getBoolParam, parseQuotaSetUpdate } from '@volume/api-dtos';
import { authorize } from '../http/policy';
import { type AuthedContext, Ctx } from '../http/request-context';
import { lastValues, type QueryParams } from '../query-params';
import { quotaLimitsView, quotaUsageView } from './quota-set.view-builder';
import { QuotaSetsService } from './quota-sets.service';

/** Cinder's rules (cinder/policies/quotas.py): show is admin or owner, update and delete admin only. */
export const QuotaPolicy = {
  show: 'volume_extension:quotas:show',
  update: 'volume_extension:quotas:update',
  delete: 'volume_extension:quotas:delete',
} as const;

/** Cinder's os-quota-sets extension, each step in Cinder's order. */
@Controller('v3')
export class QuotaSetsController {
  constructor(private readonly quotas: QuotaSetsService) {}

  @Get('os-quota-sets/:target')
  async show(@Ctx() ctx: AuthedContext, @Param('target') target: string, @Query() query: QueryParams) {
    authorize(ctx.caller, QuotaPolicy.show, { project_id: target });
    const withUsage = getBoolParam('usage', lastValues(query));
    const { limits, usage } = await this.quotas.show(target);
    return { quota_set: { ...(withUsage ? quotaUsageView(limits, usage) : quotaLimitsView(limits)), id: target } };
  }

  @Get('os-quota-sets/:target/defaults')
  defaults(@Ctx() ctx: AuthedContext, @Param('target') target: string) {
    authorize(ctx.caller, QuotaPolicy.show, { project_id: target });
    return { quota_set: { ...quotaLimitsView(this.quotas.defaults), id: target } };
  }

  /** The body is judged before the policy, as Cinder's schema decorator runs first; the answer has no `id`. */
  @Put('os-quota-sets/:target')
  async update(@Ctx() ctx: AuthedContext, @Param('target') target: string, @Body() body: unknown) {
    const changes = parseQuotaSetUpdate(body);
    authorize(ctx.caller, QuotaPolicy.update, { project_id: target });
    checkQuotaSetTarget(target);
    return { quota_set: quotaLimitsView(await this.quotas.update(target, changes)) };
  }

  @Delete('os-quota-sets/:target')
  @HttpCode(200)
  async delete(@Ctx() ctx: AuthedContext, @Param('target') target: string): Promise<void> {
    authorize(ctx.caller, QuotaPolicy.delete, { project_id: target });
    await this.quotas.delete(target);
  }
}
