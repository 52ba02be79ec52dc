import { Controller, Get, Query } from '@nestjs/common';
import { AdminPolicy, requireAdmin } from '../http/policy';
import { type AuthedContext, Ctx } from '../http/request-context';
import type { QueryParams } from '../query-params';
import { parsePoolQuery } from './pool-query';
import { poolsView } from './pool.view-builder';
import { PoolsService } from './pools.service';

/** Cinder's scheduler-stats extension: what the scheduler knows about backend pools, for admins. */
@Controller('v3')
export class SchedulerStatsController {
  constructor(private readonly pools: PoolsService) {}

  @Get('scheduler-stats/get_pools')
  async getPools(@Ctx() ctx: AuthedContext, @Query() query: QueryParams) {
    requireAdmin(ctx.caller, AdminPolicy.getPools);
    const poolQuery = parsePoolQuery(query, ctx.version);
    return poolsView(await this.pools.list(ctx.caller, poolQuery), poolQuery.detail);
  }
}
