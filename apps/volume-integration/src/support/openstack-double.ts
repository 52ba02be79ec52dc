import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * Just enough of Keystone v3 and Nova for the real `openstack` client to reach the volume API:
 * discovery, password authentication whose catalog lists `identity`, `compute` and `volumev3` (no
 * network: the client then asks no network service), project lookup, and Nova's default quota set
 * (openstackclient 6.0's `quota show` needs a compute endpoint and always asks it). The tokens it
 * issues read `user:project`, which the API's noauth strategy accepts as that user in that project.
 */
export class OpenStackDouble {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** @param volumeApiUrl where the volume API listens (`http://host:port`); the catalog adds `/v3/<project>`. */
  static async start(volumeApiUrl: string, projectNames: Record<string, string>): Promise<OpenStackDouble> {
    let base = '';
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => answer(req, res, body, { base, volumeApiUrl, projectNames }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return new OpenStackDouble(server, `${base}/v3`);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

interface Setting {
  base: string;
  volumeApiUrl: string;
  projectNames: Record<string, string>;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function answer(req: IncomingMessage, res: ServerResponse, body: string, s: Setting): void {
  const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '');
  const version = { id: 'v3.14', status: 'stable', updated: '2020-04-07T00:00:00Z', links: [{ rel: 'self', href: `${s.base}/v3/` }] };
  if (req.method === 'GET' && path === '') return send(res, 300, { versions: { values: [version] } });
  if (req.method === 'GET' && path === '/v3') return send(res, 200, { version });
  if (req.method === 'POST' && path === '/v3/auth/tokens') return issueToken(res, JSON.parse(body), s);
  const project = /^\/v3\/projects\/([^/]+)$/.exec(path);
  if (req.method === 'GET' && project && s.projectNames[project[1]]) {
    return send(res, 200, { project: projectView(project[1], s) });
  }
  const computeQuota = /^\/compute\/v2\.1\/os-quota-sets\/([^/]+)$/.exec(path);
  if (req.method === 'GET' && computeQuota) return send(res, 200, { quota_set: { id: computeQuota[1], ...NOVA_DEFAULT_QUOTAS } });
  send(res, 404, { error: { code: 404, title: 'Not Found', message: `The resource could not be found.` } });
}

/** Nova's default limits, as its quota set shows them. */
const NOVA_DEFAULT_QUOTAS = { cores: 20, instances: 10, key_pairs: 100, metadata_items: 128, ram: 51200, server_groups: 10, server_group_members: 10 };

function projectView(id: string, s: Setting) {
  return { id, name: s.projectNames[id], domain_id: 'default', enabled: true, is_domain: false, parent_id: 'default' };
}

function issueToken(res: ServerResponse, request: { auth?: { identity?: { password?: { user?: { name?: string } } }; scope?: { project?: { id?: string } } } }, s: Setting): void {
  const user = request.auth?.identity?.password?.user?.name ?? 'admin';
  const projectId = request.auth?.scope?.project?.id ?? '';
  if (!s.projectNames[projectId]) return send(res, 401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
  const endpoint = (type: string, url: string) => ({
    type,
    name: type,
    id: type,
    endpoints: [{ id: `${type}-public`, interface: 'public', region: 'RegionOne', region_id: 'RegionOne', url }],
  });
  const token = {
    methods: ['password'],
    user: { id: user, name: user, domain: { id: 'default', name: 'Default' } },
    project: { id: projectId, name: s.projectNames[projectId], domain: { id: 'default', name: 'Default' } },
    roles: [{ id: 'admin', name: 'admin' }],
    expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    issued_at: new Date().toISOString(),
    catalog: [
      endpoint('identity', `${s.base}/v3`),
      endpoint('compute', `${s.base}/compute/v2.1`),
      endpoint('volumev3', `${s.volumeApiUrl}/v3/${projectId}`),
    ],
  };
  send(res, 201, { token }, { 'x-subject-token': `${user}:${projectId}` });
}
