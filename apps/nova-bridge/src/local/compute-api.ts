import Fastify, { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import { Logger } from 'pino';
import { isDatabaseUnavailable } from '@volume/persistence';
import { ComputeDeviceEntity, ComputeServerEntity } from '@volume/persistence/compute-host';
import { ComputeCaller } from './compute-auth';
import { ComputeFault } from './compute-fault';
import { ComputePolicy } from './compute-policy';
import { LocalServers } from './servers';

/** The largest guest read or write in one request. */
export const MAX_IO_BYTES = 16 * 1024 * 1024;

type SwapStatus = (caller: ComputeCaller, serverId: string, volumeId: string) => Promise<Record<string, unknown>>;

/** How the compute API knows its callers: who they are, and what a 401 tells clients (keystone). */
export interface ComputeApiAuth {
  authenticate(headers: FastifyRequest['headers']): Promise<ComputeCaller>;
  /** `WWW-Authenticate` of a 401 (`Keystone uri="..."`), as volume-api's; none under noauth. */
  challenge?: string;
}
type Params = { id: string; dev: string; volumeId: string };

/** A non-negative integer query parameter (`required` or defaulting to undefined). */
function intParam(query: unknown, name: string, required: boolean): number | undefined {
  const value = (query as Record<string, string | undefined>)[name];
  if (value === undefined || value === '') {
    if (required) throw ComputeFault.badRequest(`Query parameter ${name} is required.`);
    return undefined;
  }
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw ComputeFault.badRequest(`Invalid input for query parameter ${name}. Value: ${value}. is not a non-negative integer`);
  }
  return Number(value);
}

function checkRange(offset: number, length: number, size: number): void {
  if (length > MAX_IO_BYTES) throw ComputeFault.badRequest(`length ${length} is above the limit of ${MAX_IO_BYTES} bytes.`);
  if (offset + length > size) throw ComputeFault.badRequest(`offset ${offset} + length ${length} is beyond the device's ${size} bytes.`);
}

function serverView(server: ComputeServerEntity, devices: ComputeDeviceEntity[]) {
  return {
    id: server.id,
    name: server.name,
    status: 'ACTIVE',
    tenant_id: server.projectId,
    user_id: server.userId,
    created: server.createdAt.toISOString(),
    updated: server.updatedAt.toISOString(),
    'os-extended-volumes:volumes_attached': devices.map((d) => ({ id: d.volumeId, delete_on_termination: false })),
    devices: devices.map((d) => ({
      device: `/dev/${d.name}`,
      volumeId: d.volumeId,
      attachmentId: d.attachmentId,
      path: d.path,
      sizeBytes: d.sizeBytes,
    })),
  };
}

function attachmentView(d: ComputeDeviceEntity) {
  return { id: d.volumeId, serverId: d.serverId, volumeId: d.volumeId, device: `/dev/${d.name}` };
}

/**
 * The compute API of the local compute host (the table in docs/attached-volume-migration.md). Every
 * route acts for the caller `auth` finds, as volume-api's do.
 */
export function buildComputeApi(servers: LocalServers, swapStatus: SwapStatus, auth: ComputeApiAuth, log: Logger): FastifyInstance {
  const callers = new WeakMap<FastifyRequest, ComputeCaller>();
  const computeCaller = (req: FastifyRequest): ComputeCaller => {
    const caller = callers.get(req);
    if (!caller) throw new Error('compute API route reached without an authenticated caller');
    return caller;
  };
  const app = Fastify({ loggerInstance: log.child({ component: 'compute-api' }) as FastifyBaseLogger, bodyLimit: MAX_IO_BYTES });
  // Before routing and body parsing, as keystonemiddleware sits in front of Nova: no answer but 401 without a token.
  app.addHook('onRequest', async (req) => {
    callers.set(req, await auth.authenticate(req.headers));
  });
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    if (err instanceof ComputeFault) {
      if (err.status === 401 && auth.challenge) reply.header('www-authenticate', auth.challenge);
      return reply.code(err.status).send(err.body);
    }
    // Its database away (restarting): a moment's unavailability, as Nova's API answers it, never a 500.
    if (isDatabaseUnavailable(err)) {
      req.log.warn({ err: err.message }, 'compute API request failed: the database does not answer');
      const fault = new ComputeFault(503, 'The server is currently unavailable. Please try again at a later time.');
      return reply.code(fault.status).send(fault.body);
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const fault = new ComputeFault(status === 413 || status === 415 ? status : 400, err.message);
      return reply.code(fault.status).send(fault.body);
    }
    req.log.error({ err }, 'compute API request failed');
    return reply.code(500).send(new ComputeFault(500, 'Unexpected API Error. Please report this at the compute host.').body);
  });
  app.setNotFoundHandler((_req, reply) => {
    const fault = ComputeFault.notFound('The resource could not be found.');
    return reply.code(404).send(fault.body);
  });

  app.post('/v2.1/servers', async (req, reply) => {
    const caller = computeCaller(req);
    const name = (req.body as { server?: { name?: unknown } } | undefined)?.server?.name;
    if (typeof name !== 'string' || !name.trim() || name.length > 255) {
      throw ComputeFault.badRequest("Invalid input for field/attribute name. Value: a string of 1 to 255 characters is required.");
    }
    const server = await servers.createServer(caller, name);
    return reply.code(202).send({ server: serverView(server, []) });
  });

  app.get<{ Params: Params }>('/v2.1/servers/:id', async (req) => {
    const { server, devices } = await servers.server(computeCaller(req), req.params.id);
    return { server: serverView(server, devices) };
  });

  app.post<{ Params: Params }>('/v2.1/servers/:id/os-volume_attachments', async (req) => {
    const volumeId = (req.body as { volumeAttachment?: { volumeId?: unknown } } | undefined)?.volumeAttachment?.volumeId;
    if (typeof volumeId !== 'string') throw ComputeFault.badRequest("Invalid input for field/attribute volumeAttachment. 'volumeId' is a required property");
    const device = await servers.attach(computeCaller(req), req.params.id, volumeId);
    return { volumeAttachment: attachmentView(device) };
  });

  app.get<{ Params: Params }>('/v2.1/servers/:id/os-volume_attachments', async (req) => {
    const { devices } = await servers.server(computeCaller(req), req.params.id, ComputePolicy.listAttachments);
    return { volumeAttachments: devices.map(attachmentView) };
  });

  app.delete<{ Params: Params }>('/v2.1/servers/:id/os-volume_attachments/:volumeId', async (req, reply) => {
    await servers.detach(computeCaller(req), req.params.id, req.params.volumeId);
    return reply.code(202).send();
  });

  app.get<{ Params: Params }>('/v2.1/servers/:id/os-volume_attachments/:volumeId/swap', async (req) => {
    return { swap: await swapStatus(computeCaller(req), req.params.id, req.params.volumeId) };
  });

  app.get<{ Params: Params }>('/v2.1/servers/:id/devices/:dev/data', async (req, reply) => {
    const offset = intParam(req.query, 'offset', false) ?? 0;
    const length = intParam(req.query, 'length', true) as number;
    const { guest } = await servers.guest(computeCaller(req), req.params.id, req.params.dev, ComputePolicy.readDevice);
    checkRange(offset, length, guest.sizeBytes);
    const data = await guest.read(offset, length);
    return reply.type('application/octet-stream').send(data);
  });

  app.put<{ Params: Params }>('/v2.1/servers/:id/devices/:dev/data', async (req, reply) => {
    const offset = intParam(req.query, 'offset', false) ?? 0;
    if (!Buffer.isBuffer(req.body)) throw new ComputeFault(415, 'A guest write takes a body of Content-Type application/octet-stream.');
    const { guest } = await servers.guest(computeCaller(req), req.params.id, req.params.dev, ComputePolicy.writeDevice);
    checkRange(offset, req.body.length, guest.sizeBytes);
    if (req.body.length) await guest.write(offset, req.body);
    return reply.code(204).send();
  });

  app.post<{ Params: Params }>('/v2.1/servers/:id/devices/:dev/flush', async (req, reply) => {
    const { guest } = await servers.guest(computeCaller(req), req.params.id, req.params.dev, ComputePolicy.writeDevice);
    await guest.flush();
    return reply.code(204).send();
  });

  return app;
}
