import { ApiVersion, VOLUME_MIGRATIONS } from '@volume/microversion';
import { ApiFault, CliError, ExitCode, UnsupportedError } from '../exit-codes';
import { networkReason } from './network-reason';
import type { Fetch, Session } from './session';

/** What a call needs of the server, to name it when the server is older. */
export interface Feature {
  what: string;
  version: string;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  needs?: Feature;
}

const SERVER_MAX = /maximum is (\d+\.\d+)/;

/** The text of a Cinder fault (`{"badRequest": {"code": 400, "message": "..."}}`), else the body itself. */
export function faultMessage(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as Record<string, { message?: unknown }>;
    const keys = Object.keys(body ?? {});
    const message = keys.length === 1 ? body[keys[0]]?.message : undefined;
    if (typeof message === 'string' && message) return message;
  } catch {
    // not JSON: a proxy's or a web server's page
  }
  const plain = text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return plain ? `HTTP ${status}: ${plain}` : `HTTP ${status}`;
}

/**
 * The Block Storage API at one project's endpoint. Every call asks for this client's newest
 * microversion (3.73); a server that answers 406 with a lower maximum is asked again at its maximum,
 * unless the call needs more, which then fails naming the feature and the version it needs.
 */
export class BlockStorageHttp {
  private version = VOLUME_MIGRATIONS;

  constructor(
    private readonly session: Session,
    private readonly fetchFn: Fetch = fetch,
  ) {}

  /** Whether the server, as far as this client has learnt, serves `version`. */
  private serves(version: string): boolean {
    return ApiVersion.parse(this.version).gte(version);
  }

  async request<T>(method: 'GET' | 'POST', path: string, opts: RequestOptions = {}): Promise<T> {
    if (opts.needs && !this.serves(opts.needs.version)) {
      throw new UnsupportedError(opts.needs.what, opts.needs.version, `it serves up to ${this.version}`);
    }
    const res = await this.send(method, path, opts);
    const text = await res.text();
    if (res.status === 406) {
      const max = SERVER_MAX.exec(faultMessage(406, text))?.[1];
      if (max && ApiVersion.parse(max).lt(this.version)) {
        this.version = max;
        return this.request(method, path, opts);
      }
    }
    // A redirect is a fault too: it is not followed (it would carry the token), the endpoint is wrong.
    if (res.status < 200 || res.status >= 300) throw new ApiFault(res.status, faultMessage(res.status, text));
    try {
      return (text ? JSON.parse(text) : undefined) as T;
    } catch {
      throw new CliError(`the API answered ${method} ${path} with HTTP ${res.status} and a body that is not JSON`, ExitCode.Failed);
    }
  }

  /**
   * Opens an events stream (`text/event-stream`, 3.73) with the token in a header, never the URL, and
   * `Last-Event-ID` when resuming. What a stream's follower reads is returned (2xx, 204 and 404, and
   * 5xx, which it tries again); any other answer is the fault it carries, thrown.
   */
  async openStream(path: string, opts: { query?: Query; lastEventId?: string; signal: AbortSignal }): Promise<Response> {
    const headers = this.headers('text/event-stream');
    if (opts.lastEventId) headers['last-event-id'] = opts.lastEventId;
    let res: Response;
    try {
      res = await this.fetchFn(this.url(path, opts.query), { headers, redirect: 'manual', signal: opts.signal });
    } catch (err) {
      if (opts.signal.aborted) throw err;
      throw new CliError(`the events stream of ${this.session.endpoint} dropped: ${networkReason(err)}`, ExitCode.Failed);
    }
    if (res.status >= 300 && res.status < 500 && res.status !== 404) {
      throw new ApiFault(res.status, faultMessage(res.status, await res.text()));
    }
    return res;
  }

  private url(path: string, query: Query = {}): URL {
    const url = new URL(`${this.session.endpoint}/${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  private headers(accept: string): Record<string, string> {
    return { ...this.session.headers, accept, 'openstack-api-version': `volume ${this.version}` };
  }

  private async send(method: string, path: string, opts: RequestOptions): Promise<Response> {
    const url = this.url(path, opts.query);
    const headers = this.headers('application/json');
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await this.fetchFn(url, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        redirect: 'manual',
        signal: AbortSignal.timeout(60_000),
      });
    } catch (err) {
      throw new CliError(`cannot reach the Block Storage API at ${this.session.endpoint}: ${networkReason(err)}`, ExitCode.Failed);
    }
  }
}
