import { Controller, Get, Query } from '@nestjs/common';
import { AdminPolicy, requireAdmin } from '../http/policy';
import { type AuthedContext, Ctx } from '../http/request-context';
import { queryValue, type QueryParams } from '../query-params';
import { serviceView } from './service.view-builder';
import { ServicesService } from './services.service';

/** Cinder's `os-services` index, for admins. */
@Controller('v3')
export class ServicesController {
  constructor(private readonly services: ServicesService) {}

  @Get('os-services')
  async index(@Ctx() ctx: AuthedContext, @Query() query: QueryParams) {
    requireAdmin(ctx.caller, AdminPolicy.listServices);
    const services = await this.services.list({ host: queryValue(query, 'host'), binary: queryValue(query, 'binary') });
    return { services: services.map((s) => serviceView(ctx.version, s)) };
  }
}
