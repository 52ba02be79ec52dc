import { randomUUID } from 'node:crypto';
import { ADMIN, PROJECT, Reply, TestStack } from '@volume/testing-stack';

// The API side of migrating an attached volume (docs/attached-volume-migration.md), as the specs
// attached-api and attached-completion drive it: state that other services would make is set up
// with SQL.

type Headers = Record<string, string>;

/**
 * Nova's service user acts from its own project on every project's volumes, through the routes
 * without a project id (with one, Cinder insists it is the caller's: "Malformed request url").
 */
export const SERVICE_PROJECT = 'c0ffee00c0ffee00c0ffee00c0ffee00';
export const NOVA = { 'x-auth-token': `nova:${SERVICE_PROJECT}` };
export const SERVICE_ROLE = { 'x-auth-token': `bridge:${SERVICE_PROJECT}`, 'x-roles': 'service' };
/** As nova-bridge's local compute host calls for a swap: the server's project in the token and the URL, and the service role. */
export const BRIDGE = { 'x-auth-token': `nova:${PROJECT}`, 'x-roles': 'service' };
export const SERVER = '3d1c6f0a-7b2e-4c59-9a11-2f4e5d6c7b8a';

/** The caller's own project in the URL, as the clients build it; project-less for other projects. */
function base(headers: Headers): string {
  return headers['x-auth-token'].endsWith(`:${PROJECT}`) ? `/v3/${PROJECT}` : '/v3';
}
export const V = (headers: Headers) => `${base(headers)}/volumes`;
export const A = (headers: Headers) => `${base(headers)}/attachments`;

/** Requests and SQL set-ups over the stack `stackOf` returns (started in a `beforeAll`). */
export function attachedVolumeSteps(stackOf: () => TestStack) {
  const action = (id: string, body: unknown, headers: Headers, version = '3.0'): Promise<Reply> =>
    stackOf().request('POST', `${V(headers)}/${id}/action`, { headers, version, body });
  const completion = (id: string, args: unknown, headers: Headers = NOVA): Promise<Reply> =>
    action(id, { 'os-migrate_volume_completion': args }, headers);
  const show = (id: string, headers: Headers, version = '3.72'): Promise<Reply> =>
    stackOf().request('GET', `${V(headers)}/${id}`, { headers, version });
  const row = async (id: string) =>
    (await stackOf().sql(`SELECT status, attach_status, migration_status, previous_status, host FROM volumes WHERE id = $1`, [id]))[0];

  /** An in-use volume: reserved, connected and completed through the attachments API. */
  async function attachedVolume(headers: Headers = ADMIN): Promise<{ id: string; attachmentId: string }> {
    const stack = stackOf();
    const id = await stack.createVolume({ size: 1 });
    const att = await stack.request('POST', A(headers), {
      headers,
      version: '3.44',
      body: { attachment: { volume_uuid: id, instance_uuid: SERVER, connector: { host: 'compute-1', mountpoint: '/dev/vdb' } } },
    });
    expect(att.status).toBe(200);
    const done = await stack.request('POST', `${A(headers)}/${att.body.attachment.id}/action`, { headers, version: '3.44', body: { 'os-complete': null } });
    expect(done.status).toBe(204);
    return { id, attachmentId: att.body.attachment.id };
  }

  /** What the API and the scheduler leave once a migration of `id` to `destId` runs (by default a compute swap). */
  async function markMigrating(id: string, destId: string, mode = 'compute-swap'): Promise<void> {
    const stack = stackOf();
    const src = await row(id);
    const dst = await row(destId);
    await stack.sql(`UPDATE volumes SET migration_status = 'migrating', previous_status = status WHERE id = $1`, [id]);
    await stack.sql(`UPDATE volumes SET migration_status = $2 WHERE id = $1`, [destId, `target:${id}`]);
    await stack.sql(
      `INSERT INTO volume_migrations (id, volume_id, dest_volume_id, source_host, dest_host, mode, status, force_host_copy,
                                      lock_volume, bytes_total, bytes_done, started_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $7, 'migrating', false, false, $6, 0, now(), now())`,
      [randomUUID(), id, destId, src.host, dst.host, 1024 ** 3, mode],
    );
  }

  return { action, completion, show, row, attachedVolume, markMigrating };
}
