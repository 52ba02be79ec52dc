import { randomUUID } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CodedError, ErrorCode } from '@volume/contracts';
import { ApiVersion, negotiateVersion, versionHeaders } from '@volume/microversion';
import { ApiConfig } from '../config';
import { callerFor } from './auth';
import { faultBody, GENERIC_400, toFault } from './fault';

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

export function genReqId(): string {
  return `req-${randomUUID()}`;
}

const NOT_FOUND_TEXT = '404 Not Found\n\nThe resource could not be found.\n\n   ';

function sendFault(reply: FastifyReply, status: number, message: string, echoVersion?: string): FastifyReply {
  if (echoVersion) reply.headers(versionHeaders(echoVersion));
  return reply.code(status).type('application/json').send(faultBody(status, message));
}

function baseUrlOf(req: FastifyRequest, config: ApiConfig): string {
  if (config.PUBLIC_ENDPOINT) return config.PUBLIC_ENDPOINT.replace(/\/+$/, '');
  return `${req.protocol}://${req.headers.host ?? `127.0.0.1:${config.API_PORT}`}`;
}

/** Request id, auth, microversion and the project check, in Cinder's order, before routing to a controller. */
export function installPipeline(fastify: FastifyInstance, config: ApiConfig): void {
  fastify.decorateRequest('ctx', undefined as unknown as FastifyRequest['ctx']);

  fastify.addHook('onRequest', async (req, reply) => {
    reply.header('x-openstack-request-id', req.id);
    reply.header('x-compute-request-id', req.id);
    req.ctx = {
      requestId: req.id,
      version: ApiVersion.parse('3.0'),
      urlProjectId: urlProjectIds.get(req.raw),
      baseUrl: baseUrlOf(req, config),
    };
    if (req.is404) return;
    const path = req.url.split('?')[0];
    if (path === '/healthz' || path === '/readyz') return;

    const onV3 = path.startsWith('/v3/');
    if (onV3) {
      try {
        req.ctx.caller = callerFor(config.AUTH_STRATEGY, req.headers);
      } catch (err) {
        const f = toFault(err);
        return sendFault(reply, f.status, f.message);
      }
    }

    const rawVersion = req.headers['openstack-api-version'];
    const negotiated = negotiateVersion(Array.isArray(rawVersion) ? rawVersion.join(',') : rawVersion);
    if (!negotiated.ok) return sendFault(reply, negotiated.status, negotiated.message, negotiated.echoVersion);
    req.ctx.version = negotiated.version;
    reply.headers(versionHeaders(negotiated.version));

    if (onV3 && req.ctx.urlProjectId !== undefined && req.ctx.urlProjectId !== req.ctx.caller?.projectId) {
      return sendFault(reply, 400, 'Malformed request url');
    }
  });

  fastify.setNotFoundHandler((_req, reply) => {
    reply.code(404).type('text/plain; charset=UTF-8').send(NOT_FOUND_TEXT);
  });

  // Cinder reads JSON bodies only; an empty body is "no body" (the controller decides).
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new CodedError(ErrorCode.BadRequest, 'Malformed request body'), undefined);
    }
  });
  fastify.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    if (String(body).length === 0) return done(null, undefined);
    const err = Object.assign(new Error('Unsupported Content-Type'), { statusCode: 415 });
    done(err, undefined);
  });

  // Errors raised before a controller runs (body parsing, limits) still get Cinder's fault body.
  fastify.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    if (err instanceof CodedError) {
      const f = toFault(err);
      return sendFault(reply, f.status, f.message);
    }
    if (err.statusCode === 415) return sendFault(reply, 415, 'Unsupported Content-Type');
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendFault(reply, 413, 'Request is too large.');
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return sendFault(reply, 400, GENERIC_400);
    _req.log.error({ err }, 'unhandled error');
    const f = toFault(err);
    return sendFault(reply, f.status, f.message);
  });
}
