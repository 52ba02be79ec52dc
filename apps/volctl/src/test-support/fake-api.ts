import type { Fetch } from '../api/session';

export interface SeenRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: unknown;
}

export type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

/**
 * A fetch that answers from `route` (method and path after the host, query included) as a server
 * would, and records what it was asked: for specs of the client without a server.
 */
export function fakeFetch(route: (req: SeenRequest) => Answer | undefined): { fetch: Fetch; seen: SeenRequest[] } {
  const seen: SeenRequest[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    const req = { method: init?.method ?? 'GET', url, headers: (init?.headers ?? {}) as Record<string, string>, body };
    seen.push(req);
    const answer = route(req) ?? { status: 404, body: { itemNotFound: { code: 404, message: 'The resource could not be found.' } } };
    const text = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    return new Response(text || null, { status: answer.status, headers: { 'content-type': 'application/json', ...answer.headers } });
  }) as Fetch;
  return { fetch, seen };
}

export const fault = (status: number, name: string, message: string): Answer => ({ status, body: { [name]: { code: status, message } } });
