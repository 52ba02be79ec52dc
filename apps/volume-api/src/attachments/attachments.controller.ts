import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { CodedError, ErrorCode } from '@volume/contracts';
import { NEW_ATTACH, NEW_ATTACH_COMPLETION } from '@volume/microversion';
import { type AuthedContext, Ctx } from '../http/request-context';
import { parseAttachmentAction, parseAttachmentCreate, parseAttachmentUpdate } from './attachment-requests';
import { attachmentDetail, attachmentSummary } from './attachment.view-builder';
import { AttachmentsService } from './attachments.service';

type ListQuery = Record<string, string | undefined>;

function requireVersion(ctx: AuthedContext, min: string): void {
  if (!ctx.version.gte(min)) throw new CodedError(ErrorCode.NotFound, 'The resource could not be found.');
}

@Controller('v3/attachments')
export class AttachmentsController {
  constructor(private readonly attachments: AttachmentsService) {}

  private async list(ctx: AuthedContext, q: ListQuery) {
    requireVersion(ctx, NEW_ATTACH);
    return this.attachments.list(ctx.caller, {
      allTenants: q.all_tenants !== undefined,
      volumeId: q.volume_id,
      instanceId: q.instance_id,
      status: q.status ?? q.attach_status,
    });
  }

  @Get()
  async index(@Ctx() ctx: AuthedContext, @Query() q: ListQuery) {
    return { attachments: (await this.list(ctx, q)).map(attachmentSummary) };
  }

  @Get('detail')
  async detail(@Ctx() ctx: AuthedContext, @Query() q: ListQuery) {
    return { attachments: (await this.list(ctx, q)).map(attachmentDetail) };
  }

  @Get(':id')
  async show(@Ctx() ctx: AuthedContext, @Param('id') id: string) {
    requireVersion(ctx, NEW_ATTACH);
    return { attachment: attachmentDetail(await this.attachments.get(ctx.caller, id)) };
  }

  @Post()
  @HttpCode(200)
  async create(@Ctx() ctx: AuthedContext, @Body() body: unknown) {
    requireVersion(ctx, NEW_ATTACH);
    const input = parseAttachmentCreate(body, ctx.version);
    return { attachment: attachmentDetail(await this.attachments.create(ctx.caller, input, ctx.requestId)) };
  }

  @Put(':id')
  async update(@Ctx() ctx: AuthedContext, @Param('id') id: string, @Body() body: unknown) {
    requireVersion(ctx, NEW_ATTACH);
    await this.attachments.get(ctx.caller, id);
    const connector = parseAttachmentUpdate(body);
    return { attachment: attachmentDetail(await this.attachments.connect(ctx.caller, id, connector, ctx.requestId)) };
  }

  @Delete(':id')
  async remove(@Ctx() ctx: AuthedContext, @Param('id') id: string) {
    requireVersion(ctx, NEW_ATTACH);
    return { attachments: (await this.attachments.delete(ctx.caller, id)).map(attachmentSummary) };
  }

  @Post(':id/action')
  @HttpCode(204)
  async action(@Ctx() ctx: AuthedContext, @Param('id') id: string, @Body() body: unknown) {
    requireVersion(ctx, NEW_ATTACH_COMPLETION);
    await this.attachments.get(ctx.caller, id);
    parseAttachmentAction(body);
    await this.attachments.complete(ctx.caller, id);
  }
}
