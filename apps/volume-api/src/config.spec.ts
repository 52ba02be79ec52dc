import { Writable } from 'node:stream';
import pino from 'pino';
import { loadApiConfig, warnIfNoauthIsExposed } from './config';
import { serverTimeouts } from './http/server-timeouts';

function warningsFor(env: Record<string, string>): { level: number; msg: string }[] {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  warnIfNoauthIsExposed(loadApiConfig(env), pino({ level: 'info' }, sink));
  return lines;
}

const KEYSTONE = { KEYSTONE_AUTH_URL: 'http://keystone:5000/v3', KEYSTONE_USERNAME: 'cinder', KEYSTONE_PASSWORD: 'secret' };

describe('volume-api configuration', () => {
  it('when keystone is chosen without its auth URL, user and password, then the API refuses to start naming them', () => {
    expect(() => loadApiConfig({ AUTH_STRATEGY: 'keystone' })).toThrow(/KEYSTONE_AUTH_URL is required[\s\S]*KEYSTONE_USERNAME[\s\S]*KEYSTONE_PASSWORD/);
  });

  it('when nothing is set, then the API and the health port listen on loopback only', () => {
    const config = loadApiConfig({});
    expect([config.AUTH_STRATEGY, config.API_HOST, config.HEALTH_HOST]).toEqual(['noauth', '127.0.0.1', '127.0.0.1']);
  });

  it.each<Record<string, string>>([{}, { API_HOST: '::1' }, { API_HOST: 'localhost' }, { API_HOST: '0.0.0.0', AUTH_STRATEGY: 'keystone', ...KEYSTONE }])(
    'when %j, then the start says nothing about exposure',
    (env) => {
      expect(warningsFor(env)).toEqual([]);
    },
  );

  it.each(['0.0.0.0', '::', '192.0.2.10', 'volume-api'])('when noauth listens on %s, then the start warns once, at warn level', (host) => {
    expect(warningsFor({ API_HOST: host })).toEqual([
      expect.objectContaining({ level: 40, msg: expect.stringMatching(/^noauth listens beyond loopback/), API_HOST: host }),
    ]);
  });
});

describe('volume-api HTTP timeouts', () => {
  it('when nothing is set, then headers must be in within 20 s, a request within 60 s, and Node looks every 5 s', () => {
    expect(serverTimeouts(loadApiConfig({}))).toEqual({
      connectionTimeout: 300_000,
      keepAliveTimeout: 72_000,
      requestTimeout: 60_000,
      http: { headersTimeout: 20_000, connectionsCheckingInterval: 5_000 },
    });
  });

  it('when the timeouts are short, then Node looks for expired requests every quarter of the headers timeout, at least every 50 ms', () => {
    const short = { HTTP_HEADERS_TIMEOUT_MS: '600', HTTP_REQUEST_TIMEOUT_MS: '1200', HTTP_CONNECTION_TIMEOUT_MS: '0' };
    expect(serverTimeouts(loadApiConfig(short)).http.connectionsCheckingInterval).toBe(150);
    expect(serverTimeouts(loadApiConfig({ ...short, HTTP_HEADERS_TIMEOUT_MS: '1' })).http.connectionsCheckingInterval).toBe(50);
  });

  it.each<[Record<string, string>, RegExp]>([
    [{ HTTP_REQUEST_TIMEOUT_MS: '0' }, /HTTP_REQUEST_TIMEOUT_MS=0 must be >= 1/],
    [{ HTTP_HEADERS_TIMEOUT_MS: '0' }, /HTTP_HEADERS_TIMEOUT_MS=0 must be >= 1/],
    [{ HTTP_HEADERS_TIMEOUT_MS: '90000' }, /HTTP_HEADERS_TIMEOUT_MS=90000 must be <= HTTP_REQUEST_TIMEOUT_MS=60000/],
    [{ HTTP_CONNECTION_TIMEOUT_MS: '60000' }, /HTTP_CONNECTION_TIMEOUT_MS=60000 must be 0 or > HTTP_REQUEST_TIMEOUT_MS=60000/],
    [{ HTTP_KEEP_ALIVE_TIMEOUT_MS: 'soon' }, /HTTP_KEEP_ALIVE_TIMEOUT_MS="soon" is not an integer/],
  ])('when %j, then the API refuses to start, naming it', (env, problem) => {
    expect(() => loadApiConfig(env)).toThrow(problem);
  });
});
