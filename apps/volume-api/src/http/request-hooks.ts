import { IncomingMessage } from 'node:http';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CodedError, ErrorCode } from '@volume/contracts';
import { ApiVersion, buildVersionsDocument, negotiateVersion, versionHeaders } from '@volume/microversion';
import { ApiConfig } from '../config';
import { Authenticator, wwwAuthenticate } from '@volume/auth';
import { sendFault, toFault, transportFault } from './fault';
import { parseJsonBody, UNSTORABLE_TEXT } from './json-body';
import { requestIdHeaders } from './request-id';
import { withContextIsAdmin } from './policy';

/** Cinder's default project_id_regex: a URL segment that is not hex (or '-') is not a project id. */
const PROJECT_IN_URL = /^\/v3\/([0-9a-f-]+)(\/.*)$/;
const urlProjectIds = new WeakMap<IncomingMessage, string>();

/**
 * Cinder routes every /v3 path with and without `{project_id}`; we route only the short form and
 * remember the project id, which must then equal the caller's.
 */
export function rewriteUrl(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const m = PROJECT_IN_URL.exec(url);
  if (!m) return url;
  urlProjectIds.set(req, m[1]);
  return `/v3${m[2]}`;
}

/** eventlet's MAX_REQUEST_LINE, under which Cinder's API runs: longer URLs are refused with 414. */
export const MAX_URL_LENGTH = 8192;

function refuse(reply: FastifyReply, status: number, message: string, echoVersion?: string): FastifyReply {
  if (echoVersion) reply.headers(versionHeaders(echoVersion));
  return sendFault(reply, { status, message });
}

/**
 * 401 with keystonemiddleware's `WWW-Authenticate: Keystone uri=...` (clients read it to find where
 * to get a token); noauth sends none, as Cinder's noauth does.
 */
function refuseAuth(reply: FastifyReply, err: unknown, challenge: string | undefined): FastifyReply {
  const f = toFault(err);
  if (f.status === 401 && challenge) reply.header('www-authenticate', challenge);
  return refuse(reply, f.status, f.message);
}

function baseUrlOf(req: FastifyRequest, config: ApiConfig): string {
  if (config.PUBLIC_ENDPOINT) return config.PUBLIC_ENDPOINT.replace(/\/+$/, '');
  return `${req.protocol}://${req.headers.host ?? `127.0.0.1:${config.API_PORT}`}`;
}

/**
 * Request id, URL checks, auth, microversion and the project check, in Cinder's order, before routing
 * to a controller; and the body parsers. `authenticator` names every caller (the token alone).
 */
export function installRequestHooks(fastify: FastifyInstance, config: ApiConfig, authenticator: Authenticator): void {
  fastify.decorateRequest('ctx', undefined as unknown as FastifyRequest['ctx']);
  const challenge = wwwAuthenticate(config);

  fastify.addHook('onRequest', async (req, reply) => {
    reply.headers(requestIdHeaders(req.id));
    req.ctx = {
      requestId: req.id,
      version: ApiVersion.parse('3.0'),
      urlProjectId: urlProjectIds.get(req.raw),
      baseUrl: baseUrlOf(req, config),
    };
    if (req.originalUrl.length >= MAX_URL_LENGTH) {
      const f = transportFault(414);
      return refuse(reply, f.status, f.message);
    }
    // `%00` is the only way a NUL reaches a URL (the parser refuses a raw one); PostgreSQL stores none.
    if (req.originalUrl.includes('%00')) return refuse(reply, 400, UNSTORABLE_TEXT);
    if (req.is404) return;
    // The route the router chose, not the URL: `/%763/volumes` is `/v3/volumes` to the router (and to
    // Cinder, whose WSGI server decodes the path), so only the route can say what runs.
    const route = req.routeOptions.url ?? '';
    if (route === '/healthz' || route === '/readyz') return;

    // `/v3` itself only redirects; every route under `/v3/` (the version document too) needs auth.
    const onV3 = route.startsWith('/v3/');
    if (onV3) {
      try {
        req.ctx.caller = withContextIsAdmin(await authenticator.authenticate(req.headers));
      } catch (err) {
        return refuseAuth(reply, err, challenge);
      }
    }

    const rawVersion = req.headers['openstack-api-version'];
    const negotiated = negotiateVersion(Array.isArray(rawVersion) ? rawVersion.join(',') : rawVersion);
    if (!negotiated.ok) return refuse(reply, negotiated.status, negotiated.message, negotiated.echoVersion);
    req.ctx.version = negotiated.version;
    reply.headers(versionHeaders(negotiated.version));

    if (onV3 && req.ctx.urlProjectId !== undefined && req.ctx.urlProjectId !== req.ctx.caller?.projectId) {
      return refuse(reply, 400, 'Malformed request url');
    }
  });

  // Nest owns the route table; these three need exact slashes, which Nest's router normalises away.
  fastify.get('/', (req, reply) => reply.code(300).send(buildVersionsDocument(req.ctx.baseUrl)));
  fastify.get('/v3', (_req, reply) => reply.redirect('/v3/', 302));
  fastify.get('/v3/', (req, reply) => reply.send(buildVersionsDocument(req.ctx.baseUrl)));

  // Cinder reads JSON bodies only; an empty body is "no body" (the controller decides).
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(String(body)));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  fastify.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    if (String(body).length === 0) return done(null, undefined);
    done(new CodedError(ErrorCode.UnsupportedMediaType, 'Unsupported Content-Type'), undefined);
  });
}
