import { Writable } from 'node:stream';
import Fastify from 'fastify';
import pino from 'pino';
import { AccessLog, requestLogger } from './access-log';

function appLogging(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const logger = pino({ level }, sink);
  const app = Fastify({ loggerInstance: logger, logController: new AccessLog(logger), childLoggerFactory: requestLogger, genReqId: () => 'req-1' });
  app.get('/quiet', async () => ({ ok: true }));
  app.get('/chatty', async (req) => {
    req.log.debug('below the level');
    req.log.warn({ volumeId: 'v1' }, 'something to say');
    return { ok: true };
  });
  app.get('/broken', async () => {
    throw new Error('boom');
  });
  return { app, lines };
}

describe('access log', () => {
  it('when a request is answered at info, then one line says what was asked, the answer and the time, with the request id', async () => {
    const { app, lines } = appLogging('info');
    const res = await app.inject({ method: 'GET', url: '/quiet?x=1' });
    expect(res.statusCode).toBe(200);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        reqId: 'req-1',
        msg: 'request completed',
        req: { method: 'GET', url: '/quiet?x=1', remoteAddress: '127.0.0.1' },
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
      }),
    ]);
    await app.close();
  });

  it("when a handler logs, then its lines carry the request id, and lines below the level are not written", async () => {
    const { app, lines } = appLogging('info');
    await app.inject({ method: 'GET', url: '/chatty' });
    expect(lines.map((l) => [l.msg, l.reqId])).toEqual([
      ['something to say', 'req-1'],
      ['request completed', 'req-1'],
    ]);
    expect(lines[0]).toMatchObject({ level: 40, volumeId: 'v1' });
    await app.close();
  });

  it('when the level is warn, then no access line; errors are still logged with the request id', async () => {
    const { app, lines } = appLogging('warn');
    await app.inject({ method: 'GET', url: '/quiet' });
    expect(lines).toEqual([]);
    const res = await app.inject({ method: 'GET', url: '/broken' });
    expect(res.statusCode).toBe(500);
    expect(lines).toEqual([expect.objectContaining({ level: 50, reqId: 'req-1', msg: 'boom' })]);
    await app.close();
  });
});
