import type { Estimate, Migration, Pool, ProgressSample, Volume } from './api-types';

/** Who signed in: the token goes in X-Auth-Token (never a URL); the project names the URLs. */
export interface Session {
  token: string;
  projectId: string;
  user: string;
}

/** The version every console call asks for: migrations, their controls and events are 3.73. */
export const API_VERSION = 'volume 3.73';

/** A fault the API answered (`{"badRequest": {"code": 400, "message": ...}}`), with its text. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }

  /**
   * A route or action this API does not have yet (an older volume-api): 404 for a route, and
   * Cinder's 400 "There is no such action" for a volume action. The console then hides the control.
   */
  get unsupported(): boolean {
    return this.status === 404 || (this.status === 400 && /no such action/i.test(this.message));
  }
}

async function faultOf(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as Record<string, { message?: string }>;
    const fault = Object.values(body)[0];
    if (fault?.message) return new ApiError(res.status, fault.message);
  } catch {
    // not a fault body: the status says enough
  }
  return new ApiError(res.status, `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`);
}

/** The calls the console makes, on the same origin as the page. */
export class ConsoleApi {
  constructor(
    readonly session: Session,
    private readonly fetchFn: typeof fetch = (input, init) => fetch(input, init),
  ) {}

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { 'x-auth-token': this.session.token, 'openstack-api-version': API_VERSION, accept: 'application/json', ...extra };
  }

  url(path: string): string {
    return `/v3/${this.session.projectId}${path}`;
  }

  /** An answer whose status is not 2xx is thrown as ApiError; 202 and 204 carry no body. */
  async call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const res = await this.fetchFn(this.url(path), {
      method,
      headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
    if (!res.ok) throw await faultOf(res);
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async migrations(query: Record<string, string>, signal?: AbortSignal): Promise<Migration[]> {
    const qs = new URLSearchParams({ all_tenants: '1', ...query }).toString();
    return (await this.call<{ volume_migrations: Migration[] }>('GET', `/volume-migrations?${qs}`, undefined, signal)).volume_migrations;
  }

  async migration(id: string, signal?: AbortSignal): Promise<Migration> {
    return (await this.call<{ volume_migration: Migration }>('GET', `/volume-migrations/${encodeURIComponent(id)}`, undefined, signal)).volume_migration;
  }

  /** Its progress over time, as far as the API still holds its events (a day by default). */
  async progress(id: string, signal?: AbortSignal): Promise<ProgressSample[]> {
    return (await this.call<{ progress_samples: ProgressSample[] }>('GET', `/volume-migrations/${encodeURIComponent(id)}/progress`, undefined, signal)).progress_samples;
  }

  /** The pre-flight estimate of moving the volume to `host`, started with `bandwidth` bytes per second (null: none of its own). */
  async estimate(volumeId: string, host: string, bandwidth: number | null = null): Promise<Estimate> {
    const body: Record<string, unknown> = { volume_id: volumeId, host };
    if (bandwidth !== null) body.bandwidth_bytes_per_second = bandwidth;
    return (await this.call<{ estimate: Estimate }>('POST', '/volume-migrations/estimate', body)).estimate;
  }

  async volumes(): Promise<Volume[]> {
    return (await this.call<{ volumes: Volume[] }>('GET', '/volumes/detail?all_tenants=1&limit=1000')).volumes;
  }

  async pools(): Promise<Pool[]> {
    return (await this.call<{ pools: Pool[] }>('GET', '/scheduler-stats/get_pools?detail=true')).pools;
  }

  private action(volumeId: string, body: Record<string, unknown>): Promise<void> {
    return this.call('POST', `/volumes/${encodeURIComponent(volumeId)}/action`, body);
  }

  migrate(volumeId: string, host: string, bandwidth: number | null): Promise<void> {
    const args: Record<string, unknown> = { host, force_host_copy: false, lock_volume: false };
    if (bandwidth !== null) args.bandwidth_bytes_per_second = bandwidth;
    return this.action(volumeId, { 'os-migrate_volume': args });
  }

  cancel(volumeId: string): Promise<void> {
    return this.action(volumeId, { 'os-migrate_volume_cancel': null });
  }

  /** null returns the migration to its host's default limit. */
  setBandwidth(volumeId: string, bytesPerSecond: number | null): Promise<void> {
    return this.action(volumeId, { 'os-migrate_volume_set_bandwidth': { bytes_per_second: bytesPerSecond } });
  }
}
