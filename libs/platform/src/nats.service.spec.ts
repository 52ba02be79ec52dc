import pino from 'pino';
import { CodedError, defineCall, ErrorCode } from '@volume/contracts';
import { testNatsUrl } from '@volume/testing';
import { NatsService } from './nats.service';

const log = pino({ level: 'silent' });
const unique = `t${process.pid}${Date.now()}`;
const echo = defineCall<{ n: number }, { doubled: number }>(`test.${unique}.{host}.echo`, 500);
const slow = defineCall<{ ms: number }, { done: true }>(`test.${unique}.slow`, 100);

describe('NatsService request-reply (real NATS)', () => {
  let server: NatsService;
  let client: NatsService;

  beforeAll(async () => {
    server = await NatsService.connect(testNatsUrl(), 'server', log);
    client = await NatsService.connect(testNatsUrl(), 'client', log);
    server.serve(
      echo,
      ({ n }) => {
        if (n < 0) throw new CodedError(ErrorCode.InvalidVolume, 'negative');
        if (n === 0) throw new Error('boom');
        return { doubled: n * 2 };
      },
      { host: 'host-a' },
    );
    server.serve(slow, async ({ ms }) => {
      await new Promise((r) => setTimeout(r, ms));
      return { done: true as const };
    });
    await server.connection.flush();
  });

  afterAll(async () => {
    await client.drain();
    await server.drain();
  });

  it('when the host serves the subject, then the typed reply comes back', async () => {
    await expect(client.call(echo, { n: 21 }, { host: 'host-a' })).resolves.toEqual({ doubled: 42 });
  });

  it('when the handler throws a CodedError, then the caller gets the same code and message', async () => {
    await expect(client.call(echo, { n: -1 }, { host: 'host-a' })).rejects.toMatchObject({
      code: ErrorCode.InvalidVolume,
      message: 'negative',
    });
  });

  it('when the handler throws anything else, then the caller gets INTERNAL', async () => {
    await expect(client.call(echo, { n: 0 }, { host: 'host-a' })).rejects.toMatchObject({ code: ErrorCode.Internal });
  });

  it('when no host serves the subject, then the caller gets UNAVAILABLE at once', async () => {
    const started = Date.now();
    await expect(client.call(echo, { n: 1 }, { host: 'host-zz' })).rejects.toMatchObject({ code: ErrorCode.Unavailable });
    expect(Date.now() - started).toBeLessThan(400);
  });

  it('when the handler is slower than the contract timeout, then the caller gets TIMEOUT', async () => {
    await expect(client.call(slow, { ms: 400 })).rejects.toMatchObject({ code: ErrorCode.Timeout });
  });

  it('when the host token holds a dot, then the call is refused before sending', async () => {
    await expect(client.call(echo, { n: 1 }, { host: 'a.b' })).rejects.toThrow(/host/);
  });
});
