import { Injectable } from '@nestjs/common';
import { ComputeSubjects, SwapProgressReply } from '@volume/contracts';
import { NatsService } from '@volume/platform';

/** Every message the API sends to nova-bridge (the compute side). */
@Injectable()
export class ComputeClient {
  constructor(private readonly nats: NatsService) {}

  /** call with a short budget: GET volume must never wait on the compute side. */
  swapProgress(volumeId: string, timeoutMs: number, requestId?: string): Promise<SwapProgressReply> {
    return this.nats.call(ComputeSubjects.swapProgress, { volumeId }, { timeoutMs, requestId });
  }
}
