import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { ApiApp, createApiApp } from '@volume/api-app';
import { TestKeystone } from '@volume/testing';
import { TestStack } from '@volume/testing-stack';

const run = promisify(execFile);

const DEFAULT_SET = { volumes: 10, per_volume_gigabytes: -1, snapshots: 10, gigabytes: 1000, backups: 10, backup_gigabytes: 1000, groups: 10 };
const GENERIC_400 = 'The server could not comply with the request since it is either malformed or otherwise incorrect.';

/** A project of the test's own (hex, as Cinder's project_id_regex wants it), with an admin and a member of it. */
function newProject() {
  const id = randomUUID().replace(/-/g, '');
  return { id, admin: { 'x-auth-token': `admin:${id}` }, member: { 'x-auth-token': `demo:${id}` } };
}
type Project = ReturnType<typeof newProject>;

describe('quotas: os-quota-sets and their enforcement (real apps, PostgreSQL, NATS)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    // Cinder's defaults, which the harness lifts for the other suites.
    stack = await TestStack.start({ apiEnv: { QUOTA_VOLUMES: '10', QUOTA_GIGABYTES: '1000' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const quotaUrl = (caller: Project, target: string, suffix = '') => `/v3/${caller.id}/os-quota-sets/${target}${suffix}`;
  const usageOf = async (p: Project) => (await stack.request('GET', quotaUrl(p, p.id, '?usage=true'), { headers: p.admin })).body.quota_set;
  const setQuota = (p: Project, quotaSet: Record<string, unknown>) =>
    stack.request('PUT', quotaUrl(p, p.id), { headers: p.admin, body: { quota_set: quotaSet } });
  const createVolume = (p: Project, size = 1) => stack.request('POST', `/v3/${p.id}/volumes`, { headers: p.admin, body: { volume: { size } } });
  const statuses = async (p: Project): Promise<string[]> =>
    (await stack.sql(`SELECT status FROM volumes WHERE project_id = $1 ORDER BY status`, [p.id])).map((r) => r.status);

  describe('os-quota-sets', () => {
    it('when a project set nothing, then show and defaults list Cinder\'s resources with the configured defaults and the id', async () => {
      const p = newProject();
      const other = newProject().id;
      for (const suffix of ['', '/defaults']) {
        const res = await stack.request('GET', quotaUrl(p, other, suffix), { headers: p.admin });
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ quota_set: { ...DEFAULT_SET, id: other } });
      }
    });

    it('when usage=true, then each resource shows limit, in_use, reserved and allocated, counting the project\'s volumes', async () => {
      const p = newProject();
      expect((await createVolume(p, 2)).status).toBe(202);
      expect((await createVolume(p, 3)).status).toBe(202);
      const set = await usageOf(p);
      expect(set.volumes).toEqual({ limit: 10, in_use: 2, reserved: 0, allocated: 0 });
      expect(set.gigabytes).toEqual({ limit: 1000, in_use: 5, reserved: 0, allocated: 0 });
      expect(set.snapshots).toEqual({ limit: 10, in_use: 0, reserved: 0, allocated: 0 });
      expect(set.id).toBe(p.id);
      const bad = await stack.request('GET', quotaUrl(p, p.id, '?usage=maybe'), { headers: p.admin });
      expect(bad.status).toBe(400);
      expect(bad.body.badRequest.message).toBe("Value 'maybe' for 'usage' is not a boolean.");
    });

    it('when a member asks, then its own project\'s quota shows, another project\'s is 403 as Cinder\'s admin_or_owner rule', async () => {
      const p = newProject();
      expect((await stack.request('GET', quotaUrl(p, p.id, '?usage=true'), { headers: p.member })).status).toBe(200);
      expect((await stack.request('GET', quotaUrl(p, p.id, '/defaults'), { headers: p.member })).status).toBe(200);
      for (const suffix of ['', '/defaults']) {
        const other = await stack.request('GET', quotaUrl(p, newProject().id, suffix), { headers: p.member });
        expect(other.status).toBe(403);
        expect(other.body).toEqual({ forbidden: { code: 403, message: "Policy doesn't allow volume_extension:quotas:show to be performed." } });
      }
    });

    it('when an admin updates, then the limits change (the answer has no id), unknown resources keep their defaults, and delete restores them', async () => {
      const p = newProject();
      // A numeric string is taken where Cinder never compares it with the usage: per_volume_gigabytes.
      const res = await setQuota(p, { tenant_id: p.id, volumes: 3, gigabytes: 50, per_volume_gigabytes: '5' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ quota_set: { ...DEFAULT_SET, volumes: 3, gigabytes: 50, per_volume_gigabytes: 5 } });
      expect((await stack.request('GET', quotaUrl(p, p.id), { headers: p.member })).body.quota_set).toMatchObject({ volumes: 3, gigabytes: 50 });

      const gone = await stack.request('DELETE', quotaUrl(p, p.id), { headers: p.admin });
      expect(gone.status).toBe(200);
      expect(gone.text).toBe('');
      expect((await stack.request('GET', quotaUrl(p, p.id), { headers: p.admin })).body).toEqual({ quota_set: { ...DEFAULT_SET, id: p.id } });
    });

    it('when a member updates or deletes, then 403; a member\'s bad body is judged first, as Cinder validates before its policy', async () => {
      const p = newProject();
      const update = await stack.request('PUT', quotaUrl(p, p.id), { headers: p.member, body: { quota_set: { volumes: 100 } } });
      expect(update.status).toBe(403);
      expect(update.body.forbidden.message).toBe("Policy doesn't allow volume_extension:quotas:update to be performed.");
      const remove = await stack.request('DELETE', quotaUrl(p, p.id), { headers: p.member });
      expect(remove.status).toBe(403);
      expect(remove.body.forbidden.message).toBe("Policy doesn't allow volume_extension:quotas:delete to be performed.");
      const bad = await stack.request('PUT', quotaUrl(p, p.id), { headers: p.member, body: { quota_set: { volumes: -5 } } });
      expect(bad.status).toBe(400);
      expect((await usageOf(p)).volumes.limit).toBe(10);
    });

    it.each([
      [{ quota_set: { volumes: -2 } }, 'volumes must be >= -1'],
      [{ quota_set: { gigabytes: 'lots' } }, 'gigabytes must be an integer'],
      [{ quota_set: { volumes: 2.5 } }, 'volumes must be an integer'],
      [{ quota_set: { volumes: 1, floating_ips: 1, cores: 2 } }, 'Invalid input received: Bad key(s) in quota set: floating_ips, cores'],
      [{ quota_set: {} }, 'Invalid input for field/attribute quota_set. Value: {}. {} does not have enough properties'],
      [{ quota: { volumes: 1 } }, "'quota_set' is a required property"],
      [{ quota_set: { volumes: 1 }, force: true }, "Additional properties are not allowed ('force' was unexpected)"],
      [{ quota_set: { volumes: '5' } }, GENERIC_400],
    ])('when the body is %j, then 400 with Cinder\'s text, and nothing changes', async (body, message) => {
      const p = newProject();
      const res = await stack.request('PUT', quotaUrl(p, p.id), { headers: p.admin, body });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ badRequest: { code: 400, message } });
      expect((await stack.request('GET', quotaUrl(p, p.id), { headers: p.admin })).body).toEqual({ quota_set: { ...DEFAULT_SET, id: p.id } });
    });

    it('when the target id is over 255 characters, then Cinder\'s length text', async () => {
      const p = newProject();
      const res = await stack.request('PUT', quotaUrl(p, 'x'.repeat(256)), { headers: p.admin, body: { quota_set: { volumes: 1 } } });
      expect(res.status).toBe(400);
      expect(res.body.badRequest.message).toBe('Invalid input received: quota_set_name has 256 characters, more than 255.');
    });

    it('when a project with a limit of its own would get less than it uses, then Cinder\'s 400 and the limit stays', async () => {
      const p = newProject();
      expect((await setQuota(p, { volumes: 5 })).status).toBe(200);
      await createVolume(p);
      await createVolume(p);
      const res = await setQuota(p, { volumes: 1 });
      expect(res.status).toBe(400);
      expect(res.body.badRequest.message).toBe(
        'Quota volumes limit must be equal or greater than existing resources. Current usage is 2 and the requested limit is 1.',
      );
      expect((await setQuota(p, { volumes: 2 })).status).toBe(200);
      expect((await usageOf(p)).volumes).toMatchObject({ limit: 2, in_use: 2 });
    });
  });

  describe('enforcement', () => {
    it('when 20 creates race against a quota of 10 volumes, then 10 are accepted and made, 10 get 413 overLimit with Retry-After', async () => {
      const p = newProject();
      const replies = await Promise.all(Array.from({ length: 20 }, () => createVolume(p)));
      const refused = replies.filter((r) => r.status === 413);
      expect(replies.filter((r) => r.status === 202)).toHaveLength(10);
      expect(refused).toHaveLength(10);
      for (const r of refused) {
        expect(r.body).toEqual({
          overLimit: { code: 413, message: "VolumeLimitExceeded: Maximum number of volumes allowed (10) exceeded for quota 'volumes'.", retryAfter: '0' },
        });
        expect(r.headers['retry-after']).toBe('0');
      }
      await stack.waitFor(async () => (await statuses(p)).every((s) => s === 'available'), 'the accepted volumes to be available');
      expect(await statuses(p)).toEqual(Array(10).fill('available'));
      expect((await usageOf(p)).volumes.in_use).toBe(10);
    });

    it('when a volume is over the gigabytes or the per-volume limit, then Cinder\'s 413 texts', async () => {
      const p = newProject();
      expect((await setQuota(p, { gigabytes: 5, per_volume_gigabytes: 4 })).status).toBe(200);
      const tooBig = await createVolume(p, 5);
      expect(tooBig.status).toBe(413);
      expect(tooBig.body.overLimit.message).toBe('VolumeSizeExceedsLimit: Requested volume size 5G is larger than maximum allowed limit 4G.');
      expect((await createVolume(p, 4)).status).toBe(202);
      const over = await createVolume(p, 2);
      expect(over.status).toBe(413);
      expect(over.body.overLimit.message).toBe(
        'VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 2G, quota is 5G and 4G has been consumed.',
      );
    });

    it('when volumes are deleted or fail to be made, then their quota comes back, once, and usage equals a recount', async () => {
      const p = newProject();
      expect((await setQuota(p, { volumes: 3, gigabytes: 10_000 })).status).toBe(200);
      expect((await createVolume(p, 1)).status).toBe(202);
      const deleted = (await createVolume(p, 2)).body.volume.id;
      // No pool takes 5000 GiB (100 each, over-subscribed 20 times at most): the scheduler fails the create.
      const failed = (await createVolume(p, 5000)).body.volume.id;
      await stack.waitFor(async () => (await statuses(p)).join() === 'available,available,error', 'two volumes made, one failed');
      expect((await usageOf(p)).volumes.in_use).toBe(2);
      expect((await usageOf(p)).gigabytes.in_use).toBe(3);

      expect((await stack.request('DELETE', `/v3/${p.id}/volumes/${deleted}`, { headers: p.admin })).status).toBe(202);
      expect((await stack.request('DELETE', `/v3/${p.id}/volumes/${failed}`, { headers: p.admin })).status).toBe(202);
      await stack.waitFor(async () => (await statuses(p)).join() === 'available', 'the deletes');
      expect((await usageOf(p)).volumes).toMatchObject({ limit: 3, in_use: 1 });
      expect((await usageOf(p)).gigabytes.in_use).toBe(1);
      const [recount] = await stack.sql(`SELECT count(*)::int AS volumes, sum(size)::int AS gigabytes FROM volumes WHERE project_id = $1 AND use_quota`, [p.id]);
      expect(recount).toEqual({ volumes: 1, gigabytes: 1 });
    });
  });

  // cinderclient with noauth against the stack's API; the openstack client as a cloud's user would
  // run it: a real Keystone, whose catalogue lists a second API of the same stack in keystone mode.
  // Both act on one project, Keystone's `demo`, so that each sees what the other changed.
  describe('the real clients', () => {
    let apiUrl: string;
    let keystone: TestKeystone;
    let keystoneApi: ApiApp;
    let p: Project;
    const cinder = (...args: string[]) =>
      run('cinder', ['--os-auth-type', 'noauth', '--os-endpoint', `${apiUrl}/v3`, '--os-user-id', 'admin', '--os-project-id', p.id, ...args]);

    beforeAll(async () => {
      keystone = await TestKeystone.start();
      const id = keystone.projects.demo;
      p = { id, admin: { 'x-auth-token': `admin:${id}` }, member: { 'x-auth-token': `demo:${id}` } };
      await stack.api.app.listen(0, '127.0.0.1');
      apiUrl = `http://127.0.0.1:${(stack.api.app.getHttpServer().address() as { port: number }).port}`;
      keystoneApi = await createApiApp({ ...stack.env, API_PORT: '0', QUOTA_VOLUMES: '10', QUOTA_GIGABYTES: '1000', ...keystone.authEnv() });
      await keystoneApi.app.listen(0, '127.0.0.1');
      const { port } = keystoneApi.app.getHttpServer().address() as { port: number };
      await keystone.registerVolumeEndpoint(`http://127.0.0.1:${port}/v3/%(project_id)s`);
      expect((await createVolume(p, 3)).status).toBe(202);
    }, 300_000);

    afterAll(async () => {
      await keystoneApi?.app.close();
      await keystone?.stop();
    }, 60_000);

    /** The value column of a cinderclient table row, or the columns of a list row. */
    const row = (table: string, name: string): string[] =>
      (table.split('\n').find((line) => line.startsWith(`| ${name} `)) ?? '').split('|').slice(2, -1).map((cell) => cell.trim());

    it('when cinder quota-update, quota-show, quota-usage and quota-defaults run, then they print the figures', async () => {
      const updated = await cinder('quota-update', '--volumes', '7', '--gigabytes', '70', p.id);
      expect(row(updated.stdout, 'volumes')).toEqual(['7']);
      expect(row(updated.stdout, 'gigabytes')).toEqual(['70']);

      const shown = await cinder('quota-show', p.id);
      expect(row(shown.stdout, 'volumes')).toEqual(['7']);
      expect(row(shown.stdout, 'per_volume_gigabytes')).toEqual(['-1']);

      // Type, In_use, Reserved, Limit, Allocated
      const usage = await cinder('quota-usage', p.id);
      expect(row(usage.stdout, 'volumes')).toEqual(['1', '0', '7', '0']);
      expect(row(usage.stdout, 'gigabytes')).toEqual(['3', '0', '70', '0']);

      const defaults = await cinder('quota-defaults', p.id);
      expect(row(defaults.stdout, 'volumes')).toEqual(['10']);
      expect(row(defaults.stdout, 'gigabytes')).toEqual(['1000']);
    }, 60_000);

    // openstackclient 6.0 (Debian's) builds a compute client for `quota show` and this cloud has no
    // compute service; `quota list --volume --project` is its volume-only form (later clients:
    // `quota show --volume`), the same GET os-quota-sets/{project} with the defaults beside it.
    it('when the admin runs openstack quota list --volume for the project, then it prints its volume quotas (Keystone names the project)', async () => {
      // Nothing of this machine's own OS_* settings.
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8', ...keystone.cliEnv('admin') };
      const { stdout } = await run('openstack', ['quota', 'list', '--volume', '--project', 'demo', '-f', 'json'], { env, timeout: 120_000 });
      expect(JSON.parse(stdout)).toEqual([
        {
          'Project ID': p.id,
          Volumes: 7,
          Gigabytes: 70,
          'Per Volume Gigabytes': -1,
          Snapshots: 10,
          Backups: 10,
          'Backup Gigabytes': 1000,
        },
      ]);
    }, 60_000);

    it('when cinder quota-delete runs, then the project is back to the defaults', async () => {
      await cinder('quota-delete', p.id);
      const shown = await cinder('quota-show', p.id);
      expect(row(shown.stdout, 'volumes')).toEqual(['10']);
      expect(row(shown.stdout, 'gigabytes')).toEqual(['1000']);
    }, 60_000);
  });
});
