import { DrillStack, MEMBER } from '@volume/testing-stack';
import { crash, describeDrills } from './drill-suite';
import { COPY_BPS, DrillVolume, expected, migrate, outcome, sleep, volumeWithData, waitForEnd } from './migration-drill';

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

/**
 * An attached volume migrated while nova-bridge is down: once its source host has marked the
 * migration a compute swap (its call to nova-bridge finds nobody), `then` acts; the migration must
 * succeed all the same.
 */
async function handoverWithBridgeDown(stack: DrillStack, then: (vol: DrillVolume) => Promise<void>): Promise<void> {
  const vol = await attachedVolumeWithData(stack);
  await stack.kill('nova-bridge');
  const startedAt = Date.now();
  await migrate(stack, vol);
  await stack.waitFor(
    async () => (await stack.sql(`SELECT mode FROM volume_migrations WHERE volume_id = $1`, [vol.id]))[0]?.mode === 'compute-swap',
    'the handover to the compute side',
    30_000,
  );
  await then(vol);
  await waitForEnd(stack, vol, startedAt);
  expect(await outcome(stack, vol)).toEqual(expected(vol));
}

/** nova-bridge crashes while it mirrors an attached volume to its destination, and is started again (issue 17 §4). */
describeDrills('fault drills: nova-bridge killed and restarted mid-swap (real processes)', (drills) => {
  drills.fault('when nova-bridge is SIGKILLed at 25 % of the swap of an attached volume and restarted, then the migration succeeds and the guest device holds the data', {
    name: 'nova-bridge killed mid-swap',
    options: { novaBridgeEnv: { SWAP_COPY_BPS_LIMIT: COPY_BPS } },
    volume: attachedVolumeWithData,
    fault: ({ stack }) => crash(stack, 'nova-bridge', 1_000),
  });

  drills.custom(
    'when nova-bridge is down as an attached volume is handed to it and comes back, then the swap is asked again and the migration succeeds',
    'nova-bridge down at the handover',
    {},
    ({ stack }) =>
      handoverWithBridgeDown(stack, async () => {
        await sleep(3_000);
        await stack.restart('nova-bridge');
      }),
  );

  drills.custom(
    'when the source worker dies while nova-bridge is down as it hands an attached volume over, then the restarted source hands it over again and the migration succeeds',
    'source killed in the handover',
    {},
    ({ stack }) =>
      handoverWithBridgeDown(stack, async (vol) => {
        await stack.kill(vol.sourceHost);
        await stack.restart('nova-bridge');
        await stack.restart(vol.sourceHost);
      }),
  );
});
