import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import { CodedError, ErrorCode } from '@volume/contracts';
import { LOGGER } from '@volume/platform';
import {
  Batcher,
  createVolumeRecords,
  isDatabaseUnavailable,
  markCreateFailed,
  NewVolume,
  requestVolumeDelete,
  updateVolumeProperties,
  VolumeEntity,
  VolumeTypeEntity,
} from '@volume/persistence';
import { API_CONFIG } from '../api-config.token';
import { SchedulerRpcClient, untilServiceAnswers, WorkerRpcClient } from '@volume/rpc-clients';
import type { ApiConfig } from '../config';
import { quotaDefaultsOf } from '../quotas/quota.config';
import { Caller } from '@volume/auth';
import { allows, VolumePolicy, volumeTarget } from '../http/policy';
import { UUID, VolumeListRepository, VolumeListSpec } from './volume-list.repository';
import { VolumeReader } from './volume.reader';
import { BackgroundCalls } from '../shutdown/background-calls';

export interface CreateVolumeInput {
  name: string | null;
  description: string | null;
  size: number;
  metadata: Record<string, string>;
  volumeType: VolumeTypeEntity;
  availabilityZone: string | null;
}

export interface UpdateVolumeInput {
  name?: string | null;
  description?: string | null;
  metadata?: Record<string, string>;
}

@Injectable()
export class VolumesService {
  private readonly lists: VolumeListRepository;
  /** `get`, the API's hottest query: one prepared statement, one row (see VolumeReader). */
  private readonly reader: VolumeReader;
  /** Creates arriving together are written together: one transaction, the project's usage locked once. */
  private readonly creates: Batcher<NewVolume, VolumeEntity | Error>;

  constructor(
    private readonly ds: DataSource,
    private readonly scheduler: SchedulerRpcClient,
    private readonly workers: WorkerRpcClient,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly background: BackgroundCalls,
  ) {
    this.lists = new VolumeListRepository(ds);
    this.reader = new VolumeReader(ds);
    this.creates = new Batcher((volumes) => this.writeCreates(volumes));
  }

  static notFound(id: string): CodedError {
    return new CodedError(ErrorCode.NotFound, `Volume ${id} could not be found.`);
  }

  /**
   * One volume with what its views need; one that fails `volume:get` (another project's, by
   * default) is "not found". The rule sees the whole target, project_id and user_id, as Cinder's
   * `target_obj=volume`, so that an override like `user_id:%(user_id)s` can decide.
   */
  async get(caller: Caller, id: string, reader: Pick<VolumeReader, 'read'> = this.reader): Promise<VolumeEntity> {
    if (!UUID.test(id)) throw VolumesService.notFound(id);
    const v = await reader.read(id);
    if (!v || !allows(caller, VolumePolicy.get, volumeTarget(v))) throw VolumesService.notFound(id);
    return v;
  }

  list(caller: Caller, spec: VolumeListSpec) {
    return this.lists.list(caller, spec);
  }

  summary(caller: Caller, allTenants: boolean) {
    return this.lists.summary(caller, allTenants);
  }

  async create(caller: Caller, input: CreateVolumeInput, requestId: string): Promise<VolumeEntity> {
    const availabilityZone = await this.availabilityZone(input.availabilityZone);
    const volume = await this.creates.submit({
      id: randomUUID(),
      projectId: caller.projectId,
      userId: caller.userId,
      displayName: input.name,
      displayDescription: input.description,
      size: input.size,
      availabilityZone,
      volumeTypeId: input.volumeType.id,
      metadata: input.metadata,
    });
    if (volume instanceof Error) throw volume;
    // The row is committed: from here it must reach the scheduler (or `error`), or a volume the
    // client was told nothing of would stay `creating` for good. The 202 does not wait for a
    // scheduler that is restarting (or NATS that is away): it is asked again after the answer,
    // within the bound (issue 17 §3). The answer shows the row as written, `creating` as Cinder's
    // 202 does, without reading it back.
    this.background.run(this.schedule(volume.id, requestId));
    volume.volumeType = input.volumeType;
    if (!allows(caller, VolumePolicy.get, volumeTarget(volume))) throw VolumesService.notFound(volume.id);
    return volume;
  }

  /**
   * The creates of a batch, together; if the database refuses the batch (a type deleted meanwhile,
   * say), each alone, so that only the create it refuses fails. A database away fails them all.
   * @returns per create its row, or what refused it.
   */
  private async writeCreates(volumes: NewVolume[]): Promise<(VolumeEntity | Error)[]> {
    const defaults = quotaDefaultsOf(this.config);
    try {
      return await createVolumeRecords(this.ds.manager, volumes, defaults);
    } catch (err) {
      if (volumes.length === 1 || isDatabaseUnavailable(err)) throw err;
      // One after another: a rare path, which must not take the pool's connections at once.
      const outcomes: (VolumeEntity | Error)[] = [];
      for (const v of volumes) {
        outcomes.push(
          await createVolumeRecords(this.ds.manager, [v], defaults).then(
            ([outcome]) => outcome,
            (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
          ),
        );
      }
      return outcomes;
    }
  }

  /** Never rejects: a volume no scheduler took within the bound ends in `error` (Cinder's outcome). */
  private async schedule(volumeId: string, requestId: string): Promise<void> {
    const log = this.log.child({ volumeId, reqId: requestId });
    try {
      await untilServiceAnswers(() => this.scheduler.scheduleCreate(volumeId, requestId), { what: 'scheduling the create', log, signal: this.background.signal });
    } catch (err) {
      log.error({ err }, 'no scheduler took the create request; the volume ends in error');
      // A database away now leaves it `creating`: the scheduler ends unplaced creates after STALE_CREATE_S.
      await markCreateFailed(this.ds.manager, volumeId).catch((e) => log.error({ err: e }, 'cannot mark the unscheduled volume error'));
    }
  }

  private async availabilityZone(requested: string | null): Promise<string> {
    if (!requested) return this.config.DEFAULT_AVAILABILITY_ZONE;
    const known = await this.ds.query(
      `SELECT 1 FROM services WHERE "binary" = 'cinder-volume' AND availability_zone = $1 LIMIT 1`,
      [requested],
    );
    if (known.length === 0 && requested !== this.config.DEFAULT_AVAILABILITY_ZONE) {
      throw new CodedError(ErrorCode.BadRequest, `Availability zone '${requested}' is invalid.`);
    }
    return requested;
  }

  async update(caller: Caller, id: string, input: UpdateVolumeInput): Promise<VolumeEntity> {
    await this.get(caller, id);
    await updateVolumeProperties(this.ds.manager, id, {
      displayName: input.name,
      displayDescription: input.description,
      metadata: input.metadata,
    });
    return this.get(caller, id);
  }

  /**
   * Marks the volume `deleting` (or drops a never-placed one at once), then asks its worker to
   * remove the data.
   */
  async delete(caller: Caller, id: string, requestId: string): Promise<void> {
    await this.get(caller, id);
    const request = await requestVolumeDelete(this.ds.manager, id);
    if (request.destroyed) return;
    // Cinder casts the delete: the API answers 202 now. A worker restarting (or NATS away) is asked
    // again within the bound; past it, the worker's sweep of its `deleting` volumes finishes it.
    this.background.run(
      untilServiceAnswers(() => this.workers.deleteVolume(request.host, id, requestId), {
        what: 'asking the worker to delete',
        log: this.log.child({ volumeId: id, reqId: requestId }),
        signal: this.background.signal,
      }).then(
        () => undefined,
        (err) => this.log.warn({ err, volumeId: id, reqId: requestId }, "worker did not confirm the delete; its sweep of 'deleting' volumes finishes it"),
      ),
    );
  }
}

/**
 * The volume with its metadata, attachments and type as the query builder reads it: the reference
 * `VolumesService.get`'s own read (VolumeReader) is checked against.
 */
export function volumeQuery(em: EntityManager, id: string): SelectQueryBuilder<VolumeEntity> {
  return em
    .getRepository(VolumeEntity)
    .createQueryBuilder('v')
    .leftJoinAndSelect('v.metadata', 'meta')
    .leftJoinAndSelect('v.attachments', 'att')
    .leftJoinAndSelect('v.volumeType', 'vt')
    .where('v.id = :id', { id });
}
