import pino from 'pino';
import { ComputeCaller } from './compute-auth';
import { buildComputeApi } from './compute-api';
import { LocalServers } from './servers';

// The compute API's answers to failures of what is behind it, with the routes' work stubbed out.

describe('buildComputeApi', () => {
  const serverId = '0d8e5c1a-3b4f-4a6e-9c7d-2e1f0a9b8c7d';
  const caller = { projectId: 'p1', userId: 'u1', roles: ['member'] } as unknown as ComputeCaller;
  const auth = { authenticate: async () => caller };
  const swapStatus = async () => ({});

  function apiWhoseServersFail(err: Error) {
    const servers = {
      attach: async () => {
        throw err;
      },
      detach: async () => {
        throw err;
      },
    } as unknown as LocalServers;
    return buildComputeApi(servers, swapStatus, auth, pino({ level: 'silent' }));
  }

  it('when its database does not answer (PostgreSQL restarting), then an attach or a detach is a 503 with a fault body, never a 500', async () => {
    const app = apiWhoseServersFail(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
    try {
      const attach = await app.inject({ method: 'POST', url: `/v2.1/servers/${serverId}/os-volume_attachments`, payload: { volumeAttachment: { volumeId: serverId } } });
      const detach = await app.inject({ method: 'DELETE', url: `/v2.1/servers/${serverId}/os-volume_attachments/${serverId}` });
      const fault = { serviceUnavailable: { code: 503, message: 'The server is currently unavailable. Please try again at a later time.' } };
      expect([attach, detach].map((r) => ({ status: r.statusCode, body: r.json() }))).toEqual([
        { status: 503, body: fault },
        { status: 503, body: fault },
      ]);
    } finally {
      await app.close();
    }
  });

  it('when something else fails, then it is still the 500 of an unexpected error', async () => {
    const app = apiWhoseServersFail(new Error('a bug'));
    try {
      const res = await app.inject({ method: 'DELETE', url: `/v2.1/servers/${serverId}/os-volume_attachments/${serverId}` });
      expect({ status: res.statusCode, body: res.json() }).toEqual({
        status: 500,
        body: { computeFault: { code: 500, message: 'Unexpected API Error. Please report this at the compute host.' } },
      });
    } finally {
      await app.close();
    }
  });
});
