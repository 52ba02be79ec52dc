/** The stack under test, from outside: `npm start` (the default) or the compose stack, or any other. */
export const BASE_URL = (process.env.E2E_BASE_URL || 'http://127.0.0.1:8776').replace(/\/+$/, '');
/** nova-bridge's local compute host's API in that stack (8774 in `npm start`; compose's COMPUTE_PUBLISH). */
export const COMPUTE_URL = (process.env.E2E_COMPUTE_URL || 'http://127.0.0.1:8774').replace(/\/+$/, '');

export interface Reply {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

export interface RequestOptions {
  /** noauth `X-Auth-Token`, `user:project`. */
  token?: string;
  /** Microversion, sent as `OpenStack-API-Version: volume <version>`. */
  version?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export async function request(method: string, path: string, opts: RequestOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  if (opts.token) headers['x-auth-token'] = opts.token;
  if (opts.version) headers['openstack-api-version'] = `volume ${opts.version}`;
  let payload: string | undefined = opts.rawBody;
  if (payload === undefined && opts.body !== undefined) payload = JSON.stringify(opts.body);
  if (payload !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const res = await fetch(`${BASE_URL}${path}`, { method, headers, body: payload, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let body: unknown = undefined;
  if (text && (res.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text);
  return { status: res.status, headers: res.headers, body, text };
}

/** Polls until `check` returns a value other than undefined; fails with `what` and the last value seen. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (last: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
