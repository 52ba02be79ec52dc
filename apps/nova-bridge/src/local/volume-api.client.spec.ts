import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { ApiCredentials, ApiIdentity } from './api-identity';
import { VolumeApiClient, VolumeApiError } from './volume-api.client';

// The client against a stand-in volume-api (a local HTTP server) that accepts one token only: what
// it sends, and how it answers a 401 its identity can renew.

describe('VolumeApiClient', () => {
  let server: Server;
  let baseUrl: string;
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  let accepted = 'good';

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      if (req.headers['x-auth-token'] !== accepted) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ unauthorized: { code: 401, message: 'nope' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ volume: { id: 'v1', size: 1, status: 'available', attachments: [] } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  beforeEach(() => {
    seen.length = 0;
    accepted = 'good';
  });

  /** An identity whose token is `tokens[n]` until it is refused `n` times. */
  function renewing(tokens: string[], project?: string): ApiIdentity & { refusals: number } {
    const identity = {
      refusals: 0,
      credentials: async (): Promise<ApiCredentials> => ({ project, headers: { 'x-auth-token': tokens[Math.min(identity.refusals, tokens.length - 1)] } }),
      refused: () => {
        identity.refusals++;
        return true;
      },
    };
    return identity;
  }

  it('when the identity names a project, then the URL carries it; without one, the route has no project id', async () => {
    const client = new VolumeApiClient(baseUrl);
    await client.getVolume(renewing(['good'], 'p1'), 'v1');
    await client.getVolume(renewing(['good']), 'v1');
    expect(seen.map((s) => s.url)).toEqual(['/v3/p1/volumes/v1', '/v3/volumes/v1']);
    expect(seen[0].headers['openstack-api-version']).toBe('volume 3.44');
  });

  it('when volume-api refuses a token the identity can renew, then the call is made once more with the new one', async () => {
    const identity = renewing(['revoked', 'good'], 'p1');
    expect((await new VolumeApiClient(baseUrl).getVolume(identity, 'v1')).id).toBe('v1');
    expect(seen.map((s) => s.headers['x-auth-token'])).toEqual(['revoked', 'good']);
  });

  it('when the renewed token is refused too, then the 401 stands: one retry, never a loop', async () => {
    accepted = 'nothing-we-have';
    const identity = renewing(['revoked', 'also-revoked', 'never-sent'], 'p1');
    await expect(new VolumeApiClient(baseUrl).getVolume(identity, 'v1')).rejects.toEqual(new VolumeApiError(401, 'nope'));
    expect(seen).toHaveLength(2);
  });

  it('when the identity cannot renew (a caller’s own token), then a 401 is the answer at once', async () => {
    const own: ApiIdentity = { credentials: async () => ({ project: 'p1', headers: { 'x-auth-token': 'expired' } }) };
    await expect(new VolumeApiClient(baseUrl).getVolume(own, 'v1')).rejects.toMatchObject({ status: 401 });
    expect(seen).toHaveLength(1);
  });

  it('when volume-api refuses connections for a moment (restarting), then the call is sent again once it listens', async () => {
    const later = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ volume: { id: 'v2', size: 1, status: 'available', attachments: [] } }));
    });
    await new Promise<void>((resolve) => later.listen(0, '127.0.0.1', resolve));
    const port = (later.address() as AddressInfo).port;
    await new Promise<void>((resolve) => later.close(() => resolve()));
    const own: ApiIdentity = { credentials: async () => ({ project: 'p1', headers: { 'x-auth-token': 'good' } }) };
    const call = new VolumeApiClient(`http://127.0.0.1:${port}`).getVolume(own, 'v2');
    await new Promise((r) => setTimeout(r, 700));
    await new Promise<void>((resolve) => later.listen(port, '127.0.0.1', resolve));
    try {
      expect((await call).id).toBe('v2');
    } finally {
      await new Promise<void>((resolve) => later.close(() => resolve()));
    }
  });

  it('when volume-api answers 503 (its database away), then a GET is sent again and a POST is not', async () => {
    let unavailable = 2;
    const flaky = createServer((req, res) => {
      if (unavailable-- > 0) {
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ serviceUnavailable: { code: 503, message: 'down' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ volume: { id: 'v3', size: 1, status: 'available', attachments: [] } }));
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    const client = new VolumeApiClient(`http://127.0.0.1:${(flaky.address() as AddressInfo).port}`);
    const own: ApiIdentity = { credentials: async () => ({ project: 'p1', headers: { 'x-auth-token': 'good' } }) };
    try {
      expect((await client.getVolume(own, 'v3')).id).toBe('v3');
      unavailable = 1;
      await expect(client.beginDetaching(own, 'v3')).rejects.toMatchObject({ status: 503 });
    } finally {
      await new Promise<void>((resolve) => flaky.close(() => resolve()));
    }
  });

  it('when volume-api answers 503 to the connect of an attachment (the volume host out of reach), then the PUT is sent again and connects', async () => {
    let unavailable = 2;
    const methods: string[] = [];
    const flaky = createServer((req, res) => {
      methods.push(req.method ?? '');
      if (unavailable-- > 0) {
        const message = 'No answer on volume.host-a.initialize_connection.v1 within 10000 ms';
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ serviceUnavailable: { code: 503, message } }));
        return;
      }
      const attachment = { id: 'a1', volume_id: 'v5', status: 'attaching', connection_info: { driver_volume_type: 'local', data: { device_path: '/pool/volume-v5' } } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ attachment }));
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    const client = new VolumeApiClient(`http://127.0.0.1:${(flaky.address() as AddressInfo).port}`);
    const own: ApiIdentity = { credentials: async () => ({ project: 'p1', headers: { 'x-auth-token': 'good' } }) };
    try {
      expect(await client.connectAttachment(own, 'a1', { host: 'compute-1' })).toBe('/pool/volume-v5');
      expect(methods).toEqual(['PUT', 'PUT', 'PUT']);
    } finally {
      await new Promise<void>((resolve) => flaky.close(() => resolve()));
    }
  });

  it('when volume-api dies mid-request (the connection reset before an answer), then a GET is sent again and a POST is not', async () => {
    let resets = 1;
    const dying = createServer((req, res) => {
      if (resets-- > 0) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ volume: { id: 'v4', size: 1, status: 'available', attachments: [] } }));
    });
    await new Promise<void>((resolve) => dying.listen(0, '127.0.0.1', resolve));
    const client = new VolumeApiClient(`http://127.0.0.1:${(dying.address() as AddressInfo).port}`);
    const own: ApiIdentity = { credentials: async () => ({ project: 'p1', headers: { 'x-auth-token': 'good' } }) };
    try {
      expect((await client.getVolume(own, 'v4')).id).toBe('v4');
      resets = 1;
      await expect(client.beginDetaching(own, 'v4')).rejects.toMatchObject({ status: 0 });
    } finally {
      await new Promise<void>((resolve) => dying.close(() => resolve()));
    }
  });
});
