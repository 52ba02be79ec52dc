import { ErrorCode } from '@volume/contracts';
import { CatalogEntry, Fetch, KeystoneClient, KeystoneUnavailable, PasswordCredentials } from './keystone.client';
import { ServiceTokenSource } from './service-token';

// The service user's password authentication against a Keystone stand-in (fetch): what a caller
// that needs the catalog (nova-bridge's Nova client) and its own errors gets from it.

const credentials: PasswordCredentials = { username: 'nova', password: 'pw', userDomainName: 'Default', projectName: 'service', projectDomainName: 'Default' };
const catalog: CatalogEntry[] = [{ type: 'compute', endpoints: [{ interface: 'public', region_id: 'RegionOne', url: 'http://nova/v2.1' }] }];

function keystone(status = 201): { fetch: Fetch; urls: string[] } {
  const urls: string[] = [];
  const fetchFn = (async (input: string | URL | Request) => {
    urls.push(String(input));
    const token = { user: { id: 'u' }, project: { id: 'p' }, roles: [], catalog, issued_at: '2030-01-01T00:00:00Z', expires_at: '2030-01-01T01:00:00Z' };
    return new Response(JSON.stringify({ token }), { status, headers: status === 201 ? { 'x-subject-token': 'tok' } : {} });
  }) as Fetch;
  return { fetch: fetchFn, urls };
}

async function failure(p: Promise<unknown>): Promise<KeystoneUnavailable> {
  const err = await p.then(
    () => {
      throw new Error('a token was issued');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KeystoneUnavailable);
  return err as KeystoneUnavailable;
}

describe('KeystoneClient.issue', () => {
  it('when the catalog is asked for, then Keystone is asked without ?nocatalog and the token comes with its catalog', async () => {
    const ks = keystone();
    const issued = await new KeystoneClient('http://ks/identity', 5_000, ks.fetch).issue(credentials, { catalog: true });
    expect(ks.urls).toEqual(['http://ks/identity/v3/auth/tokens']);
    expect(issued).toEqual({ token: 'tok', projectId: 'p', issuedAt: Date.parse('2030-01-01T00:00:00Z'), expiresAt: Date.parse('2030-01-01T01:00:00Z'), catalog });
  });

  it('when the catalog is not asked for, then it is neither fetched nor returned', async () => {
    const ks = keystone();
    const issued = await new KeystoneClient('http://ks', 5_000, ks.fetch).issue(credentials);
    expect(ks.urls).toEqual(['http://ks/v3/auth/tokens?nocatalog']);
    expect(issued.catalog).toBeUndefined();
  });

  it('when Keystone refuses the password, then it is unavailable (503) and carries the status Keystone answered', async () => {
    const err = await failure(new KeystoneClient('http://ks', 5_000, keystone(401).fetch).issue(credentials));
    expect(err.code).toBe(ErrorCode.Unavailable);
    expect([err.status, err.fetchError]).toEqual([401, undefined]);
  });

  it('when Keystone cannot be reached, then it is unavailable with no status and fetch’s error', async () => {
    const refused = new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    const err = await failure(new KeystoneClient('http://ks', 5_000, (async () => Promise.reject(refused)) as Fetch).issue(credentials));
    expect([err.status, err.fetchError, err.reason]).toEqual([undefined, refused, 'unreachable (ECONNREFUSED)']);
  });

  it('when its owner aborts the stop signal during a call, then the call ends as aborted, long before the timeout', async () => {
    const stop = new AbortController();
    let asked!: () => void;
    const started = new Promise<void>((resolve) => (asked = resolve));
    const hang = ((_input: string | URL | Request, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        asked();
      })) as Fetch;
    const pending = new KeystoneClient('http://ks', 3_600_000, hang, stop.signal).issue(credentials);
    await started;
    stop.abort();
    const err = await failure(pending);
    expect(err.reason).toBe('aborted (stopping)');
    expect((err.fetchError as Error).name).toBe('AbortError');
  });
});

describe('ServiceTokenSource with issue options', () => {
  it('when it is made to ask for the catalog, then every token it issues has it', async () => {
    const ks = keystone();
    const source = new ServiceTokenSource(new KeystoneClient('http://ks', 5_000, ks.fetch), credentials, () => Date.parse('2030-01-01T00:00:00Z'), { catalog: true });
    await expect(source.issued()).resolves.toMatchObject({ token: 'tok', catalog });
    source.discard('tok');
    await expect(source.issued()).resolves.toMatchObject({ catalog });
    expect(ks.urls).toEqual(['http://ks/v3/auth/tokens', 'http://ks/v3/auth/tokens']);
  });
});

describe('KeystoneClient and redirects', () => {
  it('when Keystone answers with a redirect, then it is not followed (the password stays home) and no token is issued', async () => {
    const { createServer } = await import('node:http');
    const elsewhere: string[] = [];
    const thief = createServer((req, res) => {
      elsewhere.push(`${req.method} ${req.url}`);
      res.writeHead(201, { 'x-subject-token': 'stolen' }).end('{}');
    });
    await new Promise<void>((r) => thief.listen(0, '127.0.0.1', r));
    const thiefPort = (thief.address() as { port: number }).port;
    const redirector = createServer((_req, res) => res.writeHead(307, { location: `http://127.0.0.1:${thiefPort}/v3/auth/tokens` }).end());
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
    const port = (redirector.address() as { port: number }).port;
    try {
      await failure(new KeystoneClient(`http://127.0.0.1:${port}`, 5_000).issue(credentials));
      expect(elsewhere).toEqual([]);
    } finally {
      await new Promise((r) => redirector.close(r));
      await new Promise((r) => thief.close(r));
    }
  });
});
