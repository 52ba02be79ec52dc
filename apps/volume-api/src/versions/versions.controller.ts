import { Controller, Get, HttpCode, Redirect } from '@nestjs/common';
import { buildVersionsDocument } from '@volume/microversion';
import { Ctx, RequestContext } from '../http/request-context';

@Controller()
export class VersionsController {
  /** Discovery (cinderclient reads it first); no auth; 300 as Cinder. */
  @Get()
  @HttpCode(300)
  all(@Ctx() ctx: RequestContext) {
    return buildVersionsDocument(ctx.baseUrl);
  }

  @Get('v3')
  @Redirect('/v3/', 302)
  v3NoSlash() {
    return undefined;
  }

  @Get('v3/')
  index(@Ctx() ctx: RequestContext) {
    return buildVersionsDocument(ctx.baseUrl);
  }
}
