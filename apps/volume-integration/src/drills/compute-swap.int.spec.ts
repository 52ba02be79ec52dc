import { DrillEnvironment, DrillStack, MEMBER } from '@volume/testing-stack';
import { COPY_BPS, DRILL_TIMEOUT_MS, DrillVolume, expected, migrateWithFault, sleep, volumeWithData } from './migration-drill';

jest.setTimeout(DRILL_TIMEOUT_MS);

/** A call to nova-bridge's local compute host, as the server's owner. */
async function compute(stack: DrillStack, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${stack.computeUrl}${path}`, {
    method: 'POST',
    headers: { ...MEMBER, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`compute ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** A volume with data, attached to a server of the local compute host: its migration is the compute side's swap. */
async function attachedVolumeWithData(stack: DrillStack): Promise<DrillVolume> {
  const vol = await volumeWithData(stack, MEMBER);
  const { server } = (await compute(stack, '/v2.1/servers', { server: { name: 'drill-vm' } })) as { server: { id: string } };
  await compute(stack, `/v2.1/servers/${server.id}/os-volume_attachments`, { volumeAttachment: { volumeId: vol.id } });
  await stack.waitFor(async () => (await stack.sql(`SELECT status FROM volumes WHERE id = $1`, [vol.id]))[0].status === 'in-use', 'the volume in use');
  return { ...vol, status: 'in-use' };
}

/** nova-bridge crashes while it mirrors an attached volume to its destination, and is started again (issue 17 §4). */
describe('fault drills: nova-bridge killed and restarted mid-swap (real processes)', () => {
  let env: DrillEnvironment;

  beforeAll(async () => {
    env = await DrillEnvironment.start();
  }, 600_000);

  afterAll(async () => {
    await env?.stop();
  });

  it('when nova-bridge is SIGKILLed at 25 % of the swap of an attached volume and restarted, then the migration succeeds and the guest device holds the data', () =>
    env.run('nova-bridge killed mid-swap', { novaBridgeEnv: { SWAP_COPY_BPS_LIMIT: COPY_BPS } }, async (stack) => {
      const vol = await attachedVolumeWithData(stack);
      const result = await migrateWithFault(stack, vol, 25, async () => {
        await stack.kill('nova-bridge');
        await sleep(1_000);
        await stack.restart('nova-bridge');
      });
      expect(result).toEqual(expected(vol));
    }));
});
