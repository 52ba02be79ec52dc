import { RequestContext } from './request-context';

/** Cinder's `self` (with /v3) and `bookmark` (without) links; the project id appears only if the URL had it. */
export function resourceLinks(ctx: RequestContext, collection: string, id: string): { rel: string; href: string }[] {
  const project = ctx.urlProjectId ? `/${ctx.urlProjectId}` : '';
  return [
    { rel: 'self', href: `${ctx.baseUrl}/v3${project}/${collection}/${id}` },
    { rel: 'bookmark', href: `${ctx.baseUrl}${project}/${collection}/${id}` },
  ];
}

export function collectionHref(ctx: RequestContext, path: string): string {
  const project = ctx.urlProjectId ? `/${ctx.urlProjectId}` : '';
  return `${ctx.baseUrl}/v3${project}/${path}`;
}

/** Cinder prints naive UTC timestamps with microseconds and no zone: 2026-11-25T02:37:12.157305. */
export function formatTimestamp(d: Date | null | undefined): string | null {
  if (!d) return null;
  return `${d.toISOString().slice(0, 23)}000`;
}
