import { commonConfigSchema, ConfigError, loadConfig } from './config';
import { natsConnectOptions } from './nats-auth';

function problems(source: Record<string, string>): string[] {
  try {
    loadConfig('test-app', commonConfigSchema, source);
    return [];
  } catch (err) {
    return (err as ConfigError).problems;
  }
}

describe('NATS auth settings, validated at start', () => {
  it('when none is set, then the app starts with plain, anonymous NATS', () => {
    expect(problems({})).toEqual([]);
    expect(natsConnectOptions({})).toEqual({});
  });

  it.each([
    [{ NATS_USER: 'u' }, 'NATS_USER is set without NATS_PASSWORD'],
    [{ NATS_PASSWORD: 'p' }, 'NATS_PASSWORD is set without NATS_USER'],
    [{ NATS_USER: 'u', NATS_PASSWORD: 'p', NATS_CREDS: __filename }, 'NATS_CREDS and NATS_USER/NATS_PASSWORD are exclusive: set one'],
    [{ NATS_CREDS: '/nonexistent/app.creds' }, 'NATS_CREDS="/nonexistent/app.creds" cannot be read (ENOENT)'],
    [{ NATS_TLS_CA: '/nonexistent/ca.pem' }, 'NATS_TLS_CA="/nonexistent/ca.pem" cannot be read (ENOENT)'],
  ])('when %j, then the app refuses to start saying what is wrong', (source, problem) => {
    expect(problems(source)).toEqual([problem]);
  });

  it('when a user and password are set, then they go to the connection and the password to no message', () => {
    expect(problems({ NATS_USER: 'u', NATS_PASSWORD: 'secret' })).toEqual([]);
    expect(natsConnectOptions({ NATS_USER: 'u', NATS_PASSWORD: 'secret' })).toEqual({ user: 'u', pass: 'secret' });
  });

  it('when a CA bundle is set, then TLS is required and checked against it', () => {
    expect(natsConnectOptions({ NATS_TLS_CA: '/etc/ca.pem' })).toEqual({ tls: { caFile: '/etc/ca.pem' } });
  });
});
