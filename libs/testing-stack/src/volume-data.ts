import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { ADMIN, PROJECT, TestStack } from './stack';

const MIB = 1024 * 1024;
const INSTANCE = '5b2f0e4c-7d1a-4c3b-8e9f-0a1b2c3d4e5f';

/**
 * Random data in a volume, written through an attachment as a guest would, in runs at the given
 * MiB offsets (the rest stays holes): what makes a host copy take time under a bandwidth limit.
 */
export async function writeVolumeData(stack: TestStack, volumeId: string, runs: { offsetMiB: number; sizeMiB: number }[]): Promise<void> {
  const att = await stack.request('POST', `/v3/${PROJECT}/attachments`, {
    headers: ADMIN,
    version: '3.44',
    body: { attachment: { volume_uuid: volumeId, instance_uuid: INSTANCE, connector: { host: 'test' } } },
  });
  const fh = await open(att.body.attachment.connection_info.data.device_path as string, 'r+');
  for (const { offsetMiB, sizeMiB } of runs) await fh.write(randomBytes(sizeMiB * MIB), 0, sizeMiB * MIB, offsetMiB * MIB);
  await fh.close();
  await stack.request('DELETE', `/v3/${PROJECT}/attachments/${att.body.attachment.id}`, { headers: ADMIN, version: '3.44' });
}

/**
 * A host copy of the volume to pool1 of the other host, as an admin starts it at 3.73.
 * @returns the destination and the migration as the list shows it at once.
 */
export async function startHostCopy(stack: TestStack, volumeId: string): Promise<{ dest: string; migration: Record<string, any> }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const shown = await stack.request('GET', `/v3/${PROJECT}/volumes/${volumeId}`, { headers: ADMIN, version: '3.73' });
  const dest = (shown.body.volume['os-vol-host-attr:host'] as string).startsWith('host-a') ? 'host-b@file#pool1' : 'host-a@file#pool1';
  const started = await stack.request('POST', `/v3/${PROJECT}/volumes/${volumeId}/action`, {
    headers: ADMIN,
    version: '3.73',
    body: { 'os-migrate_volume': { host: dest, force_host_copy: 'True' } },
  });
  if (started.status !== 202) throw new Error(`os-migrate_volume answered ${started.status}: ${started.text}`);
  const listed = await stack.request('GET', `/v3/${PROJECT}/volume-migrations?volume_id=${volumeId}`, { headers: ADMIN, version: '3.73' });
  return { dest, migration: listed.body.volume_migrations[0] };
}
