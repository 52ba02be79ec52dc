import { Injectable } from '@nestjs/common';
import { CancelSwapReply, ComputeSubjects, SetSwapBandwidthReply, SwapProgressReply, SwapVolumeRequest } from '@volume/contracts';
import { NatsService } from '@volume/platform';

/** Every message sent to nova-bridge, the compute side of an attached volume's migration. */
@Injectable()
export class ComputeRpcClient {
  constructor(private readonly nats: NatsService) {}

  /**
   * call: waits until the compute side has accepted the swap (Nova's 202); it ends the swap later
   * with os-migrate_volume_completion, never with this reply.
   */
  async swapVolume(request: SwapVolumeRequest, requestId?: string): Promise<void> {
    await this.nats.call(ComputeSubjects.swapVolume, request, { requestId });
  }

  /** call with a short budget: GET volume must never wait on the compute side. */
  swapProgress(volumeId: string, timeoutMs: number, requestId?: string): Promise<SwapProgressReply> {
    return this.nats.call(ComputeSubjects.swapProgress, { volumeId }, { timeoutMs, requestId });
  }

  /** call: the reply says whether the swap was rolled back, is unknown, is past its pivot, or cannot be cancelled. */
  cancelSwap(volumeId: string, reason: string): Promise<CancelSwapReply> {
    return this.nats.call(ComputeSubjects.cancelSwap, { volumeId, reason });
  }

  /** call: a running swap's mirror takes the new limit now (3.73), or says why not. */
  setSwapBandwidth(volumeId: string, bytesPerSecond: number | null, requestId?: string): Promise<SetSwapBandwidthReply> {
    return this.nats.call(ComputeSubjects.setSwapBandwidth, { volumeId, bytesPerSecond }, { requestId });
  }
}
