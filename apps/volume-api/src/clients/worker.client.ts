import { Injectable } from '@nestjs/common';
import {
  DeleteVolumeReply,
  InitializeConnectionReply,
  MigrationCompletionReply,
  MigrationCompletionRequest,
  MigrationProgressReply,
  MigrationSubjects,
  WorkerSubjects,
} from '@volume/contracts';
import { extractHost } from '@volume/domain';
import { NatsService } from '@volume/platform';

/** Every message the API sends to a volume-worker, addressed by the volume's `host@backend#pool`. */
@Injectable()
export class WorkerClient {
  constructor(private readonly nats: NatsService) {}

  private static target(volumeHost: string): string {
    return extractHost(volumeHost, 'host') as string;
  }

  /** call: the API answers 202 at once and does not wait for this (the caller decides). */
  deleteVolume(volumeHost: string, volumeId: string, requestId?: string): Promise<DeleteVolumeReply> {
    return this.nats.call(WorkerSubjects.deleteVolume, { volumeId }, { host: WorkerClient.target(volumeHost), requestId });
  }

  /** call: the attachment's connection_info is in the HTTP answer. */
  initializeConnection(
    volumeHost: string,
    volumeId: string,
    connector: Record<string, unknown> | null,
    requestId?: string,
  ): Promise<InitializeConnectionReply> {
    return this.nats.call(
      WorkerSubjects.initializeConnection,
      { volumeId, connector },
      { host: WorkerClient.target(volumeHost), requestId },
    );
  }

  /**
   * call (Cinder's migrate_volume_completion is one too): the source host swaps the rows, or drops
   * the destination on error, before the API answers the compute side.
   */
  migrationCompletion(volumeHost: string, request: MigrationCompletionRequest, requestId?: string): Promise<MigrationCompletionReply> {
    return this.nats.call(MigrationSubjects.completion, request, { host: WorkerClient.target(volumeHost), requestId });
  }

  /** call with a short budget: GET volume must never wait on a slow or restarting worker. */
  migrationProgress(volumeHost: string, volumeId: string, timeoutMs: number, requestId?: string): Promise<MigrationProgressReply> {
    return this.nats.call(MigrationSubjects.progress, { volumeId }, { host: WorkerClient.target(volumeHost), timeoutMs, requestId });
  }
}
