import { collectionHref } from './http/links';
import { RequestContext } from './http/request-context';
import { QueryParams } from './query-params';

/**
 * Cinder's `_get_collection_links`: a `next` link whenever the page is full (even the last one),
 * repeating the request's query with the page's last id as the marker; none otherwise.
 */
export function nextPageLinks(
  ctx: RequestContext,
  path: string,
  query: QueryParams,
  page: { lastId: string | undefined; limit: number; itemCount: number },
): { rel: string; href: string }[] | undefined {
  if (page.lastId === undefined || page.limit > page.itemCount) return undefined;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (k !== 'marker' && v !== undefined) for (const one of [v].flat()) params.append(k, one);
  }
  params.append('marker', page.lastId);
  return [{ rel: 'next', href: `${collectionHref(ctx, path)}?${params}` }];
}
