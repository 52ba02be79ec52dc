import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A test double of Keystone v3 and of the parts of Nova's compute API the nova adapter uses, over
 * real HTTP on 127.0.0.1: password auth with a catalog (compute endpoints public and internal in
 * two regions), the swap-volume PUT with the answers Nova's API reference documents, and instance
 * actions. It records every request so that tests can assert exactly what was sent.
 */

export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON, or the raw text, or undefined when empty. */
  body: unknown;
}

export interface DoubleUser {
  name: string;
  password: string;
  domain: string;
  project: string;
  projectDomain: string;
  roles: string[];
}

export interface DoubleEvent {
  event: string;
  start_time: string;
  finish_time: string | null;
  result: string | null;
  traceback: string | null;
}
export interface DoubleAction {
  action: string;
  instance_uuid: string;
  message: string | null;
  project_id: string;
  request_id: string;
  start_time: string;
  user_id: string;
  events: DoubleEvent[];
}

export const REGIONS = ['RegionOne', 'RegionTwo'] as const;
export const INTERFACES = ['public', 'internal'] as const;

const PROJECT_ID = '6b1f8c0e2a4d4e7f9a3b5c7d9e1f2a3b';
const USER_ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

/** Nova's timestamp format (UTC, microseconds, no zone). */
export function novaTimestamp(d = new Date()): string {
  return d.toISOString().replace('Z', '000');
}

export class NovaDouble {
  readonly requests: RecordedRequest[] = [];
  /** Cinder's view of the volumes Nova reads: id -> migration_status (null or '' = not migrating). */
  readonly volumes = new Map<string, { migrationStatus: string | null }>();
  /** Servers and the volumes attached to them. */
  readonly servers = new Map<string, { volumes: Set<string>; actions: DoubleAction[] }>();
  user: DoubleUser = { name: 'cinder', password: 's3cret-Pa55', domain: 'Default', project: 'service', projectDomain: 'Default', roles: ['service'] };
  /** Lifetime of the tokens Keystone issues. */
  tokenLifetimeS = 3600;
  /** Every Nova (compute) answer is this status with Nova's fault body, when set (e.g. 500). */
  forceStatus?: number;
  /** Nova (compute) answers are delayed this long. */
  delayMs = 0;
  /** Instance-action reads only are delayed this long (the swap PUT is not). */
  actionsDelayMs = 0;
  /** `os-instance-actions/{id}` shows no events (Nova's `events` policy refused the caller). */
  hideEvents = false;
  private readonly tokens = new Map<string, number>();
  private readonly issued: string[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<NovaDouble> {
    const server = createServer();
    const double = new NovaDouble(server);
    server.on('request', (req, res) => void double.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return double;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  get authUrl(): string {
    return `${this.url}/identity/v3`;
  }
  /** The catalog's compute endpoint for a region and interface (each has its own path prefix). */
  computeUrl(region: string, iface: string): string {
    return `${this.url}/compute/${region}/${iface}/v2.1`;
  }

  /** A server with attached volumes; `migrating` volumes have migration_status `migrating`. */
  addServer(serverId: string, attached: { volumeId: string; migrating: boolean }[]): void {
    this.servers.set(serverId, { volumes: new Set(attached.map((v) => v.volumeId)), actions: [] });
    for (const v of attached) this.volumes.set(v.volumeId, { migrationStatus: v.migrating ? 'migrating' : null });
  }
  addVolume(volumeId: string): void {
    this.volumes.set(volumeId, { migrationStatus: null });
  }

  /** Every token issued so far stops being accepted (Keystone revoked them, or they expired on Nova's side). */
  revokeTokens(): void {
    this.tokens.clear();
  }
  /** Every token Keystone issued, in order (revoked ones too). */
  issuedTokens(): string[] {
    return [...this.issued];
  }

  /** The compute host picked up the latest swap of the server: its `compute_swap_volume` event starts. */
  startSwapEvent(serverId: string): void {
    this.latestSwap(serverId).events.push({ event: 'compute_swap_volume', start_time: novaTimestamp(), finish_time: null, result: null, traceback: null });
  }
  /** The swap's event finishes (Nova sets the action's message to Error when an event fails). */
  finishSwapEvent(serverId: string, result: 'Success' | 'Error'): void {
    const action = this.latestSwap(serverId);
    const event = action.events.find((e) => e.event === 'compute_swap_volume');
    if (!event) throw new Error('no compute_swap_volume event started');
    event.finish_time = novaTimestamp();
    event.result = result;
    if (result === 'Error') {
      event.traceback = 'Traceback (most recent call last): ...';
      action.message = 'Error';
    }
  }

  /** The requests to Nova's compute API (not Keystone's). */
  computeRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path.startsWith('/compute/'));
  }
  authRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path.startsWith('/identity/'));
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private latestSwap(serverId: string): DoubleAction {
    const action = this.servers.get(serverId)?.actions.find((a) => a.action === 'swap_volume');
    if (!action) throw new Error(`no swap_volume action on server ${serverId}`);
    return action;
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = text || undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // keep the raw text
    }
    const path = req.url ?? '/';
    this.requests.push({ method: req.method ?? '', path, headers: req.headers, body });
    res.on('error', () => undefined);
    try {
      if (path === '/identity/v3/auth/tokens' && req.method === 'POST') return this.authenticate(body, res);
      const m = /^\/compute\/([^/]+)\/([^/]+)\/v2\.1(\/.*)$/.exec(path);
      if (m) return await this.compute(req, m[3], body, res);
      send(res, 404, { itemNotFound: { code: 404, message: 'The resource could not be found.' } });
    } catch {
      if (!res.headersSent) send(res, 500, { computeFault: { code: 500, message: 'double failed' } });
    }
  }

  private authenticate(body: unknown, res: ServerResponse): void {
    const auth = (body as { auth?: AuthBody })?.auth;
    const u = auth?.identity?.password?.user;
    const p = auth?.scope?.project;
    const ok =
      auth?.identity?.methods?.includes('password') &&
      u?.name === this.user.name &&
      u?.password === this.user.password &&
      u?.domain?.name === this.user.domain &&
      p?.name === this.user.project &&
      p?.domain?.name === this.user.projectDomain;
    if (!ok) {
      send(res, 401, { error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' } });
      return;
    }
    const token = `gAAAAA${randomBytes(24).toString('base64url')}`;
    const expiresAt = Date.now() + this.tokenLifetimeS * 1000;
    this.tokens.set(token, expiresAt);
    this.issued.push(token);
    const catalog = [
      { type: 'identity', name: 'keystone', id: 'id-1', endpoints: [{ id: 'e0', interface: 'public', region: 'RegionOne', region_id: 'RegionOne', url: `${this.url}/identity` }] },
      {
        type: 'compute',
        name: 'nova',
        id: 'id-2',
        endpoints: REGIONS.flatMap((region) =>
          INTERFACES.map((iface) => ({ id: `${region}-${iface}`, interface: iface, region, region_id: region, url: this.computeUrl(region, iface) })),
        ),
      },
    ];
    res.setHeader('X-Subject-Token', token);
    send(res, 201, {
      token: {
        methods: ['password'],
        user: { id: USER_ID, name: this.user.name, domain: { id: 'default', name: this.user.domain }, password_expires_at: null },
        project: { id: PROJECT_ID, name: this.user.project, domain: { id: 'default', name: this.user.projectDomain } },
        roles: this.user.roles.map((name, i) => ({ id: `role-${i}`, name })),
        catalog,
        expires_at: new Date(expiresAt).toISOString().replace('Z', '000Z'),
        issued_at: new Date().toISOString().replace('Z', '000Z'),
        audit_ids: [randomBytes(8).toString('hex')],
      },
    });
  }

  private async compute(req: IncomingMessage, path: string, body: unknown, res: ServerResponse): Promise<void> {
    const isActions = path.includes('/os-instance-actions');
    await this.sleep(this.delayMs + (isActions ? this.actionsDelayMs : 0));
    const token = req.headers['x-auth-token'];
    const expiry = typeof token === 'string' ? this.tokens.get(token) : undefined;
    if (expiry === undefined || expiry <= Date.now()) {
      send(res, 401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
      return;
    }
    if (this.forceStatus) {
      send(res, this.forceStatus, fault(this.forceStatus, 'Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.'));
      return;
    }
    const requestId = `req-${randomUUID()}`;
    res.setHeader('X-OpenStack-Request-ID', requestId);
    res.setHeader('X-Compute-Request-ID', requestId);

    const swap = /^\/servers\/([^/]+)\/os-volume_attachments\/([^/]+)$/.exec(path);
    if (swap && req.method === 'PUT') return this.swap(swap[1], swap[2], body, requestId, res);
    const list = /^\/servers\/([^/]+)\/os-instance-actions$/.exec(path);
    if (list && req.method === 'GET') {
      const server = this.servers.get(list[1]);
      if (!server) return send(res, 404, fault(404, `Instance ${list[1]} could not be found.`));
      // Newest first, without events, as Nova lists them.
      const actions = [...server.actions].sort((a, b) => b.start_time.localeCompare(a.start_time)).map(({ events: _events, ...a }) => a);
      return send(res, 200, { instanceActions: actions });
    }
    const show = /^\/servers\/([^/]+)\/os-instance-actions\/([^/]+)$/.exec(path);
    if (show && req.method === 'GET') {
      const server = this.servers.get(show[1]);
      if (!server) return send(res, 404, fault(404, `Instance ${show[1]} could not be found.`));
      const action = server.actions.find((a) => a.request_id === show[2]);
      if (!action) return send(res, 404, fault(404, `Action for request_id ${show[2]} on instance ${show[1]} not found`));
      const { events, ...rest } = action;
      return send(res, 200, { instanceAction: this.hideEvents ? rest : { ...rest, events } });
    }
    send(res, 404, fault(404, 'The resource could not be found.'));
  }

  /** Nova's `_update_volume_swap` and `compute.API.swap_volume` checks, in their order. */
  private swap(serverId: string, oldId: string, body: unknown, requestId: string, res: ServerResponse): void {
    if (!this.user.roles.some((r) => r === 'service' || r === 'admin')) {
      return send(res, 403, fault(403, "Policy doesn't allow os_compute_api:os-volumes-attachments:swap to be performed."));
    }
    const newId = (body as { volumeAttachment?: { volumeId?: unknown } })?.volumeAttachment?.volumeId;
    const keys = body && typeof body === 'object' ? Object.keys(body) : [];
    if (typeof newId !== 'string' || keys.length !== 1) {
      return send(res, 400, fault(400, "Invalid input for field/attribute volumeAttachment. Value: None. 'volumeId' is a required property"));
    }
    const server = this.servers.get(serverId);
    if (!server) return send(res, 404, fault(404, `Instance ${serverId} could not be found.`));
    const old = this.volumes.get(oldId);
    if (!old) return send(res, 404, fault(404, `Volume ${oldId} could not be found.`));
    if (!old.migrationStatus) {
      return send(res, 409, fault(409, `volume ${oldId} is not migrating; this API should only be called by Cinder`));
    }
    if (!this.volumes.has(newId)) return send(res, 400, fault(400, `Volume ${newId} could not be found.`));
    if (!server.volumes.has(oldId)) return send(res, 404, fault(404, `No volume Block Device Mapping with id ${oldId}.`));
    server.actions.unshift({
      action: 'swap_volume',
      instance_uuid: serverId,
      message: null,
      project_id: PROJECT_ID,
      request_id: requestId,
      start_time: novaTimestamp(),
      user_id: USER_ID,
      events: [],
    });
    res.writeHead(202, { 'Content-Length': '0' });
    res.end();
  }
}

interface AuthBody {
  identity?: { methods?: string[]; password?: { user?: { name?: string; password?: string; domain?: { name?: string } } } };
  scope?: { project?: { name?: string; domain?: { name?: string } } };
}

const FAULT_NAMES: Record<number, string> = {
  400: 'badRequest',
  403: 'forbidden',
  404: 'itemNotFound',
  409: 'conflictingRequest',
  500: 'computeFault',
  503: 'serviceUnavailable',
};

/** Nova's fault body: `{"<faultName>": {"code": N, "message": "..."}}`. */
function fault(status: number, message: string): Record<string, { code: number; message: string }> {
  return { [FAULT_NAMES[status] ?? 'computeFault']: { code: status, message } };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}
