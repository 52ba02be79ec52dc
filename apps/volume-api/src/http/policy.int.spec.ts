import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ConfigError } from '@volume/platform';
import { createTestDatabase, testNatsUrl, TestDatabase } from '@volume/testing';
import { ApiApp, createApiApp } from '../bootstrap';

// The version x role matrix through the real API (PostgreSQL, NATS; noauth with X-Roles, whose
// roles expand as a Keystone token's do), with Cinder's default policy and with a POLICY_FILE that
// moves volume_extension:volume_migration_progress to a custom role. Volumes are rows made with
// SQL: what the policy decides is the subject, not how volumes come to be.

jest.setTimeout(60_000);

const P = 'aaaa1111aaaa1111aaaa1111aaaa1111';
const Q = 'bbbb2222bbbb2222bbbb2222bbbb2222';
const CALLERS = {
  admin: { 'x-auth-token': 'admin:cccc3333cccc3333cccc3333cccc3333' },
  member: { 'x-auth-token': `demo:${P}` },
  reader: { 'x-auth-token': `auditor:${P}`, 'x-roles': 'reader' },
  service: { 'x-auth-token': 'bridge:dddd4444dddd4444dddd4444dddd4444', 'x-roles': 'service' },
  otherMember: { 'x-auth-token': `other:${Q}` },
  observer: { 'x-auth-token': `watcher:${P}`, 'x-roles': 'member,migration_observer' },
  otherObserver: { 'x-auth-token': `watcher2:${Q}`, 'x-roles': 'member,migration_observer' },
};
type Role = keyof typeof CALLERS;

const MIGRATION_KEYS = ['migration_status', 'os-vol-mig-status-attr:migstat', 'os-vol-mig-status-attr:name_id'];
const ADMIN_KEYS = ['os-vol-host-attr:host', 'provider_id', 'cluster_name'];
const TENANT = 'os-vol-tenant-attr:tenant_id';
const PROGRESS = 'migration_progress';
const ALL_KEYS = [...MIGRATION_KEYS, ...ADMIN_KEYS, TENANT, PROGRESS];

let db: TestDatabase;
let migrating: string;
let available: string;
const dir = mkdtempSync(join(tmpdir(), 'policy-int-'));

async function sql(query: string, params: unknown[] = []): Promise<void> {
  const c = new Client({ connectionString: db.url });
  await c.connect();
  try {
    await c.query(query, params);
  } finally {
    await c.end();
  }
}

async function insertVolume(projectId: string, migrationStatus: string | null): Promise<string> {
  const id = randomUUID();
  await sql(
    `INSERT INTO volumes (id, project_id, user_id, size, status, availability_zone, volume_type_id, host, migration_status,
                          migration_progress, name_id, created_at)
     SELECT $1, $2, 'demo', 1, 'available', 'nova', id, 'host-a@file#pool1', $3, '12', $4, now() FROM volume_types WHERE name = '__DEFAULT__'`,
    [id, projectId, migrationStatus, migrationStatus ? randomUUID() : null],
  );
  return id;
}

function startApi(extra: Record<string, string> = {}): Promise<ApiApp> {
  return createApiApp({
    DATABASE_URL: db.url,
    NATS_URL: testNatsUrl(),
    NATS_SUBJECT_PREFIX: `t${randomBytes(6).toString('hex')}`,
    LOG_LEVEL: 'silent',
    API_PORT: '0',
    // The live progress source is never there: the persisted value answers, at once.
    MIGRATION_PROGRESS_TIMEOUT_MS: '1',
    ...extra,
  });
}

function client(get: () => ApiApp) {
  return async (role: Role, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, opts: { version?: string; body?: unknown } = {}) => {
    const headers: Record<string, string> = { host: 'localhost', ...CALLERS[role], 'openstack-api-version': `volume ${opts.version ?? '3.0'}` };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await get().app.inject({ method, url, headers, payload: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
  };
}

beforeAll(async () => {
  db = await createTestDatabase('policy');
  migrating = await insertVolume(P, 'migrating');
  available = await insertVolume(P, null);
  await insertVolume(P, `target:${migrating}`);
  await insertVolume(Q, null);
});

afterAll(async () => {
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe("with Cinder's default policy", () => {
  let api: ApiApp;
  const call = client(() => api);
  beforeAll(async () => (api = await startApi()));
  afterAll(async () => api?.app.close());

  const matrix: [string, Role, string[]][] = [
    ['3.72', 'admin', ALL_KEYS],
    ['3.71', 'admin', [...MIGRATION_KEYS, ...ADMIN_KEYS, TENANT]],
    ['3.72', 'member', [TENANT]],
    ['3.72', 'reader', [TENANT]],
    ['3.0', 'reader', [TENANT]],
    ['3.72', 'service', MIGRATION_KEYS],
    ['3.0', 'service', MIGRATION_KEYS],
  ];

  it.each(matrix)('when a migrating volume is shown at %s to a %s, then exactly %j of the gated keys are present', async (version, role, present) => {
    const res = await call(role, 'GET', `/v3/volumes/${migrating}`, { version });
    expect(res.status).toBe(200);
    for (const key of ALL_KEYS) expect([key, key in res.body.volume]).toEqual([key, present.includes(key)]);
    if (present.includes(PROGRESS)) expect(res.body.volume.migration_progress).toBe('12');
  });

  it("when a member of another project asks for P's volume, then it is not found", async () => {
    expect((await call('otherMember', 'GET', `/v3/volumes/${migrating}`)).status).toBe(404);
  });

  it.each<[string, 'POST' | 'PUT' | 'DELETE', () => string, unknown, string]>([
    ['creates', 'POST', () => '/v3/volumes', { volume: { size: 1 } }, 'volume:create'],
    ['updates', 'PUT', () => `/v3/volumes/${available}`, { volume: { name: 'x' } }, 'volume:update'],
    ['deletes', 'DELETE', () => `/v3/volumes/${available}`, undefined, 'volume:delete'],
    ['resets a status', 'POST', () => `/v3/volumes/${available}/action`, { 'os-reset_status': { status: 'error' } }, 'volume_extension:volume_admin_actions:reset_status'],
  ])('when a reader %s, then Cinder refuses with the rule it failed', async (_what, method, url, body, rule) => {
    const res = await call('reader', method, url(), { body });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ forbidden: { code: 403, message: `Policy doesn't allow ${rule} to be performed.` } });
  });

  it('when a reader attaches, then volume:attachment_create refuses it', async () => {
    const res = await call('reader', 'POST', '/v3/attachments', { version: '3.44', body: { attachment: { volume_uuid: available } } });
    expect([res.status, res.body.forbidden?.message]).toEqual([403, "Policy doesn't allow volume:attachment_create to be performed."]);
  });

  it('when a member updates its own volume, then volume:update lets it; the service user it does not', async () => {
    expect((await call('member', 'PUT', `/v3/volumes/${available}`, { body: { volume: { name: 'renamed' } } })).status).toBe(200);
    expect((await call('service', 'PUT', `/v3/volumes/${available}`, { body: { volume: { name: 'x' } } })).status).toBe(403);
  });

  it('when volumes are listed with all_tenants, then only context_is_admin sees other projects and migration targets', async () => {
    const ids = async (role: Role) => ((await call(role, 'GET', '/v3/volumes/detail?all_tenants=1')).body.volumes as { id: string }[]).length;
    expect(await ids('admin')).toBe(4);
    expect(await ids('member')).toBe(2);
    expect(await ids('reader')).toBe(2);
    expect(await ids('service')).toBe(0);
  });
});

describe('with a POLICY_FILE that moves volume_extension:volume_migration_progress to role:migration_observer', () => {
  let api: ApiApp;
  const call = client(() => api);
  beforeAll(async () => {
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, '# migration progress for observers only\n"volume_extension:volume_migration_progress": "role:migration_observer"\n');
    api = await startApi({ POLICY_FILE: file });
  });
  afterAll(async () => api?.app.close());

  it('when an admin without the role reads the migrating volume at 3.72, then migration_progress is gone and the rest stays', async () => {
    const res = await call('admin', 'GET', `/v3/volumes/${migrating}`, { version: '3.72' });
    expect(res.status).toBe(200);
    expect(res.body.volume).not.toHaveProperty(PROGRESS);
    for (const key of [...MIGRATION_KEYS, ...ADMIN_KEYS]) expect(res.body.volume).toHaveProperty(key);
  });

  it('when a member of the project with the role reads it at 3.72, then it sees migration_progress and nothing of the admin', async () => {
    const res = await call('observer', 'GET', `/v3/volumes/${migrating}`, { version: '3.72' });
    expect(res.status).toBe(200);
    expect(res.body.volume.migration_progress).toBe('12');
    for (const key of [...MIGRATION_KEYS, ...ADMIN_KEYS]) expect(res.body.volume).not.toHaveProperty(key);
  });

  it('when it reads below 3.72, then the microversion still hides the field', async () => {
    expect((await call('observer', 'GET', `/v3/volumes/${migrating}`, { version: '3.71' })).body.volume).not.toHaveProperty(PROGRESS);
  });

  it('when a member of another project has the role, then the volume is still not found to it', async () => {
    expect((await call('otherObserver', 'GET', `/v3/volumes/${migrating}`, { version: '3.72' })).status).toBe(404);
  });
});

describe('with a POLICY_FILE that lets only the owning user see a volume (volume:get: user_id:%(user_id)s)', () => {
  let api: ApiApp;
  const call = client(() => api);
  beforeAll(async () => {
    const file = join(dir, 'owner-only.yaml');
    writeFileSync(file, '"volume:get": "rule:admin_api or user_id:%(user_id)s"\n');
    api = await startApi({ POLICY_FILE: file });
  });
  afterAll(async () => api?.app.close());

  it('when the user who created the volume shows, updates or deletes it, then the volume\'s user_id reached the rule: it may', async () => {
    const own = await insertVolume(P, null);
    expect((await call('member', 'GET', `/v3/volumes/${own}`)).status).toBe(200);
    expect((await call('member', 'PUT', `/v3/volumes/${own}`, { body: { volume: { name: 'mine' } } })).status).toBe(200);
    expect((await call('member', 'DELETE', `/v3/volumes/${own}`)).status).toBe(202);
  });

  it('when another user of the same project asks for it, then it is not found, whatever its role in the project', async () => {
    const res = await call('observer', 'GET', `/v3/volumes/${available}`);
    expect(res).toEqual({ status: 404, body: { itemNotFound: { code: 404, message: `Volume ${available} could not be found.` } } });
    expect((await call('reader', 'GET', `/v3/volumes/${available}`)).status).toBe(404);
    expect((await call('admin', 'GET', `/v3/volumes/${available}`)).status).toBe(200);
  });
});

describe('a POLICY_FILE that cannot be used', () => {
  it.each([
    ['an unknown rule', '"volume:get": "@"\n"volume:gett": "@"\n', 2, 'unknown rule "volume:gett"'],
    ['a syntax error', '\n"volume:get": "(role:admin"\n', 2, 'volume:get: syntax error'],
  ])('when it has %s, then the API does not start, naming the file and the line', async (_what, text, line, reason) => {
    const file = join(dir, `bad-${line}.yaml`);
    writeFileSync(file, text);
    const start = startApi({ POLICY_FILE: file });
    await expect(start).rejects.toBeInstanceOf(ConfigError);
    await expect(start).rejects.toThrow(`POLICY_FILE: policy file ${file} line ${line}: ${reason}`);
  });
});
