import Fastify, { FastifyInstance } from 'fastify';
import { loadApiConfig } from '../config';
import { noauthAuthenticator } from '@volume/auth';
import { installRequestHooks, rewriteUrl } from './request-hooks';

// The hooks on a bare Fastify with the adapter's URL rewrite, and stand-ins for the controllers'
// routes that report which caller reached them: whatever spelling a client chooses, a route under
// /v3/ never runs without one.

const UNAUTHORIZED_BODY = {
  unauthorized: {
    code: 401,
    message:
      'This server could not verify that you are authorized to access the document you requested. Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required.',
  },
};

const ADMIN_PROJECT = '6b1f8c0e2a4d4e7f9a3b5c7d9e1f2a3b';

let fastify: FastifyInstance;

beforeAll(async () => {
  fastify = Fastify({ rewriteUrl });
  installRequestHooks(fastify, loadApiConfig({}), noauthAuthenticator());
  const whoAmI = (req: { ctx: { caller?: { userId: string } } }) => ({ caller: req.ctx.caller?.userId ?? null });
  fastify.get('/v3/volumes', whoAmI);
  fastify.get('/v3/volumes/:id', whoAmI);
  fastify.get('/healthz', whoAmI);
  await fastify.ready();
});

afterAll(async () => {
  await fastify?.close();
});

describe('request hooks: authentication', () => {
  it.each([
    ['/v3/volumes'],
    ['/%763/volumes'],
    ['/%76%33/volumes'],
    ['/v%33/volumes'],
    ['/v3/%76olumes'],
    ['/%763/volumes/abc'],
    ['/%763/volumes?all_tenants=1'],
  ])('when %s is asked for without a token, then 401 with Cinder body, and no route runs', async (url) => {
    const res = await fastify.inject({ method: 'GET', url });
    expect([res.statusCode, res.json()]).toEqual([401, UNAUTHORIZED_BODY]);
  });

  it.each([['/v3%2fvolumes'], ['/v3%2Fvolumes'], ['/%763%2fvolumes']])(
    'when the separator after the version is encoded (%s), then it routes nowhere: 404, no route runs',
    async (url) => {
      const res = await fastify.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toContain('caller');
    },
  );

  it('when an encoded spelling of /v3/volumes carries a token, then the route runs with that caller', async () => {
    const res = await fastify.inject({ method: 'GET', url: '/%763/volumes', headers: { 'x-auth-token': 'alice:p1' } });
    expect([res.statusCode, res.json()]).toEqual([200, { caller: 'alice' }]);
  });

  it('when the URL names a project, then the project check applies to the caller as before', async () => {
    const mine = await fastify.inject({ method: 'GET', url: `/v3/${ADMIN_PROJECT}/volumes`, headers: { 'x-auth-token': `admin:${ADMIN_PROJECT}` } });
    expect([mine.statusCode, mine.json()]).toEqual([200, { caller: 'admin' }]);
    const other = await fastify.inject({ method: 'GET', url: `/v3/${ADMIN_PROJECT}/volumes`, headers: { 'x-auth-token': 'alice:p1' } });
    expect([other.statusCode, other.json()]).toEqual([400, { badRequest: { code: 400, message: 'Malformed request url' } }]);
  });

  it('when a probe is asked for in any spelling, then it needs no token and ignores the microversion header, as before', async () => {
    for (const url of ['/healthz', '/%68ealthz']) {
      const res = await fastify.inject({ method: 'GET', url, headers: { 'openstack-api-version': 'volume 9.9' } });
      expect([url, res.statusCode, res.json()]).toEqual([url, 200, { caller: null }]);
    }
  });

  it('when the version document is asked for through an encoded /v3/, then it needs a token too', async () => {
    const res = await fastify.inject({ method: 'GET', url: '/%763/' });
    expect([res.statusCode, res.json()]).toEqual([401, UNAUTHORIZED_BODY]);
    expect((await fastify.inject({ method: 'GET', url: '/%763', headers: {} })).statusCode).toBe(302);
  });
});
