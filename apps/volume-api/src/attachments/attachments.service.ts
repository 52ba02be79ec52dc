import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { CodedError, ErrorCode } from '@volume/contracts';
import { LOGGER } from '@volume/platform';
import {
  completeAttachment,
  connectAttachment,
  deleteAttachment,
  JsonDocument,
  reserveAttachment,
  VolumeAttachmentEntity,
  VolumeEntity,
} from '@volume/persistence';
import { WorkerRpcClient } from '@volume/rpc-clients';
import { Caller } from '@volume/auth';
import { AttachmentPolicy, authorize, canSeeProject, isContextAdmin, volumeTarget } from '../http/policy';
import { UUID } from '../volumes/volume-list.repository';
import { VolumesService } from '../volumes/volumes.service';

export interface CreateAttachmentInput {
  volumeId: string;
  instanceUuid: string | null;
  connector: Record<string, unknown> | null;
  mode: 'rw' | 'ro' | null;
}

/**
 * The 3.27+ attachment flow Nova drives: reserve (create), connect (update with a connector, or
 * create with one), complete (in-use), delete (back to available when the last one goes).
 */
@Injectable()
export class AttachmentsService {
  constructor(
    private readonly ds: DataSource,
    private readonly volumes: VolumesService,
    private readonly workers: WorkerRpcClient,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  static notFound(id: string): CodedError {
    return new CodedError(ErrorCode.NotFound, `Volume attachment could not be found with filter: attachment_id = ${id}.`);
  }

  async get(caller: Caller, id: string): Promise<VolumeAttachmentEntity> {
    if (!UUID.test(id)) throw AttachmentsService.notFound(id);
    const a = await this.ds.getRepository(VolumeAttachmentEntity).findOne({ where: { id } });
    if (!a || !canSeeProject(caller, a.projectId)) throw AttachmentsService.notFound(id);
    return a;
  }

  /** Cinder's attachment list: another project's only for `context.is_admin` with all_tenants. */
  async list(caller: Caller, opts: { allTenants: boolean; volumeId?: string; instanceId?: string; status?: string }) {
    const qb = this.ds.getRepository(VolumeAttachmentEntity).createQueryBuilder('a').where('1=1');
    if (!(isContextAdmin(caller) && opts.allTenants)) qb.andWhere('a.project_id = :p', { p: caller.projectId });
    if (opts.volumeId) {
      if (!UUID.test(opts.volumeId)) return [];
      qb.andWhere('a.volume_id = :v', { v: opts.volumeId });
    }
    if (opts.instanceId) {
      if (!UUID.test(opts.instanceId)) return [];
      qb.andWhere('a.instance_uuid = :i', { i: opts.instanceId });
    }
    if (opts.status) qb.andWhere('a.attach_status = :s', { s: opts.status });
    return qb.orderBy('a.created_at', 'DESC').addOrderBy('a.id', 'DESC').getMany();
  }

  async create(caller: Caller, input: CreateAttachmentInput, requestId: string): Promise<VolumeAttachmentEntity> {
    const volume = await this.volumes.get(caller, input.volumeId);
    authorize(caller, AttachmentPolicy.create, volumeTarget(volume));
    const id = randomUUID();
    await reserveAttachment(this.ds.manager, { id, volumeId: volume.id, instanceUuid: input.instanceUuid, mode: input.mode ?? 'rw' });
    if (!input.connector) return this.get(caller, id);
    try {
      return await this.connectAttachment(caller, await this.get(caller, id), input.connector, requestId);
    } catch (err) {
      // The caller never learns this attachment's id when the connect fails (its host out of reach
      // answers 503): kept, it would hold the volume `reserved` for good. A failed create leaves nothing.
      await deleteAttachment(this.ds.manager, { attachmentId: id, volumeId: volume.id }).catch((e) =>
        this.log.error({ err: e, attachmentId: id, volumeId: volume.id }, 'cannot release the attachment of a create whose connect failed'),
      );
      throw err;
    }
  }

  /** `PUT /attachments/{id}` with a connector (volume:attachment_update). */
  async connect(caller: Caller, id: string, connector: Record<string, unknown>, requestId: string): Promise<VolumeAttachmentEntity> {
    const a = await this.get(caller, id);
    authorize(caller, AttachmentPolicy.update, volumeTarget(a));
    return this.connectAttachment(caller, a, connector, requestId);
  }

  /** Asks the volume's worker for connection_info; the attachment and volume become `attaching`. */
  private async connectAttachment(
    caller: Caller,
    a: VolumeAttachmentEntity,
    connector: Record<string, unknown>,
    requestId: string,
  ): Promise<VolumeAttachmentEntity> {
    const id = a.id;
    const volume = await this.ds.getRepository(VolumeEntity).findOneOrFail({ where: { id: a.volumeId } });
    if (!volume.host) {
      throw new CodedError(ErrorCode.InvalidVolume, `Invalid volume: Volume ${volume.id} has no host to connect to.`);
    }
    const { connectionInfo } = await this.workers.initializeConnection(volume.host, volume.id, connector, requestId);
    const mode = typeof connector.mode === 'string' && ['rw', 'ro'].includes(connector.mode) ? connector.mode : a.attachMode;
    await connectAttachment(this.ds.manager, {
      attachmentId: id,
      volumeId: volume.id,
      // Both come from JSON (the request body, the worker's reply), so they are JSON documents.
      connector: connector as JsonDocument,
      connectionInfo: { ...connectionInfo, attachment_id: id } as JsonDocument,
      mode,
      attachedHost: typeof connector.host === 'string' ? connector.host : null,
      mountpoint: typeof connector.mountpoint === 'string' ? connector.mountpoint : null,
    });
    return this.get(caller, id);
  }

  /** os-complete: the consumer is using the volume now. */
  async complete(caller: Caller, id: string): Promise<void> {
    const a = await this.get(caller, id);
    authorize(caller, AttachmentPolicy.complete, volumeTarget(a));
    await completeAttachment(this.ds.manager, { attachmentId: id, volumeId: a.volumeId });
  }

  /**
   * Removes the attachment; returns the volume's remaining attachments, as Cinder does. The volume's
   * status follows (a migration hides the last detach: see volumeAfterDetach).
   */
  async delete(caller: Caller, id: string): Promise<VolumeAttachmentEntity[]> {
    const a = await this.get(caller, id);
    authorize(caller, AttachmentPolicy.delete, volumeTarget(a));
    const remaining = await deleteAttachment(this.ds.manager, { attachmentId: id, volumeId: a.volumeId });
    this.log.info({ attachmentId: id, volumeId: a.volumeId, remaining: remaining.length }, 'attachment deleted');
    return remaining;
  }
}
