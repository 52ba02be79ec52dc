import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { ApiVersion } from '@volume/microversion';
import { Caller } from '@volume/auth';

/** What the request hooks learned about a request before any controller runs. */
export interface RequestContext {
  requestId: string;
  /** Negotiated microversion (3.0 for `GET /` without a header too). */
  version: ApiVersion;
  /** Set on /v3 routes; absent on the unauthenticated version document and health probes. */
  caller?: Caller;
  /** The project id the URL carried (`/v3/{project_id}/...`), if any: links repeat it. */
  urlProjectId?: string;
  /** scheme://host[:port][/prefix] that links start with. */
  baseUrl: string;
}

/** A request that passed auth: controllers under /v3 always receive this. */
export interface AuthedContext extends RequestContext {
  caller: Caller;
}

declare module 'fastify' {
  interface FastifyRequest {
    ctx: RequestContext;
  }
}

export const Ctx = createParamDecorator((_data: unknown, ec: ExecutionContext): RequestContext => {
  return ec.switchToHttp().getRequest<FastifyRequest>().ctx;
});
