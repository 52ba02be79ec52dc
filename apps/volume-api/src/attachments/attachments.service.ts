import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { CodedError, ErrorCode } from '@volume/contracts';
import { LOGGER } from '@volume/platform';
import { JsonDocument, VolumeAttachmentEntity, VolumeEntity } from '@volume/persistence';
import { WorkerClient } from '../clients/worker.client';
import { Caller } from '../http/auth';
import { canSeeProject } from '../http/policy';
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
    private readonly workers: WorkerClient,
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

  async list(caller: Caller, opts: { allTenants: boolean; volumeId?: string; instanceId?: string; status?: string }) {
    const qb = this.ds.getRepository(VolumeAttachmentEntity).createQueryBuilder('a').where('1=1');
    if (!((caller.isAdmin || caller.isService) && opts.allTenants)) qb.andWhere('a.project_id = :p', { p: caller.projectId });
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
    const id = randomUUID();
    await this.ds.transaction(async (em) => {
      // One conditional UPDATE decides between racing attach, delete and migrate requests.
      const reserved = await em
        .createQueryBuilder()
        .update(VolumeEntity)
        .set({ status: 'reserved', updatedAt: new Date() })
        .where('id = :id', { id: volume.id })
        .andWhere(volume.multiattach ? `status IN ('available', 'in-use', 'reserved')` : `status = 'available'`)
        // A migration's destination (target:<id>) may be reserved: the compute side attaches it to swap.
        .andWhere(`(migration_status IS NULL OR migration_status IN ('deleting', 'error', 'success') OR migration_status LIKE 'target:%')`)
        .execute();
      if (!reserved.affected) {
        const statuses = volume.multiattach ? 'available or in-use or downloading' : 'available or downloading';
        throw new CodedError(ErrorCode.InvalidVolume, `Invalid volume: Volume ${volume.id} status must be ${statuses}`);
      }
      await em.getRepository(VolumeAttachmentEntity).insert({
        id,
        volumeId: volume.id,
        projectId: volume.projectId,
        instanceUuid: input.instanceUuid,
        attachStatus: 'reserved',
        attachMode: input.mode ?? 'rw',
        createdAt: new Date(),
      });
    });
    if (input.connector) return this.connect(caller, id, input.connector, requestId);
    return this.get(caller, id);
  }

  /** Asks the volume's worker for connection_info; the attachment and volume become `attaching`. */
  async connect(caller: Caller, id: string, connector: Record<string, unknown>, requestId: string): Promise<VolumeAttachmentEntity> {
    const a = await this.get(caller, id);
    const volume = await this.ds.getRepository(VolumeEntity).findOneOrFail({ where: { id: a.volumeId } });
    if (!volume.host) {
      throw new CodedError(ErrorCode.InvalidVolume, `Invalid volume: Volume ${volume.id} has no host to connect to.`);
    }
    const { connectionInfo } = await this.workers.initializeConnection(volume.host, volume.id, connector, requestId);
    const mode = typeof connector.mode === 'string' && ['rw', 'ro'].includes(connector.mode) ? connector.mode : a.attachMode;
    await this.ds.transaction(async (em) => {
      await em.getRepository(VolumeAttachmentEntity).update(
        { id },
        {
          // Both come from JSON (the request body, the worker's reply), so they are JSON documents.
          connector: connector as JsonDocument,
          connectionInfo: { ...connectionInfo, attachment_id: id } as JsonDocument,
          attachStatus: 'attaching',
          attachMode: mode,
          attachedHost: typeof connector.host === 'string' ? connector.host : null,
          mountpoint: typeof connector.mountpoint === 'string' ? connector.mountpoint : null,
          updatedAt: new Date(),
        },
      );
      await em
        .createQueryBuilder()
        .update(VolumeEntity)
        .set({ status: 'attaching', updatedAt: new Date() })
        .where('id = :id AND status = :s', { id: volume.id, s: 'reserved' })
        .execute();
    });
    return this.get(caller, id);
  }

  /** os-complete: the consumer is using the volume now. */
  async complete(caller: Caller, id: string): Promise<void> {
    const a = await this.get(caller, id);
    await this.ds.transaction(async (em) => {
      await em
        .getRepository(VolumeAttachmentEntity)
        .update({ id }, { attachStatus: 'attached', attachTime: new Date(), updatedAt: new Date() });
      await em
        .getRepository(VolumeEntity)
        .update({ id: a.volumeId }, { status: 'in-use', attachStatus: 'attached', updatedAt: new Date() });
    });
  }

  /**
   * Removes the attachment; returns the volume's remaining attachments, as Cinder does. The last one
   * of a migrating volume leaves its status alone (Cinder's db volume_detached hides the detach
   * while a migration runs): the compute side deletes the old attachment mid-swap, and the volume
   * must still read in-use until the completion swaps the rows.
   */
  async delete(caller: Caller, id: string): Promise<VolumeAttachmentEntity[]> {
    const a = await this.get(caller, id);
    return this.ds.transaction(async (em) => {
      const [locked]: { status: string; migration_status: string | null }[] = await em.query(
        `SELECT status, migration_status FROM volumes WHERE id = $1 FOR UPDATE`,
        [a.volumeId],
      );
      await em.getRepository(VolumeAttachmentEntity).delete({ id });
      const remaining = await em.getRepository(VolumeAttachmentEntity).find({ where: { volumeId: a.volumeId } });
      const anyAttached = remaining.some((r) => r.attachStatus === 'attached');
      const migrating = Boolean(locked?.migration_status) && !['success', 'error'].includes(locked.migration_status as string);
      let status = remaining.length === 0 ? 'available' : anyAttached ? 'in-use' : 'reserved';
      if (remaining.length === 0 && migrating) status = locked.status;
      await em.getRepository(VolumeEntity).update(
        { id: a.volumeId },
        { status, attachStatus: anyAttached ? 'attached' : 'detached', updatedAt: new Date() },
      );
      this.log.info({ attachmentId: id, volumeId: a.volumeId, status }, 'attachment deleted');
      return remaining;
    });
  }
}
