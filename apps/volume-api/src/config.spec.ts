import { Writable } from 'node:stream';
import pino from 'pino';
import { loadApiConfig, warnIfNoauthIsExposed } from './config';

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
