import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import type { Pool } from 'pg';
import { DataSource, EntityManager, ObjectLiteral, QueryFailedError, SelectQueryBuilder } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { RawSqlResultsToEntityTransformer } from 'typeorm/query-builder/transformer/RawSqlResultsToEntityTransformer.js';
import { CodedError, ErrorCode } from '@volume/contracts';
import { LOGGER } from '@volume/platform';
import {
  createVolumeRecord,
  markCreateFailed,
  requestVolumeDelete,
  updateVolumeProperties,
  VolumeEntity,
  VolumeTypeEntity,
} from '@volume/persistence';
import { API_CONFIG } from '../api-config.token';
import { SchedulerRpcClient, WorkerRpcClient } from '@volume/rpc-clients';
import type { ApiConfig } from '../config';
import { quotaDefaultsOf } from '../quotas/quota.config';
import { Caller } from '@volume/auth';
import { canSeeProject } from '../http/policy';
import { UUID, VolumeListRepository, VolumeListSpec } from './volume-list.repository';

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
  /** The SQL of `get` and the query builder that made it (its expression map hydrates the rows). */
  private prepared?: { qb: SelectQueryBuilder<VolumeEntity>; text: string };

  constructor(
    private readonly ds: DataSource,
    private readonly scheduler: SchedulerRpcClient,
    private readonly workers: WorkerRpcClient,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.lists = new VolumeListRepository(ds);
  }

  static notFound(id: string): CodedError {
    return new CodedError(ErrorCode.NotFound, `Volume ${id} could not be found.`);
  }

  /** One volume with what its views need; a volume of another project is "not found" to members. */
  async get(caller: Caller, id: string): Promise<VolumeEntity> {
    if (!UUID.test(id)) throw VolumesService.notFound(id);
    const v = await this.getPrepared(id);
    if (!v || !canSeeProject(caller, v.projectId)) throw VolumesService.notFound(id);
    return v;
  }

  /**
   * `get`, the API's hottest query. Run by the query builder it is an unnamed
   * statement, so PostgreSQL plans the 4-table join on every request, and planning was most of its
   * cost (pgbench: 2 250 tps planned each time, 20 000 prepared). Here the query builder's own SQL,
   * generated once, runs as a named prepared statement (pg parses it once per pooled connection)
   * on the pool TypeORM holds, and TypeORM's own transformer (as `getOne` does) turns the rows into
   * the same VolumeEntity: same relations, column transformers and Dates (it skips getOne's "Load"
   * broadcast: no entity here has subscribers or @AfterLoad). Writes go through the transitions
   * (@volume/persistence), which lock the row they judge: `get` never reads inside a transaction.
   */
  private async getPrepared(id: string): Promise<VolumeEntity | undefined> {
    const { qb, text } = (this.prepared ??= prepareVolumeQuery(this.ds));
    const pool = (this.ds.driver as PostgresDriver).master as Pool;
    let rows: ObjectLiteral[];
    try {
      ({ rows } = await pool.query({ name: 'volume_get', text, values: [id] }));
    } catch (err) {
      throw new QueryFailedError(text, [id], err as Error);
    }
    if (rows.length === 0) return undefined;
    const transformer = new RawSqlResultsToEntityTransformer(qb.expressionMap, this.ds.driver, []);
    return transformer.transform(rows, qb.expressionMap.mainAlias!)[0] as VolumeEntity | undefined;
  }

  list(caller: Caller, spec: VolumeListSpec) {
    return this.lists.list(caller, spec);
  }

  summary(caller: Caller, allTenants: boolean) {
    return this.lists.summary(caller, allTenants);
  }

  async create(caller: Caller, input: CreateVolumeInput, requestId: string): Promise<VolumeEntity> {
    const availabilityZone = await this.availabilityZone(input.availabilityZone);
    const id = randomUUID();
    await createVolumeRecord(this.ds.manager, {
      id,
      projectId: caller.projectId,
      userId: caller.userId,
      displayName: input.name,
      displayDescription: input.description,
      size: input.size,
      availabilityZone,
      volumeTypeId: input.volumeType.id,
      metadata: input.metadata,
    }, quotaDefaultsOf(this.config));
    const created = await this.get(caller, id);
    try {
      await this.scheduler.scheduleCreate(id, requestId);
    } catch (err) {
      // Nobody took the request: the volume cannot be created, say so on the row (Cinder: error).
      this.log.error({ err, volumeId: id, reqId: requestId }, 'scheduler did not take the create request');
      await markCreateFailed(this.ds.manager, id);
    }
    return created;
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
    // Cinder casts the delete: the API answers 202 now; a worker that misses it finishes on restart.
    this.workers.deleteVolume(request.host, id, requestId).catch((err) => {
      this.log.warn({ err, volumeId: id, reqId: requestId }, 'worker did not confirm the delete; it resumes on restart');
    });
  }
}

/** The query of `VolumesService.get`: the volume with its metadata, attachments and type. */
export function volumeQuery(em: EntityManager, id: string): SelectQueryBuilder<VolumeEntity> {
  return em
    .getRepository(VolumeEntity)
    .createQueryBuilder('v')
    .leftJoinAndSelect('v.metadata', 'meta')
    .leftJoinAndSelect('v.attachments', 'att')
    .leftJoinAndSelect('v.volumeType', 'vt')
    .where('v.id = :id', { id });
}

/** The SQL `getOne` would send for `volumeQuery`, with the id as its only parameter ($1). */
function prepareVolumeQuery(ds: DataSource): { qb: SelectQueryBuilder<VolumeEntity>; text: string } {
  const qb = volumeQuery(ds.manager, '00000000-0000-0000-0000-000000000000');
  qb.expressionMap.queryEntity = true; // as getOne sets it before generating the SQL
  const [text, parameters] = qb.getQueryAndParameters();
  if (parameters.length !== 1) throw new Error(`volume query: expected one parameter, got ${parameters.length}`);
  return { qb, text };
}
