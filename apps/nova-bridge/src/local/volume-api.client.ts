import { retryWithBackoff } from '@volume/domain';
import { ApiCredentials, ApiIdentity } from './api-identity';

/** The slice of a Cinder volume view the compute side reads. */
export interface ApiVolume {
  id: string;
  size: number;
  status: string;
  /** Shown to admins and the service user only; Nova reads it to tell a Cinder migration. */
  migration_status?: string | null;
  attachments: Array<{ attachment_id?: string; server_id?: string }>;
}

export interface ApiAttachment {
  id: string;
  volume_id: string;
  status: string;
  connection_info?: { driver_volume_type?: string; data?: Record<string, unknown> } | null;
}

/** volume-api answered with an error status, or could not be reached (`status` 0). */
export class VolumeApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'VolumeApiError';
  }
}

/**
 * How long a call waits for a volume-api that is restarting, or whose database is (503): longer
 * than either takes, shorter than the worker's patience with a swap call (30 s).
 */
const API_RESTART_BOUND_MS = 20_000;

/**
 * The methods whose repeat changes nothing more: a second DELETE of an attachment is a 404 its
 * callers take; a second PUT of an attachment's connector connects it again, as Cinder's
 * attachment_update does (a swap's connect meets a 503 when the volume's host is out of NATS' reach).
 */
const IDEMPOTENT = new Set(['GET', 'PUT', 'DELETE']);

/**
 * Worth sending again: nothing reached volume-api (nobody listens on its port), whatever the
 * method; or, for a repeatable one, it answered 503 (its database is away for a moment) or the
 * connection broke before an answer (volume-api killed mid-request: ECONNRESET, a timeout).
 */
function worthRetrying(method: string, err: unknown): boolean {
  // fetch's TypeError('fetch failed') carries the socket's error as its cause.
  if ((err as { cause?: { cause?: { code?: string } } }).cause?.cause?.code === 'ECONNREFUSED') return true;
  if (!IDEMPOTENT.has(method) || !(err instanceof VolumeApiError)) return false;
  return err.status === 503 || (err.status === 0 && err.cause !== undefined);
}

/** The attachments flow Nova drives (3.44); the volume actions take the same version. */
const API_VERSION = 'volume 3.44';

/**
 * volume-api as Nova calls it: each call acts for the identity it is given (the compute API's
 * caller, or the bridge's service identity), in that identity's project; JSON both ways, each with
 * a timeout.
 */
export class VolumeApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 30_000,
  ) {}

  async getVolume(as: ApiIdentity, id: string): Promise<ApiVolume> {
    return ((await this.request(as, 'GET', `volumes/${id}`)) as { volume: ApiVolume }).volume;
  }

  async beginDetaching(as: ApiIdentity, volumeId: string): Promise<void> {
    await this.request(as, 'POST', `volumes/${volumeId}/action`, { 'os-begin_detaching': null });
  }

  async rollDetaching(as: ApiIdentity, volumeId: string): Promise<void> {
    await this.request(as, 'POST', `volumes/${volumeId}/action`, { 'os-roll_detaching': null });
  }

  /** `error` goes as a JSON boolean: Cinder treats the string "false" as an error. */
  async migrateVolumeCompletion(as: ApiIdentity, oldId: string, newId: string, error: boolean): Promise<string> {
    const body = { 'os-migrate_volume_completion': { new_volume: newId, error: error === true } };
    const reply = (await this.request(as, 'POST', `volumes/${oldId}/action`, body)) as { save_volume_id?: string } | undefined;
    return reply?.save_volume_id ?? oldId;
  }

  async createAttachment(as: ApiIdentity, volumeId: string, instanceUuid: string): Promise<ApiAttachment> {
    const body = { attachment: { volume_uuid: volumeId, instance_uuid: instanceUuid, connector: null } };
    return ((await this.request(as, 'POST', 'attachments', body)) as { attachment: ApiAttachment }).attachment;
  }

  /** Connects the attachment; returns the file the volume's data lives in (LocalConnector's device_path). */
  async connectAttachment(as: ApiIdentity, attachmentId: string, connector: Record<string, unknown>): Promise<string> {
    const reply = (await this.request(as, 'PUT', `attachments/${attachmentId}`, { attachment: { connector } })) as {
      attachment: ApiAttachment;
    };
    const path = reply.attachment.connection_info?.data?.device_path;
    if (typeof path !== 'string' || !path) {
      throw new VolumeApiError(0, `attachment ${attachmentId} has no device_path in its connection_info`);
    }
    return path;
  }

  async completeAttachment(as: ApiIdentity, attachmentId: string): Promise<void> {
    await this.request(as, 'POST', `attachments/${attachmentId}/action`, { 'os-complete': null });
  }

  /** Deletes an attachment; one already gone (a retry after a lost answer) counts as deleted. */
  async deleteAttachment(as: ApiIdentity, attachmentId: string): Promise<void> {
    try {
      await this.request(as, 'DELETE', `attachments/${attachmentId}`);
    } catch (err) {
      if (!(err instanceof VolumeApiError && err.status === 404)) throw err;
    }
  }

  /** One call; a 401 the identity can answer by renewing its token is asked once more. */
  private async request(as: ApiIdentity, method: string, path: string, body?: unknown): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const creds = await as.credentials();
      try {
        // A volume-api restarting, or its database: an attach, a swap or its undo (which would
        // otherwise leave an attachment reserved for good) waits for it.
        return await retryWithBackoff(() => this.send(creds, method, path, body), {
          retryable: (err) => worthRetrying(method, err),
          boundMs: API_RESTART_BOUND_MS,
        });
      } catch (err) {
        if (attempt > 0 || !(err instanceof VolumeApiError && err.status === 401) || !as.refused?.(creds)) throw err;
      }
    }
  }

  private async send({ project, headers: auth }: ApiCredentials, method: string, path: string, body?: unknown): Promise<unknown> {
    const base = `${this.baseUrl.replace(/\/+$/, '')}/v3`;
    const url = project ? `${base}/${encodeURIComponent(project)}/${path}` : `${base}/${path}`;
    const headers: Record<string, string> = { ...auth, 'openstack-api-version': API_VERSION, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new VolumeApiError(0, `${method} ${url}: ${(err as Error).message}`, { cause: err });
    }
    const text = await res.text();
    let json: unknown = undefined;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    if (!res.ok) throw new VolumeApiError(res.status, faultMessage(json) ?? `${method} ${path}: HTTP ${res.status}`);
    return json;
  }
}

/** The message of a Cinder fault body (`{"badRequest": {"code": 400, "message": ...}}`). */
function faultMessage(json: unknown): string | undefined {
  if (!json || typeof json !== 'object') return undefined;
  const inner = Object.values(json as Record<string, unknown>)[0];
  if (inner && typeof inner === 'object' && typeof (inner as { message?: unknown }).message === 'string') {
    return (inner as { message: string }).message;
  }
  return undefined;
}
