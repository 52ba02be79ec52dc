import { CallContract, ComputeSubjects, MigrationSubjects, SchedulerSubjects, WorkerSubjects } from '@volume/contracts';
import { CallOptions, NatsService } from '@volume/platform';
import { ComputeRpcClient } from './compute-rpc.client';
import { SchedulerRpcClient } from './scheduler-rpc.client';
import { WorkerRpcClient } from './worker-rpc.client';

interface Sent {
  contract: CallContract<unknown, unknown>;
  payload: unknown;
  opts: CallOptions | undefined;
}

/** A NatsService that records every call and answers `reply`. */
function recordingNats(reply: unknown = {}): { nats: NatsService; sent: Sent[] } {
  const sent: Sent[] = [];
  const nats = {
    call: async (contract: CallContract<unknown, unknown>, payload: unknown, opts?: CallOptions) => {
      sent.push({ contract, payload, opts });
      return reply;
    },
  } as unknown as NatsService;
  return { nats, sent };
}

describe('WorkerRpcClient', () => {
  it('when given a pool, a backend or a bare host, then the message goes to that machine only', async () => {
    const { nats, sent } = recordingNats({ closed: true });
    const client = new WorkerRpcClient(nats);
    await client.createVolume('host-b@file#pool2', { volumeId: 'v', poolHost: 'host-b@file#pool2', sizeGb: 1 }, { timeoutMs: 1234 });
    await client.deleteVolume('host-a@file', 'v', 'req-1');
    await client.closeMigrationTarget('host-c', 'm');
    expect(sent.map((s) => [s.contract, s.opts])).toEqual([
      [WorkerSubjects.createVolume, { host: 'host-b', timeoutMs: 1234 }],
      [WorkerSubjects.deleteVolume, { host: 'host-a', requestId: 'req-1' }],
      [MigrationSubjects.closeTarget, { host: 'host-c' }],
    ]);
    expect(sent[2].payload).toEqual({ migrationId: 'm' });
  });

  it('when asked for progress, then it passes the caller’s short budget, not the contract’s', async () => {
    const { nats, sent } = recordingNats({ progress: '40' });
    const reply = await new WorkerRpcClient(nats).migrationProgress('host-a@file#pool1', 'v', 50, 'req-2');
    expect(reply).toEqual({ progress: '40' });
    expect(sent).toEqual([{ contract: MigrationSubjects.progress, payload: { volumeId: 'v' }, opts: { host: 'host-a', timeoutMs: 50, requestId: 'req-2' } }]);
  });

  it('when the volume has no host, then nothing is sent and Cinder’s refusal is thrown', () => {
    const { nats, sent } = recordingNats();
    expect(() => new WorkerRpcClient(nats).deleteVolume(null as unknown as string, 'v')).toThrow('volume is not assigned to a host');
    expect(sent).toEqual([]);
  });
});

describe('SchedulerRpcClient and ComputeRpcClient', () => {
  it('when called, then they address the service group (no host) with the request id', async () => {
    const { nats, sent } = recordingNats({ outcome: 'not-found', phase: null });
    await new SchedulerRpcClient(nats).scheduleCreate('v', 'req-3');
    await new ComputeRpcClient(nats).swapVolume(
      { migrationId: 'm', serverId: 's', attachmentId: 'a', oldVolumeId: 'v', newVolumeId: 'w' },
      'req-4',
    );
    expect(await new ComputeRpcClient(nats).cancelSwap('v', 'silent')).toEqual({ outcome: 'not-found', phase: null });
    expect(sent.map((s) => [s.contract, s.opts])).toEqual([
      [SchedulerSubjects.createVolume, { requestId: 'req-3' }],
      [ComputeSubjects.swapVolume, { requestId: 'req-4' }],
      [ComputeSubjects.cancelSwap, undefined],
    ]);
  });
});
