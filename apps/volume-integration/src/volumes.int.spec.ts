import { existsSync, statSync } from 'node:fs';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { VolumeEntity } from '@volume/persistence';
import { Caller, volumeQuery, VolumesService } from '@volume/api-app';
import { ADMIN, MEMBER, OTHER_MEMBER, OTHER_PROJECT, PROJECT, TestStack } from '@volume/testing-stack';

const V = `/v3/${PROJECT}/volumes`;
const INSTANCE = '3f0c2a52-8c1e-4d6f-9a77-1b2c3d4e5f60';

describe('volume lifecycle through the HTTP API (real apps, PostgreSQL, NATS)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await TestStack.start();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('when a volume is created, then it is placed on a pool, becomes available and its sparse file exists', async () => {
    const res = await stack.request('POST', V, { headers: ADMIN, version: '3.70', body: { volume: { size: 2, name: 'lc', metadata: { a: '1' } } } });
    expect(res.status).toBe(202);
    expect(res.body.volume).toMatchObject({ status: 'creating', size: 2, name: 'lc', metadata: { a: '1' }, volume_type: '__DEFAULT__' });
    expect(res.body.volume).not.toHaveProperty('os-vol-host-attr:host');
    const id = res.body.volume.id;
    await stack.waitFor(async () => (await stack.request('GET', `${V}/${id}`, { headers: ADMIN })).body.volume.status === 'available', 'available');

    const shown = await stack.request('GET', `${V}/${id}`, { headers: ADMIN, version: '3.70' });
    expect(shown.body.volume['os-vol-host-attr:host']).toMatch(/^host-[ab]@file#pool[12]$/);
    expect(shown.body.volume.service_uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(shown.body.volume.shared_targets).toBe(false);
  });

  it('when a member lists, then only their project shows, without admin keys; another project gets 404 on show', async () => {
    const mine = await stack.createVolume({ size: 1, name: 'mine' }, MEMBER);
    const theirs = await stack.request('POST', `/v3/${OTHER_PROJECT}/volumes`, { headers: OTHER_MEMBER, body: { volume: { size: 1, name: 'theirs' } } });
    expect(theirs.status).toBe(202);

    const list = await stack.request('GET', `${V}/detail`, { headers: MEMBER, version: '3.70' });
    expect(list.status).toBe(200);
    const names = list.body.volumes.map((v: { name: string }) => v.name);
    expect(names).toContain('mine');
    expect(names).not.toContain('theirs');
    for (const v of list.body.volumes) {
      for (const k of ['migration_status', 'os-vol-host-attr:host', 'os-vol-mig-status-attr:migstat', 'provider_id', 'cluster_name']) {
        expect(v).not.toHaveProperty(k);
      }
    }
    const other = await stack.request('GET', `${V}/${theirs.body.volume.id}`, { headers: MEMBER });
    expect(other.status).toBe(404);
    const shown = await stack.request('GET', `${V}/${mine}`, { headers: MEMBER });
    expect(shown.body.volume['os-vol-tenant-attr:tenant_id']).toBe(PROJECT);
  });

  it('when a volume is updated, then name, description and metadata change; {} at 3.53 is refused as Cinder', async () => {
    const id = await stack.createVolume({ size: 1, name: 'before' });
    const ok = await stack.request('PUT', `${V}/${id}`, { headers: ADMIN, version: '3.70', body: { volume: { name: 'after', description: 'd', metadata: { k: 'v' } } } });
    expect(ok.status).toBe(200);
    expect(ok.body.volume).toMatchObject({ name: 'after', description: 'd', metadata: { k: 'v' } });
    const bad = await stack.request('PUT', `${V}/${id}`, { headers: ADMIN, version: '3.70', body: { volume: {} } });
    expect(bad.status).toBe(400);
    expect(bad.body.badRequest.message).toBe('Invalid input for field/attribute volume. Value: {}. {} is not valid under any of the given schemas');
  });

  it('when attached, completed and detached through attachments, then the volume goes reserved → in-use → available', async () => {
    const id = await stack.createVolume({ size: 1 });
    const created = await stack.request('POST', `/v3/${PROJECT}/attachments`, {
      headers: ADMIN,
      version: '3.44',
      body: { attachment: { volume_uuid: id, instance_uuid: INSTANCE, connector: { host: 'compute-1', mountpoint: '/dev/vdb' } } },
    });
    expect(created.status).toBe(200);
    const att = created.body.attachment;
    expect(att.connection_info.driver_volume_type).toBe('local');
    const device = att.connection_info.data.device_path as string;
    expect(existsSync(device)).toBe(true);
    expect(statSync(device).size).toBe(1024 ** 3);

    const refused = await stack.request('DELETE', `${V}/${id}`, { headers: ADMIN });
    expect(refused.status).toBe(400);

    const done = await stack.request('POST', `/v3/${PROJECT}/attachments/${att.id}/action`, { headers: ADMIN, version: '3.44', body: { 'os-complete': null } });
    expect(done.status).toBe(204);
    const inUse = await stack.request('GET', `${V}/${id}`, { headers: ADMIN, version: '3.44' });
    expect(inUse.body.volume.status).toBe('in-use');
    expect(inUse.body.volume.attachments).toEqual([
      expect.objectContaining({ attachment_id: att.id, server_id: INSTANCE, host_name: 'compute-1', device: '/dev/vdb' }),
    ]);

    const del = await stack.request('DELETE', `/v3/${PROJECT}/attachments/${att.id}`, { headers: ADMIN, version: '3.44' });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ attachments: [] });
    const after = await stack.request('GET', `${V}/${id}`, { headers: ADMIN });
    expect(after.body.volume.status).toBe('available');
    expect(after.body.volume.attachments).toEqual([]);
  });

  it('when a volume is deleted, then it answers 202, its row and its file go away', async () => {
    const id = await stack.createVolume({ size: 1 });
    const att = await stack.request('POST', `/v3/${PROJECT}/attachments`, {
      headers: ADMIN,
      version: '3.27',
      body: { attachment: { volume_uuid: id, instance_uuid: INSTANCE, connector: { host: 'h' } } },
    });
    const device = att.body.attachment.connection_info.data.device_path as string;
    await stack.request('DELETE', `/v3/${PROJECT}/attachments/${att.body.attachment.id}`, { headers: ADMIN, version: '3.27' });

    const res = await stack.request('DELETE', `${V}/${id}`, { headers: ADMIN });
    expect(res.status).toBe(202);
    await stack.waitFor(async () => (await stack.request('GET', `${V}/${id}`, { headers: ADMIN })).status === 404, 'deleted');
    expect(existsSync(device)).toBe(false);
  });

  it('when pages are asked with limit and marker, then they walk the list without overlap and count shows at 3.45', async () => {
    for (let i = 0; i < 3; i++) await stack.createVolume({ size: 1, name: `page-${i}` });
    const first = await stack.request('GET', `${V}?limit=2&sort=name:asc&with_count=true`, { headers: ADMIN, version: '3.45' });
    expect(first.status).toBe(200);
    expect(first.body.volumes).toHaveLength(2);
    expect(typeof first.body.count).toBe('number');
    const next = new URL(first.body.volumes_links[0].href);
    const second = await stack.request('GET', `${next.pathname}${next.search}`, { headers: ADMIN, version: '3.45' });
    const seen = [...first.body.volumes, ...second.body.volumes].map((v: { id: string }) => v.id);
    expect(new Set(seen).size).toBe(seen.length);
    const names = [...first.body.volumes, ...second.body.volumes].map((v: { name: string }) => v.name);
    // Ascending puts volumes without a name first (as Cinder on MySQL does), then by name.
    const named = names.filter((n: string | null) => n !== null);
    expect(names).toEqual([...names.filter((n: string | null) => n === null), ...[...named].sort()]);
  });

  it('when list parameters are bad, then Cinder refuses them with its texts', async () => {
    const cases: [string, string][] = [
      ['limit=abc', 'limit param must be an integer'],
      ['limit=-1', 'limit param must be positive'],
      ['sort_key=bogus', 'Invalid input received: Invalid sort key'],
      ['sort=name:sideways', "Invalid input received: Unknown sort direction, must be 'desc' or 'asc'."],
      ['marker=00000000-0000-0000-0000-000000000000', 'Volume 00000000-0000-0000-0000-000000000000 could not be found.'],
    ];
    for (const [q, message] of cases) {
      const res = await stack.request('GET', `${V}?${q}`, { headers: ADMIN, version: '3.70' });
      expect([res.status, res.body]).toEqual([expect.any(Number), { [res.status === 404 ? 'itemNotFound' : 'badRequest']: { code: res.status, message } }]);
    }
    const member = await stack.request('GET', `${V}?host=x`, { headers: MEMBER, version: '3.31' });
    expect(member.status).toBe(400);
    expect(member.body.badRequest.message).toBe('Invalid filters host are found in query options.');
    const old = await stack.request('GET', `${V}?host=x`, { headers: MEMBER, version: '3.30' });
    expect(old.status).toBe(200);
  });

  it('when the summary is asked below 3.12, then 404; from 3.12 the totals of the project', async () => {
    expect((await stack.request('GET', `${V}/summary`, { headers: ADMIN, version: '3.11' })).status).toBe(404);
    const res = await stack.request('GET', `${V}/summary`, { headers: ADMIN, version: '3.36' });
    expect(res.status).toBe(200);
    expect(res.body['volume-summary'].total_count).toBeGreaterThan(0);
    expect(res.body['volume-summary']).toHaveProperty('metadata');
  });

  it('when bad input arrives, then never a 500', async () => {
    const bodies = ['[]', '"x"', '{"volume": []}', '{"volume": {"size": 1, "metadata": {"k": 1}}}', '{"volume": {"size": 1e30}}', 'null'];
    for (const rawBody of bodies) {
      const res = await stack.request('POST', V, { headers: ADMIN, version: '3.70', rawBody });
      expect(res.status).toBe(400);
    }
    const wrongType = await stack.request('POST', V, { headers: { ...ADMIN, 'content-type': 'text/plain' }, rawBody: 'x' });
    expect(wrongType.status).toBe(415);
  });

  it('when a volume with metadata, an attachment and a type is read, then the prepared statement gives the entity the query builder gives', async () => {
    // The join's rows come in the plan's order, the prepared read's in id order: relations compare as sets.
    const inIdOrder = (v: VolumeEntity | null | undefined) =>
      v && { ...v, metadata: [...(v.metadata ?? [])].sort((a, b) => a.id - b.id), attachments: [...(v.attachments ?? [])].sort((a, b) => a.id.localeCompare(b.id)) };
    const id = await stack.createVolume({ size: 1, name: 'prep', metadata: { b: '2', a: '1' } });
    const att = await stack.request('POST', `/v3/${PROJECT}/attachments`, {
      headers: ADMIN,
      version: '3.44',
      body: { attachment: { volume_uuid: id, instance_uuid: INSTANCE, connector: { host: 'compute-1', mountpoint: '/dev/vdb' } } },
    });
    expect(att.status).toBe(200);
    const volumes = stack.api.app.get(VolumesService, { strict: false });
    const ds = stack.api.app.get(DataSource, { strict: false });
    const pool = (ds.driver as PostgresDriver).master as Pool;
    const admin: Caller = { userId: 'u', projectId: PROJECT, roles: ['admin'], isAdmin: true, isService: false };

    const expected = await volumeQuery(ds.manager, id).getOne();
    expect(expected?.metadata).toHaveLength(2);
    expect(expected?.attachments).toHaveLength(1);
    expect(expected?.volumeType?.name).toBe('__DEFAULT__');
    const query = jest.spyOn(pool, 'query');
    try {
      // more than one pooled connection: each prepares the statement once, then reuses it
      const prepared = await Promise.all(Array.from({ length: 8 }, () => volumes.get(admin, id)));
      expect(query).toHaveBeenCalledWith(expect.objectContaining({ name: 'volume_get', values: [id] }));
      for (const v of [...prepared, await volumes.get(admin, id)]) {
        expect(v).toBeInstanceOf(VolumeEntity);
        expect(v.createdAt).toBeInstanceOf(Date);
        expect(inIdOrder(v)).toStrictEqual(inIdOrder(expected));
      }
    } finally {
      query.mockRestore();
    }
    await expect(volumes.get(admin, '00000000-0000-4000-8000-000000000000')).rejects.toThrow('could not be found');
  });
});
