import { randomUUID } from 'node:crypto';
import { AddressInfo, createServer } from 'node:net';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { CodedError, ErrorCode, SwapVolumeRequest } from '@volume/contracts';
import { createDataSource } from '@volume/persistence';
import { NatsService } from '@volume/platform';
import { createTestDatabase, TestDatabase } from '@volume/testing';
import { loadNovaBridgeConfig } from '../src/config';
import { NovaComputeAdapter, PHASE_CACHE_MS } from '../src/nova/nova-adapter';
import { novaTimestamp, NovaDouble } from './nova-double';

/** The nova adapter against a real HTTP double of Keystone and Nova (no mocked fetch), and a real PostgreSQL. */
describe('nova adapter against a Keystone and Nova double', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let double: NovaDouble;
  let logLines: string[];
  let clock: number;
  const adapters: NovaComputeAdapter[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('novaadapter');
    ds = await createDataSource({ url: db.url }).initialize();
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  beforeEach(async () => {
    double = await NovaDouble.start();
    logLines = [];
    clock = Date.now();
  });

  afterEach(async () => {
    for (const a of adapters.splice(0)) await a.stop();
    await double.close();
  });

  function adapterWith(env: Record<string, string> = {}): NovaComputeAdapter {
    const config = loadNovaBridgeConfig({
      NOVA_ADAPTER: 'nova',
      NOVA_AUTH_URL: double.authUrl,
      NOVA_USERNAME: double.user.name,
      NOVA_PASSWORD: double.user.password,
      NOVA_PROJECT_NAME: double.user.project,
      LOG_LEVEL: 'trace',
      ...env,
    });
    const log = pino({ level: 'trace' }, { write: (line: string) => void logLines.push(line) });
    const adapter = new NovaComputeAdapter({ ds, nats: {} as NatsService, config, log }, { now: () => clock });
    adapters.push(adapter);
    return adapter;
  }

  /** A server with a migrating volume attached, and the destination volume, known to the double. */
  function migratingSwap(migrating = true): SwapVolumeRequest {
    const req = { migrationId: randomUUID(), serverId: randomUUID(), attachmentId: randomUUID(), oldVolumeId: randomUUID(), newVolumeId: randomUUID() };
    double.addServer(req.serverId, [{ volumeId: req.oldVolumeId, migrating }]);
    double.addVolume(req.newVolumeId);
    return req;
  }

  async function refusal(p: Promise<unknown>): Promise<CodedError> {
    const err = await p.then(
      () => {
        throw new Error('the swap was accepted');
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CodedError);
    return err as CodedError;
  }

  function puts() {
    return double.computeRequests().filter((r) => r.method === 'PUT');
  }

  describe('swapVolume', () => {
    it('when Nova accepts, then exactly Cinder’s request was sent once, with the Keystone token, and the reply is accepted', async () => {
      const adapter = adapterWith();
      const req = migratingSwap();
      const requestId = `req-${randomUUID()}`;
      await expect(adapter.swapVolume(req, requestId)).resolves.toEqual({ accepted: true });

      expect(double.authRequests()).toHaveLength(1);
      expect(double.authRequests()[0]).toMatchObject({
        method: 'POST',
        path: '/identity/v3/auth/tokens',
        body: {
          auth: {
            identity: { methods: ['password'], password: { user: { name: 'cinder', domain: { name: 'Default' }, password: double.user.password } } },
            scope: { project: { name: 'service', domain: { name: 'Default' } } },
          },
        },
      });
      const [token] = double.issuedTokens();
      expect(double.computeRequests()).toHaveLength(1);
      const put = double.computeRequests()[0];
      expect(put.method).toBe('PUT');
      expect(put.path).toBe(`/compute/RegionOne/public/v2.1/servers/${req.serverId}/os-volume_attachments/${req.oldVolumeId}`);
      expect(put.body).toEqual({ volumeAttachment: { volumeId: req.newVolumeId } });
      expect(put.headers).toMatchObject({
        'x-auth-token': token,
        'x-openstack-nova-api-version': '2.1',
        'content-type': 'application/json',
        accept: 'application/json',
        'x-openstack-request-id': requestId,
      });
      expect(put.headers).not.toHaveProperty('openstack-api-version');
    });

    it('when no request id is given, then no X-OpenStack-Request-ID is sent; a bare uuid is sent as req-<uuid>', async () => {
      const adapter = adapterWith();
      await adapter.swapVolume(migratingSwap());
      const id = randomUUID();
      await adapter.swapVolume(migratingSwap(), id);
      const [first, second] = puts();
      expect(first.headers).not.toHaveProperty('x-openstack-request-id');
      expect(second.headers['x-openstack-request-id']).toBe(`req-${id}`);
    });

    it.each([
      [{ NOVA_INTERFACE: 'internal', NOVA_REGION_NAME: 'RegionTwo' }, '/compute/RegionTwo/internal/v2.1/'],
      [{ NOVA_INTERFACE: 'public', NOVA_REGION_NAME: 'RegionTwo' }, '/compute/RegionTwo/public/v2.1/'],
      [{ NOVA_INTERFACE: 'internal' }, '/compute/RegionOne/internal/v2.1/'],
      [{}, '/compute/RegionOne/public/v2.1/'],
    ])('when the catalog is filtered by %j, then the PUT goes to %s', async (env, prefix) => {
      const adapter = adapterWith(env as Record<string, string>);
      await adapter.swapVolume(migratingSwap());
      expect(puts()).toHaveLength(1);
      expect(puts()[0].path.startsWith(prefix)).toBe(true);
    });

    it('when NOVA_ENDPOINT_OVERRIDE is set, then the PUT goes there whatever the catalog says (still with the Keystone token)', async () => {
      const adapter = adapterWith({ NOVA_ENDPOINT_OVERRIDE: `${double.url}/compute/Elsewhere/direct/v2.1/`, NOVA_REGION_NAME: 'RegionTwo' });
      const req = migratingSwap();
      await adapter.swapVolume(req);
      expect(puts().map((r) => r.path)).toEqual([`/compute/Elsewhere/direct/v2.1/servers/${req.serverId}/os-volume_attachments/${req.oldVolumeId}`]);
      expect(puts()[0].headers['x-auth-token']).toBe(double.issuedTokens()[0]);
    });

    it('when the catalog has no compute endpoint in the region, then the swap is refused as unavailable, naming the region', async () => {
      const adapter = adapterWith({ NOVA_REGION_NAME: 'RegionNine' });
      const err = await refusal(adapter.swapVolume(migratingSwap()));
      expect(err.code).toBe(ErrorCode.ComputeUnavailable);
      expect(err.message).toMatch(/no compute endpoint for interface public in region RegionNine/);
      expect(puts()).toHaveLength(0);
    });

    it('when two swaps follow each other, then one token serves both; when it nears expiry, then a new one is fetched', async () => {
      const adapter = adapterWith();
      await adapter.swapVolume(migratingSwap());
      await adapter.swapVolume(migratingSwap());
      expect(double.authRequests()).toHaveLength(1);
      expect(new Set(puts().map((r) => r.headers['x-auth-token'])).size).toBe(1);

      clock += (double.tokenLifetimeS - 30) * 1000; // within the refresh margin of expires_at
      await adapter.swapVolume(migratingSwap());
      expect(double.authRequests()).toHaveLength(2);
      const tokens = double.issuedTokens();
      expect(puts().map((r) => r.headers['x-auth-token'])).toEqual([tokens[0], tokens[0], tokens[1]]);
    });

    it('when Nova answers 401 to the PUT, then it is not repeated and is refused as forbidden; the next swap authenticates again', async () => {
      const adapter = adapterWith();
      await adapter.swapVolume(migratingSwap());
      double.revokeTokens();
      const err = await refusal(adapter.swapVolume(migratingSwap()));
      expect(err.code).toBe(ErrorCode.ComputeForbidden);
      expect(puts()).toHaveLength(2);
      expect(double.authRequests()).toHaveLength(1);

      await expect(adapter.swapVolume(migratingSwap())).resolves.toEqual({ accepted: true });
      expect(double.authRequests()).toHaveLength(2);
      expect(puts()).toHaveLength(3);
    });

    it('when the old volume is not migrating, then Nova’s 409 becomes NOVA.CONFLICT with Nova’s message', async () => {
      const adapter = adapterWith();
      const req = migratingSwap(false);
      const err = await refusal(adapter.swapVolume(req));
      expect(err.code).toBe(ErrorCode.ComputeConflict);
      expect(err.message).toContain(`volume ${req.oldVolumeId} is not migrating; this API should only be called by Cinder`);
      expect(puts()).toHaveLength(1);
    });

    it('when the server does not exist, then Nova’s 404 becomes NOVA.NOT_FOUND with Nova’s message', async () => {
      const adapter = adapterWith();
      const req = migratingSwap();
      const err = await refusal(adapter.swapVolume({ ...req, serverId: randomUUID() }));
      expect(err.code).toBe(ErrorCode.ComputeNotFound);
      expect(err.message).toMatch(/Instance [0-9a-f-]{36} could not be found\./);
    });

    it('when the new volume is unknown to Nova, then Nova’s 400 becomes NOVA.BAD_REQUEST with Nova’s message', async () => {
      const adapter = adapterWith();
      const req = migratingSwap();
      const newVolumeId = randomUUID();
      const err = await refusal(adapter.swapVolume({ ...req, newVolumeId }));
      expect(err.code).toBe(ErrorCode.ComputeBadRequest);
      expect(err.message).toContain(`Volume ${newVolumeId} could not be found.`);
    });

    it('when the service user lacks the service (or admin) role, then Nova’s 403 becomes NOVA.FORBIDDEN with the policy name', async () => {
      double.user.roles = ['member'];
      const adapter = adapterWith();
      const err = await refusal(adapter.swapVolume(migratingSwap()));
      expect(err.code).toBe(ErrorCode.ComputeForbidden);
      expect(err.message).toContain('os_compute_api:os-volumes-attachments:swap');
    });

    it('when Nova answers 500, then the swap is refused as unavailable and the PUT was sent exactly once', async () => {
      const adapter = adapterWith();
      double.forceStatus = 500;
      const err = await refusal(adapter.swapVolume(migratingSwap()));
      expect(err.code).toBe(ErrorCode.ComputeUnavailable);
      expect(err.message).toContain('Nova answered 500');
      expect(puts()).toHaveLength(1);
    });

    it('when Nova does not answer within NOVA_TIMEOUT_S, then the swap is refused as unavailable after about that long, PUT sent once', async () => {
      const adapter = adapterWith({ NOVA_TIMEOUT_S: '1' });
      double.delayMs = 3_000;
      const started = Date.now();
      const err = await refusal(adapter.swapVolume(migratingSwap()));
      const took = Date.now() - started;
      expect(err.code).toBe(ErrorCode.ComputeUnavailable);
      expect(err.message).toContain('no answer within the timeout (NOVA_TIMEOUT_S)');
      expect(took).toBeGreaterThanOrEqual(900);
      expect(took).toBeLessThan(2_500);
      expect(puts()).toHaveLength(1);
    });

    it('when the compute endpoint refuses connections, then the swap is refused as unavailable, naming ECONNREFUSED', async () => {
      const port = await closedPort();
      const adapter = adapterWith({ NOVA_ENDPOINT_OVERRIDE: `http://127.0.0.1:${port}/v2.1` });
      const err = await refusal(adapter.swapVolume(migratingSwap()));
      expect(err.code).toBe(ErrorCode.ComputeUnavailable);
      expect(err.message).toContain('ECONNREFUSED');
    });

    it('when Keystone refuses the password, then the swap is refused as forbidden and Nova is never called', async () => {
      const adapter = adapterWith({ NOVA_PASSWORD: 'wrong-password' });
      const err = await refusal(adapter.swapVolume(migratingSwap()));
      expect(err.code).toBe(ErrorCode.ComputeForbidden);
      expect(err.message).toMatch(/Keystone refused to authenticate user cinder/);
      expect(err.message).not.toContain('wrong-password');
      expect(double.computeRequests()).toHaveLength(0);
    });

    it('when Keystone cannot be reached, then the swap is refused as unavailable', async () => {
      const port = await closedPort();
      const adapter = adapterWith({ NOVA_AUTH_URL: `http://127.0.0.1:${port}/identity` });
      const err = await refusal(adapter.swapVolume(migratingSwap()));
      expect(err.code).toBe(ErrorCode.ComputeUnavailable);
      expect(err.message).toContain(`http://127.0.0.1:${port}/identity/v3/auth/tokens`);
    });

    it('when the adapter stops during a PUT, then the PUT is aborted at once and the swap refused as unavailable', async () => {
      const adapter = adapterWith();
      double.delayMs = 5_000;
      const pending = adapter.swapVolume(migratingSwap());
      await waitFor(() => puts().length === 1);
      const started = Date.now();
      await adapter.stop();
      const err = await refusal(pending);
      expect(err.code).toBe(ErrorCode.ComputeUnavailable);
      expect(err.message).toContain('aborted (nova-bridge is stopping)');
      expect(Date.now() - started).toBeLessThan(1_000);
    });
  });

  describe('swapProgress', () => {
    it('when the volume has no swap here, then everything is null and Nova is not asked', async () => {
      const adapter = adapterWith();
      await expect(adapter.swapProgress({ volumeId: randomUUID() })).resolves.toEqual({
        progress: null,
        phase: null,
        cur: null,
        end: null,
        updatedAt: null,
        completion: null,
        source: 'nova',
      });
      expect(double.requests).toHaveLength(0);
    });

    it('when the swap goes through Nova’s phases, then the phase follows the compute_swap_volume event and progress stays null', async () => {
      const adapter = adapterWith();
      const req = migratingSwap();
      await adapter.swapVolume(req);
      await expect(adapter.swapProgress({ volumeId: req.oldVolumeId })).resolves.toMatchObject({ progress: null, phase: 'accepted', source: 'nova' });

      double.startSwapEvent(req.serverId);
      clock += PHASE_CACHE_MS + 1;
      const copying = await adapter.swapProgress({ volumeId: req.oldVolumeId });
      expect(copying).toMatchObject({ progress: null, phase: 'copying', cur: null, end: null, completion: null });
      expect(copying.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

      double.finishSwapEvent(req.serverId, 'Success');
      clock += PHASE_CACHE_MS + 1;
      await expect(adapter.swapProgress({ volumeId: req.oldVolumeId })).resolves.toMatchObject({ progress: null, phase: 'completed', completion: 'success' });
    });

    it('when the swap’s event ends in Error, then the phase is failed', async () => {
      const adapter = adapterWith();
      const req = migratingSwap();
      await adapter.swapVolume(req);
      double.startSwapEvent(req.serverId);
      double.finishSwapEvent(req.serverId, 'Error');
      await expect(adapter.swapProgress({ volumeId: req.oldVolumeId })).resolves.toMatchObject({ phase: 'failed', completion: 'error' });
    });

    it('when asked twice within the cache time, then Nova is read once; after it, again', async () => {
      const adapter = adapterWith();
      const req = migratingSwap();
      await adapter.swapVolume(req);
      const reads = () => double.computeRequests().filter((r) => r.method === 'GET').length;
      await adapter.swapProgress({ volumeId: req.oldVolumeId });
      expect(reads()).toBe(2); // the list, then the action
      double.startSwapEvent(req.serverId);
      clock += PHASE_CACHE_MS - 100;
      await expect(adapter.swapProgress({ volumeId: req.oldVolumeId })).resolves.toMatchObject({ phase: 'accepted' });
      expect(reads()).toBe(2);
      clock += 200;
      await expect(adapter.swapProgress({ volumeId: req.oldVolumeId })).resolves.toMatchObject({ phase: 'copying' });
      expect(reads()).toBe(4);
      const list = double.computeRequests().find((r) => r.method === 'GET')!;
      expect(list.path).toBe(`/compute/RegionOne/public/v2.1/servers/${req.serverId}/os-instance-actions`);
      expect(list.headers).toMatchObject({ 'x-openstack-nova-api-version': '2.1', 'x-auth-token': double.issuedTokens()[0] });
    });

    it('when Nova is slow, then progress answers within ~150 ms with the cached phase (or accepted), and the late answer is used next time', async () => {
      const adapter = adapterWith();
      const req = migratingSwap();
      await adapter.swapVolume(req);
      double.actionsDelayMs = 1_000;

      let started = Date.now();
      await expect(adapter.swapProgress({ volumeId: req.oldVolumeId })).resolves.toMatchObject({ phase: 'accepted', completion: null });
      expect(Date.now() - started).toBeLessThan(190);

      await waitFor(() => double.computeRequests().filter((r) => r.method === 'GET').length === 2, 5_000);
      await sleep(1_100); // the background read finishes
      started = Date.now();
      await expect(adapter.swapProgress({ volumeId: req.oldVolumeId })).resolves.toMatchObject({ phase: 'accepted' });
      expect(Date.now() - started).toBeLessThan(50);

      double.startSwapEvent(req.serverId);
      clock += PHASE_CACHE_MS + 1;
      started = Date.now();
      await expect(adapter.swapProgress({ volumeId: req.oldVolumeId })).resolves.toMatchObject({ phase: 'accepted' });
      expect(Date.now() - started).toBeLessThan(190);
    });

    it('when Nova refuses the token on a read, then the adapter authenticates again and reads once more', async () => {
      const adapter = adapterWith();
      const req = migratingSwap();
      await adapter.swapVolume(req);
      double.revokeTokens();
      await expect(adapter.swapProgress({ volumeId: req.oldVolumeId })).resolves.toMatchObject({ phase: 'accepted' });
      expect(double.authRequests()).toHaveLength(2);
    });

    it('when Nova hides the events (policy), then an action is only known as accepted', async () => {
      const adapter = adapterWith();
      const req = migratingSwap();
      await adapter.swapVolume(req);
      double.startSwapEvent(req.serverId);
      double.hideEvents = true;
      await expect(adapter.swapProgress({ volumeId: req.oldVolumeId })).resolves.toMatchObject({ phase: 'accepted' });
    });
  });

  describe('cancelSwap', () => {
    it('when the volume has no swap here, then the outcome is not-found', async () => {
      const adapter = adapterWith();
      await expect(adapter.cancelSwap({ volumeId: randomUUID(), reason: 'stalled' })).resolves.toEqual({ outcome: 'not-found', phase: null });
    });

    it('when the swap is accepted or copying, then Nova cannot cancel it: unsupported', async () => {
      const adapter = adapterWith();
      const req = migratingSwap();
      await adapter.swapVolume(req);
      await expect(adapter.cancelSwap({ volumeId: req.oldVolumeId, reason: 'stalled' })).resolves.toEqual({ outcome: 'unsupported', phase: 'accepted' });
      double.startSwapEvent(req.serverId);
      // A cancel reads Nova afresh, whatever the progress cache holds.
      await expect(adapter.cancelSwap({ volumeId: req.oldVolumeId, reason: 'stalled' })).resolves.toEqual({ outcome: 'unsupported', phase: 'copying' });
    });

    it('when the swap’s event ended in Error, then it is cancelled (Nova rolled back and sent the completion with error)', async () => {
      const adapter = adapterWith();
      const req = migratingSwap();
      await adapter.swapVolume(req);
      double.startSwapEvent(req.serverId);
      double.finishSwapEvent(req.serverId, 'Error');
      await expect(adapter.cancelSwap({ volumeId: req.oldVolumeId, reason: 'stalled' })).resolves.toEqual({ outcome: 'cancelled', phase: 'failed' });
    });

    it('when the swap’s event ended in Success, then it is past its pivot', async () => {
      const adapter = adapterWith();
      const req = migratingSwap();
      await adapter.swapVolume(req);
      double.startSwapEvent(req.serverId);
      double.finishSwapEvent(req.serverId, 'Success');
      await expect(adapter.cancelSwap({ volumeId: req.oldVolumeId, reason: 'stalled' })).resolves.toEqual({ outcome: 'past-pivot', phase: 'completed' });
    });

    it('when Nova cannot be reached, then the outcome is unsupported (never a cancel that did not happen)', async () => {
      const adapter = adapterWith();
      const req = migratingSwap();
      await adapter.swapVolume(req);
      double.forceStatus = 503;
      await expect(adapter.cancelSwap({ volumeId: req.oldVolumeId, reason: 'stalled' })).resolves.toEqual({ outcome: 'unsupported', phase: null });
    });
  });

  describe('after nova-bridge restarted during a swap', () => {
    /** What the volume service holds for a compute-swap migration: the volumes, the migration, the old attachment. */
    async function persistMigration(req: SwapVolumeRequest, startedAt: Date, finished = false): Promise<void> {
      const typeId = randomUUID();
      await ds.query(`INSERT INTO volume_types (id, name, created_at) VALUES ($1, $2, now())`, [typeId, `t-${typeId}`]);
      for (const id of [req.oldVolumeId, req.newVolumeId]) {
        await ds.query(
          `INSERT INTO volumes (id, project_id, user_id, size, status, availability_zone, volume_type_id, created_at)
           VALUES ($1, 'p', 'u', 1, 'in-use', 'nova', $2, now())`,
          [id, typeId],
        );
      }
      await ds.query(
        `INSERT INTO volume_migrations (id, volume_id, dest_volume_id, source_host, dest_host, mode, status, started_at, updated_at, finished_at)
         VALUES ($1, $2, $3, 'host-a@file#pool1', 'host-b@file#pool1', 'compute-swap', $4, $5, $5, $6)`,
        [req.migrationId, req.oldVolumeId, req.newVolumeId, finished ? 'success' : 'migrating', startedAt, finished ? new Date() : null],
      );
      await ds.query(
        `INSERT INTO volume_attachments (id, volume_id, project_id, instance_uuid, attach_status, created_at)
         VALUES ($1, $2, 'p', $3, 'attached', now())`,
        [req.attachmentId, req.oldVolumeId, req.serverId],
      );
    }

    it('when a new process is asked about a running swap, then it finds the server from the migration: copying, cancel unsupported', async () => {
      const req = migratingSwap();
      await persistMigration(req, new Date());
      await adapterWith().swapVolume(req);
      double.startSwapEvent(req.serverId);

      const restarted = adapterWith();
      await expect(restarted.swapProgress({ volumeId: req.oldVolumeId })).resolves.toMatchObject({ phase: 'copying', source: 'nova' });
      await expect(restarted.cancelSwap({ volumeId: req.oldVolumeId, reason: 'stalled' })).resolves.toEqual({ outcome: 'unsupported', phase: 'copying' });
      double.finishSwapEvent(req.serverId, 'Success');
      await expect(restarted.cancelSwap({ volumeId: req.oldVolumeId, reason: 'stalled' })).resolves.toEqual({ outcome: 'past-pivot', phase: 'completed' });
    });

    it('when the server’s latest swap action predates the migration, then it is not taken for ours (no false cancelled)', async () => {
      const req = migratingSwap();
      await adapterWith().swapVolume(req);
      double.startSwapEvent(req.serverId);
      double.finishSwapEvent(req.serverId, 'Error');
      double.servers.get(req.serverId)!.actions[0].start_time = novaTimestamp(new Date(Date.now() - 3_600_000));
      await persistMigration(req, new Date());

      const restarted = adapterWith();
      await expect(restarted.cancelSwap({ volumeId: req.oldVolumeId, reason: 'stalled' })).resolves.toEqual({ outcome: 'unsupported', phase: 'accepted' });
    });

    it('when the volume’s migration is finished or absent, then the swap is not found', async () => {
      const req = migratingSwap();
      await persistMigration(req, new Date(), true);
      const restarted = adapterWith();
      await expect(restarted.cancelSwap({ volumeId: req.oldVolumeId, reason: 'stalled' })).resolves.toEqual({ outcome: 'not-found', phase: null });
      await expect(restarted.swapProgress({ volumeId: req.oldVolumeId })).resolves.toMatchObject({ phase: null });
      expect(double.computeRequests()).toHaveLength(0);
    });
  });

  it('when the adapter authenticates, swaps, is refused and reads progress at trace level, then neither the password nor a token is logged', async () => {
    const adapter = adapterWith();
    await adapter.start();
    const req = migratingSwap();
    await adapter.swapVolume(req);
    await adapter.swapVolume(migratingSwap(false)).catch(() => undefined);
    double.revokeTokens();
    await adapter.swapVolume(migratingSwap()).catch(() => undefined);
    await adapter.swapProgress({ volumeId: req.oldVolumeId });
    double.forceStatus = 500;
    clock += PHASE_CACHE_MS + 1;
    await adapter.swapProgress({ volumeId: req.oldVolumeId });
    await adapterWith({ NOVA_PASSWORD: `${double.user.password}-wrong` })
      .swapVolume(migratingSwap())
      .catch(() => undefined);

    const log = logLines.join('');
    expect(logLines.length).toBeGreaterThan(4);
    expect(log).toContain('nova accepted the swap');
    expect(log).toContain('keystone token obtained');
    expect(log).not.toContain(double.user.password);
    expect(double.issuedTokens().length).toBeGreaterThan(0);
    for (const token of double.requests.map((r) => r.headers['x-auth-token']).filter(Boolean)) {
      expect(log).not.toContain(token as string);
    }
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(cond: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await sleep(10);
  }
}
