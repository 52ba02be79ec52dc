import { Injectable } from '@nestjs/common';
import {
  Accepted,
  CancelMigrationReply,
  CreateVolumeReply,
  CreateVolumeRequest,
  DeleteVolumeReply,
  InitializeConnectionReply,
  MigrationCompletionReply,
  MigrationCompletionRequest,
  MigrationDataExtentReply,
  MigrationProgressReply,
  MigrationSubjects,
  OpenMigrationTargetReply,
  OpenMigrationTargetRequest,
  RunMigrationRequest,
  SetMigrationBandwidthReply,
  WorkerSubjects,
} from '@volume/contracts';
import { extractHost } from '@volume/domain';
import { NatsService } from '@volume/platform';

/**
 * Every message sent to a volume-worker (Cinder's volume/rpcapi.py), whoever sends it. Each goes to
 * one host, named by a Cinder host string (`host`, `host@backend` or `host@backend#pool`): the
 * volume's, the pool's or the migration's. Every message waits for a reply; the doc comment of each
 * says what the reply means.
 */
@Injectable()
export class WorkerRpcClient {
  constructor(private readonly nats: NatsService) {}

  private static target(host: string): string {
    return extractHost(host, 'host') as string;
  }

  /** call: the reply says whether the volume's file exists (`available`) or could not be made (`error`). */
  createVolume(poolHost: string, request: CreateVolumeRequest, opts: { timeoutMs?: number; requestId?: string } = {}): Promise<CreateVolumeReply> {
    return this.nats.call(WorkerSubjects.createVolume, request, { host: WorkerRpcClient.target(poolHost), ...opts });
  }

  /** call: the reply comes once the file and the row are gone (or the row is `error_deleting`). */
  deleteVolume(volumeHost: string, volumeId: string, requestId?: string): Promise<DeleteVolumeReply> {
    return this.nats.call(WorkerSubjects.deleteVolume, { volumeId }, { host: WorkerRpcClient.target(volumeHost), requestId });
  }

  /** call: the attachment's connection_info is in the reply. */
  initializeConnection(
    volumeHost: string,
    volumeId: string,
    connector: Record<string, unknown> | null,
    requestId?: string,
  ): Promise<InitializeConnectionReply> {
    return this.nats.call(
      WorkerSubjects.initializeConnection,
      { volumeId, connector },
      { host: WorkerRpcClient.target(volumeHost), requestId },
    );
  }

  /** call, answered at once (a cast in Cinder): the source host runs the migration in the background. */
  runMigration(sourceHost: string, request: RunMigrationRequest, requestId?: string): Promise<Accepted> {
    return this.nats.call(MigrationSubjects.run, request, { host: WorkerRpcClient.target(sourceHost), requestId });
  }

  /** call: the destination host answers with the URL its data server receives the copy on. */
  openMigrationTarget(destHost: string, request: OpenMigrationTargetRequest): Promise<OpenMigrationTargetReply> {
    return this.nats.call(MigrationSubjects.openTarget, request, { host: WorkerRpcClient.target(destHost) });
  }

  /** call: the destination host stops receiving the migration's data. */
  async closeMigrationTarget(destHost: string, migrationId: string): Promise<void> {
    await this.nats.call(MigrationSubjects.closeTarget, { migrationId }, { host: WorkerRpcClient.target(destHost) });
  }

  /**
   * call (Cinder's migrate_volume_completion is one too): the source host swaps the rows, or drops
   * the destination on error, before it answers.
   */
  migrationCompletion(volumeHost: string, request: MigrationCompletionRequest, requestId?: string): Promise<MigrationCompletionReply> {
    return this.nats.call(MigrationSubjects.completion, request, { host: WorkerRpcClient.target(volumeHost), requestId });
  }

  /** call: the reply comes once the source host told its copy to stop (or started ending it from its row). */
  cancelMigration(sourceHost: string, migrationId: string, volumeId: string, requestId?: string): Promise<CancelMigrationReply> {
    return this.nats.call(MigrationSubjects.cancel, { migrationId, volumeId }, { host: WorkerRpcClient.target(sourceHost), requestId });
  }

  /** call: the reply says whether a copy of the source host took the new limit at once. */
  setMigrationBandwidth(sourceHost: string, migrationId: string, bytesPerSecond: number | null, requestId?: string): Promise<SetMigrationBandwidthReply> {
    return this.nats.call(MigrationSubjects.setBandwidth, { migrationId, bytesPerSecond }, { host: WorkerRpcClient.target(sourceHost), requestId });
  }

  /** call: the volume's allocated bytes from its host's extent map, and the host's copy limit. */
  migrationDataExtent(volumeHost: string, volumeId: string, requestId?: string): Promise<MigrationDataExtentReply> {
    return this.nats.call(MigrationSubjects.dataExtent, { volumeId }, { host: WorkerRpcClient.target(volumeHost), requestId });
  }

  /** call with a short budget: GET volume must never wait on a slow or restarting worker. */
  migrationProgress(volumeHost: string, volumeId: string, timeoutMs: number, requestId?: string): Promise<MigrationProgressReply> {
    return this.nats.call(MigrationSubjects.progress, { volumeId }, { host: WorkerRpcClient.target(volumeHost), timeoutMs, requestId });
  }
}
