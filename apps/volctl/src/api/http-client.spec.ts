import { ApiFault, ExitCode, UnsupportedError } from '../exit-codes';
import { fakeFetch, fault } from '../test-support/fake-api';
import { BlockStorageApi } from './block-storage';
import { BlockStorageHttp, faultMessage } from './http-client';

const SESSION = { endpoint: 'http://api.test/v3/p1', headers: { 'x-auth-token': 'admin:p1' } };
const OLD_SERVER = fault(406, 'computeFault', 'Version 3.73 is not supported by the API. Minimum is 3.0 and maximum is 3.72.');

describe('the Block Storage API client: versions and faults', () => {
  it("when the API answers a Cinder fault, then the fault's message is what is reported, with the exit code of its status", async () => {
    for (const [status, name, code] of [
      [400, 'badRequest', ExitCode.Failed],
      [401, 'unauthorized', ExitCode.Auth],
      [403, 'forbidden', ExitCode.Auth],
      [404, 'itemNotFound', ExitCode.NotFound],
      [500, 'computeFault', ExitCode.Failed],
    ] as const) {
      const http = new BlockStorageHttp(SESSION, fakeFetch(() => fault(status, name, `text of ${status}`)).fetch);
      const err = await http.request<never>('GET', 'volumes/detail').catch((e: ApiFault) => e);
      expect(err).toBeInstanceOf(ApiFault);
      expect([err.message, err.exitCode]).toEqual([`text of ${status}`, code]);
    }
  });

  it('when a fault is not JSON, then its first words and the status are reported', () => {
    expect(faultMessage(502, '<html><body>Bad   gateway</body></html>')).toBe('HTTP 502: <html><body>Bad gateway</body></html>');
    expect(faultMessage(503, '')).toBe('HTTP 503');
  });

  it('when a server below 3.73 answers 406, then the call is made again at its maximum, and later calls start there', async () => {
    const { fetch, seen } = fakeFetch((req) => (req.headers['openstack-api-version'] === 'volume 3.73' ? OLD_SERVER : { status: 200, body: { volumes: [] } }));
    const http = new BlockStorageHttp(SESSION, fetch);
    await http.request('GET', 'volumes/detail');
    await http.request('GET', 'volumes/detail');
    expect(seen.map((r) => r.headers['openstack-api-version'])).toEqual(['volume 3.73', 'volume 3.72', 'volume 3.72']);
    expect(seen[0].headers['x-auth-token']).toBe('admin:p1');
  });

  it('when a call needs 3.73 and the server has less, then it fails naming the feature and the version it needs', async () => {
    const api = new BlockStorageApi(new BlockStorageHttp(SESSION, fakeFetch(() => OLD_SERVER).fetch));
    const err = await api.listMigrations().catch((e) => e);
    expect(err).toBeInstanceOf(UnsupportedError);
    expect(err.message).toBe('this server does not support the volume-migrations resource (needs microversion 3.73): it serves up to 3.72');
    expect(err.exitCode).toBe(ExitCode.Failed);
  });

  it('when the server does not know cancel, bandwidth or estimate, then each says the server does not support it', async () => {
    const api = new BlockStorageApi(
      new BlockStorageHttp(
        SESSION,
        fakeFetch((req) => {
          if (req.url.pathname.endsWith('/action')) return fault(400, 'badRequest', `There is no such action: ${Object.keys(req.body as object)[0]}`);
          return undefined;
        }).fetch,
      ),
    );
    await expect(api.cancelMigration('v1')).rejects.toThrow('this server does not support cancel (needs microversion 3.73): There is no such action: os-migrate_volume_cancel');
    await expect(api.setBandwidth('v1', 1024)).rejects.toThrow(
      'this server does not support runtime bandwidth (needs microversion 3.73): There is no such action: os-migrate_volume_set_bandwidth',
    );
    await expect(api.estimate('v1', 'h@b#p')).rejects.toThrow('this server does not support the pre-flight estimate (needs microversion 3.73): The resource could not be found.');
  });

  it("when migrate's bandwidth is refused by a schema without it, then --bandwidth is named as unsupported; other refusals pass through", async () => {
    const answer = { current: fault(400, 'badRequest', "Additional properties are not allowed ('bandwidth_bytes_per_second' was unexpected)") };
    const { fetch, seen } = fakeFetch(() => answer.current);
    const api = new BlockStorageApi(new BlockStorageHttp(SESSION, fetch));
    await expect(api.migrate('v1', { host: 'h@b#p', bandwidthBytesPerSecond: 1024 })).rejects.toThrow(/^this server does not support --bandwidth on migrate \(needs microversion 3.73\)/);
    expect(seen[0].body).toEqual({ 'os-migrate_volume': { host: 'h@b#p', force_host_copy: false, lock_volume: false, bandwidth_bytes_per_second: 1024 } });
    answer.current = fault(400, 'badRequest', "Invalid host: No available service named 'h@b#p'");
    await expect(api.migrate('v1', { host: 'h@b#p' })).rejects.toThrow(new ApiFault(400, "Invalid host: No available service named 'h@b#p'"));
  });

  it('when the API redirects or answers 200 with something else than JSON, then it is a fault, not a crash', async () => {
    const redirect = new BlockStorageHttp(SESSION, fakeFetch(() => ({ status: 302, body: '', headers: { location: 'http://elsewhere/' } })).fetch);
    await expect(redirect.request('GET', 'volumes/detail')).rejects.toThrow(new ApiFault(302, 'HTTP 302'));
    const html = new BlockStorageHttp(SESSION, fakeFetch(() => ({ status: 200, body: '<html>portal</html>' })).fetch);
    await expect(html.request('GET', 'volumes/detail')).rejects.toThrow('the API answered GET volumes/detail with HTTP 200 and a body that is not JSON');
  });

  it('when the API cannot be reached, then it says where and why (exit 1)', async () => {
    const down = (async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    }) as typeof fetch;
    const err = await new BlockStorageHttp(SESSION, down).request<never>('GET', 'volumes/detail').catch((e: ApiFault) => e);
    expect([err.message, err.exitCode]).toEqual(['cannot reach the Block Storage API at http://api.test/v3/p1: ECONNREFUSED', ExitCode.Failed]);
  });
});
