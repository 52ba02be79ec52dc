import { Injectable } from '@nestjs/common';
import { MigrationSubjects, ScheduleMigrationRequest, SchedulerSubjects } from '@volume/contracts';
import { NatsService } from '@volume/platform';

/** Every message sent to the scheduler (Cinder's scheduler/rpcapi.py); any replica of the group answers. */
@Injectable()
export class SchedulerRpcClient {
  constructor(private readonly nats: NatsService) {}

  /** call: waits only until a scheduler has taken the request; placement goes on after the reply. */
  async scheduleCreate(volumeId: string, requestId?: string): Promise<void> {
    await this.nats.call(SchedulerSubjects.createVolume, { volumeId }, { requestId });
  }

  /** call: waits only until a scheduler has taken the migration; the outcome lands on the rows. */
  async scheduleMigration(request: ScheduleMigrationRequest, requestId?: string): Promise<void> {
    await this.nats.call(MigrationSubjects.schedule, request, { requestId });
  }
}
