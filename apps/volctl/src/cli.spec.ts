import { ENDPOINT, PROJECT, cli } from './test-support/cli-harness';
import { fakeFetch, fault, SeenRequest } from './test-support/fake-api';

const VOL = { id: '11111111-2222-3333-4444-555555555555', name: 'db', status: 'available', size: 1, 'os-vol-host-attr:host': 'host-a@file#pool1' };
const POOLS = { pools: ['host-a@file#pool1', 'host-b@file#pool1', 'host-b@file#pool2'].map((name) => ({ name, capabilities: { free_capacity_gb: 90 } })) };

/** A server with one volume `db` and three pools, that accepts every action. */
function server(extra: (req: SeenRequest) => ReturnType<Parameters<typeof fakeFetch>[0]> = () => undefined) {
  return fakeFetch((req) => {
    const path = req.url.pathname.replace(`/v3/${PROJECT}/`, '');
    return (
      extra(req) ??
      (path === `volumes/${VOL.id}`
        ? { status: 200, body: { volume: VOL } }
        : path === 'volumes/detail'
          ? { status: 200, body: { volumes: req.url.searchParams.get('name') === 'db' ? [VOL] : [] } }
          : path === 'scheduler-stats/get_pools'
            ? { status: 200, body: POOLS }
            : path.endsWith('/action')
              ? { status: 202 }
              : undefined)
    );
  });
}

const actions = (seen: SeenRequest[]) => seen.filter((r) => r.url.pathname.endsWith('/action')).map((r) => r.body);

describe('argument handling and exit codes', () => {
  it('when help is asked, then it prints the commands and exits 0', async () => {
    const res = await cli(['--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/migrate \[options\] <volume> <host>[\s\S]*migrations[\s\S]*volumes[\s\S]*pools/);
    expect((await cli(['migrations', '--help'])).stdout).toMatch(/list[\s\S]*show[\s\S]*watch[\s\S]*cancel[\s\S]*bandwidth[\s\S]*estimate/);
  });

  it.each([
    [['migrate', 'db'], "error: missing required argument 'host'"],
    [['nonsense'], "error: unknown command 'nonsense'"],
    [['pools', '-f', 'yaml'], "error: option '-f, --format <format>' argument 'yaml' is invalid. Allowed choices are table, json, value."],
    [['volumes', 'list', '--bogus'], "error: unknown option '--bogus'"],
  ])('when the command line is %j, then it is a usage error (exit 2)', async (args, message) => {
    const res = await cli(args, { fetch: server().fetch });
    expect(res.code).toBe(2);
    expect(res.stderr.split('\n')[0]).toBe(message);
  });

  it('when a size does not parse, then it is a usage error before any call', async () => {
    const { fetch, seen } = server();
    const res = await cli(['migrate', 'db', 'host-b@file#pool1', '--bandwidth', 'fast'], { fetch });
    expect(res).toMatchObject({ code: 2, stderr: expect.stringMatching(/^volctl: invalid size 'fast'/) });
    expect(seen).toEqual([]);
    expect((await cli(['migrations', 'watch', 'm1', '--interval', '0'], { fetch })).code).toBe(2);
  });

  it('when no credentials are set, then it exits 3 naming what is missing', async () => {
    const res = await cli(['pools'], { env: {} });
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/^volctl: missing credentials: set OS_AUTH_URL/);
  });

  it('when flags give the noauth credentials, then they are used as the variables would be', async () => {
    const { fetch, seen } = server();
    const res = await cli(['--os-auth-type', 'noauth', '--os-endpoint', ENDPOINT, '--os-user-id', 'admin', '--os-project-id', PROJECT, 'pools', '-f', 'value', '-c', 'Name'], { env: {}, fetch });
    expect(res).toEqual({ code: 0, stdout: 'host-a@file#pool1\nhost-b@file#pool1\nhost-b@file#pool2', stderr: '' });
    expect(seen[0].url.href).toBe(`${ENDPOINT}/${PROJECT}/scheduler-stats/get_pools?detail=true`);
  });

  it('when migrate names a volume and a pool, then the action carries the options; --bandwidth is in bytes per second', async () => {
    const { fetch, seen } = server();
    const res = await cli(['migrate', 'db', 'host-a@file#pool1', '--force-host-copy', '--lock-volume', '--bandwidth', '200M'], { fetch });
    expect(res).toEqual({ code: 0, stdout: `Migrating volume db (${VOL.id}) from host-a@file#pool1 to host-a@file#pool1 at up to 200.0 MiB/s.`, stderr: '' });
    expect(actions(seen)).toEqual([{ 'os-migrate_volume': { host: 'host-a@file#pool1', force_host_copy: true, lock_volume: true, bandwidth_bytes_per_second: 200 * 1024 ** 2 } }]);
  });

  it('when migrate names a host that has one pool, then that pool is the destination; an unknown one exits 4', async () => {
    const { fetch, seen } = server();
    expect((await cli(['migrate', VOL.id, 'host-a'], { fetch })).code).toBe(0);
    expect(actions(seen)).toEqual([{ 'os-migrate_volume': { host: 'host-a@file#pool1', force_host_copy: false, lock_volume: false } }]);
    const res = await cli(['migrate', 'db', 'host-z'], { fetch });
    expect(res).toMatchObject({ code: 4, stderr: "volctl: no pool named 'host-z'; pools: host-a@file#pool1, host-b@file#pool1, host-b@file#pool2" });
  });

  it("when bandwidth is 'default', then the limit sent is null (the host's default)", async () => {
    const { fetch, seen } = server();
    expect((await cli(['migrations', 'bandwidth', 'db', 'default'], { fetch })).stdout).toBe(`The migration of volume ${VOL.id} now copies at up to the host's default.`);
    expect((await cli(['migrations', 'bandwidth', 'db', '64M'], { fetch })).code).toBe(0);
    expect(actions(seen)).toEqual([{ 'os-migrate_volume_set_bandwidth': { bytes_per_second: null } }, { 'os-migrate_volume_set_bandwidth': { bytes_per_second: 64 * 1024 ** 2 } }]);
  });

  it('when the server does not support cancel, then it says so and exits 1; --estimate without support still migrates', async () => {
    const noSuchAction = (req: SeenRequest) => {
      if (!req.url.pathname.endsWith('/action')) return undefined;
      const action = Object.keys(req.body as object)[0];
      return action && action !== 'os-migrate_volume' ? fault(400, 'badRequest', `There is no such action: ${action}`) : undefined;
    };
    const cancel = await cli(['migrations', 'cancel', 'db'], { fetch: server(noSuchAction).fetch });
    expect(cancel).toEqual({ code: 1, stdout: '', stderr: 'volctl: this server does not support cancel (needs microversion 3.73): There is no such action: os-migrate_volume_cancel' });

    const { fetch, seen } = server(noSuchAction);
    const migrate = await cli(['migrate', 'db', 'host-b@file#pool1', '--estimate'], { fetch });
    expect(migrate.code).toBe(0);
    expect(migrate.stderr).toBe('volctl: no estimate: this server does not support the pre-flight estimate (needs microversion 3.73): The resource could not be found.');
    expect(actions(seen)).toEqual([{ 'os-migrate_volume': expect.objectContaining({ host: 'host-b@file#pool1' }) }]);
  });

  it('when the server answers with an estimate, then migrate --estimate prints it in a sentence first', async () => {
    const estimate = {
      estimate: { bytes_to_copy: 512 * 1024 ** 2, total_bytes: 1024 ** 3, expected_rate_bytes_per_second: 64 * 1024 ** 2, expected_seconds: 8, basis: { migrations: 3, between: ['host-a@file#pool1', 'host-b@file#pool1'] }, confidence: 'history' },
    };
    const { fetch } = server((req) => (req.url.pathname.endsWith('volume-migrations/estimate') ? { status: 200, body: estimate } : undefined));
    const res = await cli(['migrate', 'db', 'host-b@file#pool1', '--estimate'], { fetch });
    expect(res.stdout.split('\n')[0]).toBe(
      'Estimate: 512.0 MiB of 1.0 GiB to copy at 64.0 MiB/s, about 8s (basis: 3 past migration(s) between host-a@file#pool1 and host-b@file#pool1)',
    );
  });

  it('when a bandwidth is given, then the estimate is asked at it (migrate --estimate and migrations estimate) and says it is the limit', async () => {
    const MIB = 1024 ** 2;
    const estimate = {
      estimate: { bytes_to_copy: 512 * MIB, total_bytes: 1024 ** 3, expected_rate_bytes_per_second: 8 * MIB, expected_seconds: 64, basis: { migrations: 3, between: ['host-a@file', 'host-b@file'] }, confidence: 'history', limited_by: 'bandwidth' },
    };
    const { fetch, seen } = server((req) => (req.url.pathname.endsWith('volume-migrations/estimate') ? { status: 200, body: estimate } : undefined));
    const migrate = await cli(['migrate', 'db', 'host-b@file#pool1', '--estimate', '--bandwidth', '8M'], { fetch });
    expect(migrate.stdout.split('\n')[0]).toBe(
      'Estimate: 512.0 MiB of 1.0 GiB to copy at 8.0 MiB/s (the bandwidth asked for), about 1m 04s (basis: 3 past migration(s) between host-a@file and host-b@file)',
    );
    expect((await cli(['migrations', 'estimate', 'db', 'host-b@file#pool1', '--bandwidth', '8M'], { fetch })).code).toBe(0);
    expect((await cli(['migrations', 'estimate', 'db', 'host-b@file#pool1'], { fetch })).code).toBe(0);
    const asked = seen.filter((r) => r.url.pathname.endsWith('volume-migrations/estimate')).map((r) => r.body);
    expect(asked).toEqual([
      { volume_id: VOL.id, host: 'host-b@file#pool1', bandwidth_bytes_per_second: 8 * MIB },
      { volume_id: VOL.id, host: 'host-b@file#pool1', bandwidth_bytes_per_second: 8 * MIB },
      { volume_id: VOL.id, host: 'host-b@file#pool1' },
    ]);
    expect(actions(seen)).toEqual([{ 'os-migrate_volume': expect.objectContaining({ bandwidth_bytes_per_second: 8 * MIB }) }]);
  });

  it('when a server before the estimate bandwidth refuses the key, then migrate --estimate --bandwidth still migrates, saying why there is no estimate', async () => {
    const refusal = "Invalid input for field/attribute estimate. Value: {}. Additional properties are not allowed ('bandwidth_bytes_per_second' was unexpected)";
    const { fetch, seen } = server((req) => (req.url.pathname.endsWith('volume-migrations/estimate') ? fault(400, 'badRequest', refusal) : undefined));
    const res = await cli(['migrate', 'db', 'host-b@file#pool1', '--estimate', '--bandwidth', '8M'], { fetch });
    expect(res.code).toBe(0);
    expect(res.stderr).toBe(`volctl: no estimate: this server does not support --bandwidth on the estimate (needs microversion 3.73): ${refusal}`);
    expect(actions(seen)).toHaveLength(1);
  });

  it("when a migration's destination bears the volume's name, then cancel by name cancels the source, and the table marks the destination", async () => {
    const source = { ...VOL, migration_status: 'migrating' };
    const destination = { ...VOL, id: '99999999-2222-3333-4444-555555555555', 'os-vol-host-attr:host': 'host-b@file#pool1', migration_status: `target:${VOL.id}` };
    const { fetch, seen } = server((req) => (req.url.pathname.endsWith('volumes/detail') ? { status: 200, body: { volumes: [destination, source] } } : undefined));
    expect(await cli(['migrations', 'cancel', 'db'], { fetch })).toEqual({ code: 0, stdout: `Cancelling the migration of volume ${VOL.id}; the source stays as it was.`, stderr: '' });
    expect(seen.filter((r) => r.url.pathname.endsWith('/action')).map((r) => r.url.pathname)).toEqual([`/v3/${PROJECT}/volumes/${VOL.id}/action`]);
    const names = await cli(['volumes', 'list', '-c', 'Name'], { fetch });
    expect(names.stdout).toMatch(/│ db \(migration destination\) │\n[\s\S]*│ db\s+│/);
    expect(JSON.parse((await cli(['volumes', 'list', '-f', 'json', '-c', 'Name'], { fetch })).stdout)).toEqual([{ Name: 'db' }, { Name: 'db' }]);
  });

  it('when the API refuses, then its fault text is printed after volctl: and nothing else', async () => {
    const { fetch } = server((req) => (req.url.pathname.endsWith('/action') ? fault(400, 'badRequest', 'Invalid volume: Volume status must be available or in-use.') : undefined));
    expect(await cli(['migrate', 'db', 'host-b@file#pool1'], { fetch })).toEqual({ code: 1, stdout: '', stderr: 'volctl: Invalid volume: Volume status must be available or in-use.' });
    const forbidden = server(() => fault(403, 'forbidden', 'Policy does not allow volume_extension:volume_admin_actions:migrate_volume to be performed.'));
    expect((await cli(['pools'], { fetch: forbidden.fetch })).code).toBe(3);
  });
});
