import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource, EntityManager } from 'typeorm';
import { CodedError, CreateVolumeReply, CreateVolumeRequest, ErrorCode } from '@volume/contracts';
import { placeInTurn, PoolStats, poolStatsOf, Rejection, retryWithBackoff } from '@volume/domain';
import { Batcher, failStaleCreates, lockUnplacedVolumes, markCreateFailed, markCreatesFailed, recordVolumePlacements } from '@volume/persistence';
import { APP_CONFIG, LOGGER } from '@volume/platform';
import { isHostNotUp, WorkerRpcClient } from '@volume/rpc-clients';
import type { SchedulerConfig } from '../config';

interface PoolRow {
  name: string;
  availability_zone: string;
  total_capacity_gb: number;
  free_capacity_gb: number;
  capabilities: Record<string, unknown>;
  allocated: string;
}

/**
 * Where a volume went: its pool; `noPool`, why no pool fits (the volume is in `error` already); or
 * null when it was not ours to place.
 */
type Reservation = { poolHost: string; sizeGb: number } | { noPool: CodedError } | null;

/** The most volumes one transaction places; more wait for the next. */
const MAX_BATCH = 100;

/**
 * Places new volumes. The choice and the capacity it takes are decided in one transaction that
 * locks the candidate pools, so concurrent creates (from any replica) never overfill a pool. The
 * creates that arrive while such a transaction runs are decided together by the next one (placed
 * in turn, as one at a time would): under a burst the pools' lock is taken once a batch, not once
 * a volume, which had made placements queue on it one round trip after another (~50 creates/s).
 */
@Injectable()
export class PlacementService implements BeforeApplicationShutdown {
  /** One batch transaction at a time, until nothing waits. */
  private readonly placements = new Batcher<string, Reservation>((volumeIds) => this.reserveBatch(volumeIds), MAX_BATCH);
  /** Ends the waits for a host that does not answer when the scheduler stops. */
  private readonly stopping = new AbortController();

  constructor(
    private readonly ds: DataSource,
    private readonly workers: WorkerRpcClient,
    @Inject(APP_CONFIG) private readonly config: SchedulerConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  beforeApplicationShutdown(): void {
    this.stopping.abort(new Error('the scheduler is stopping'));
  }

  /** Pools whose worker is up, with allocated capacity summed from the volumes placed on them. */
  async livePools(em: EntityManager, lock: boolean): Promise<PoolStats[]> {
    if (lock) {
      // Lock first, in a statement of its own: under READ COMMITTED the next statement then takes a
      // fresh snapshot, so the sums below include what the transaction we waited for placed.
      await em.query(`SELECT name FROM pools ORDER BY name FOR UPDATE`);
    }
    const rows: PoolRow[] = await em.query(
      `SELECT p.name, p.availability_zone, p.total_capacity_gb, p.free_capacity_gb, p.capabilities,
              COALESCE((SELECT SUM(v.size) FROM volumes v WHERE v.host = p.name), 0) AS allocated
         FROM pools p
         JOIN services s ON s.host = split_part(p.name, '#', 1) AND s."binary" = 'cinder-volume'
        WHERE s.updated_at > now() - make_interval(secs => $1) AND NOT s.disabled
        ORDER BY p.name`,
      [this.config.SERVICE_DOWN_TIME_S],
    );
    return rows.map((r) =>
      poolStatsOf(
        {
          name: r.name,
          availabilityZone: r.availability_zone,
          totalCapacityGb: r.total_capacity_gb,
          freeCapacityGb: r.free_capacity_gb,
          capabilities: r.capabilities,
        },
        Number(r.allocated),
      ),
    );
  }

  /** Chooses a pool and records it on the volume; the pool, or null when the volume is not ours to place. */
  private reserve(volumeId: string): Promise<Reservation> {
    return this.placements.submit(volumeId);
  }

  /**
   * Places the volumes in one transaction, in the order asked; those no pool fits end in `error` in
   * it too (their projects' usage locked once, not once a volume).
   * @returns per volume its reservation.
   */
  private reserveBatch(volumeIds: string[]): Promise<Reservation[]> {
    return this.ds.transaction(async (em) => {
      const locked = new Map((await lockUnplacedVolumes(em, volumeIds)).map((v) => [v.id, v]));
      const ours = [...new Set(volumeIds)].flatMap((id) => locked.get(id) ?? []);
      const typeIds = [...new Set(ours.map((v) => v.volumeTypeId))];
      const specs: { volume_type_id: string; key: string; value: string }[] = await em.query(
        `SELECT volume_type_id, key, value FROM volume_type_extra_specs WHERE volume_type_id = ANY($1)`,
        [typeIds],
      );
      const specsOf = (typeId: string) => Object.fromEntries(specs.filter((s) => s.volume_type_id === typeId).map((s) => [s.key, s.value]));
      const results = placeInTurn(
        ours.map((v) => ({ sizeGb: v.size, availabilityZone: v.availabilityZone, extraSpecs: specsOf(v.volumeTypeId) })),
        ours.length > 0 ? await this.livePools(em, true) : [],
        { capacityWeightMultiplier: Number(this.config.CAPACITY_WEIGHT_MULTIPLIER) },
      );
      const outcomes = new Map<string, Reservation>();
      const placements: { volumeId: string; poolHost: string }[] = [];
      const unplaceable: string[] = [];
      ours.forEach((v, i) => {
        const best = results[i].candidates[0];
        if (!best) {
          outcomes.set(v.id, { noPool: noValidBackend(results[i].rejections) });
          unplaceable.push(v.id);
          return;
        }
        placements.push({ volumeId: v.id, poolHost: best.pool.host });
        outcomes.set(v.id, { poolHost: best.pool.host, sizeGb: v.size });
      });
      if (placements.length > 0) await recordVolumePlacements(em, placements);
      if (unplaceable.length > 0) await markCreatesFailed(em, unplaceable);
      // The same request twice (a redelivery): the first places the volume, the second finds it placed.
      return volumeIds.map((id) => {
        const outcome = outcomes.get(id) ?? null;
        outcomes.delete(id);
        return outcome;
      });
    });
  }

  /** Places, then asks the chosen worker to create the data; any failure leaves the volume in `error`. */
  async placeAndCreate(volumeId: string, requestId: string | undefined, log: Logger = this.log): Promise<void> {
    let placed: Reservation;
    try {
      placed = await this.reserve(volumeId);
    } catch (err) {
      log.error({ err, volumeId }, 'placement failed; volume set to error');
      await this.fail(volumeId, log);
      return;
    }
    if (!placed) {
      log.warn({ volumeId }, 'volume is not waiting for placement; nothing to do');
      return;
    }
    if ('noPool' in placed) {
      log.error({ err: placed.noPool, volumeId }, 'no pool fits; volume set to error');
      return;
    }
    const { poolHost, sizeGb } = placed;
    log.info({ volumeId, poolHost }, 'volume placed');
    try {
      const reply = await this.createOnHost(poolHost, { volumeId, poolHost, sizeGb }, requestId, log);
      log.info({ volumeId, status: reply.status }, 'worker answered create');
    } catch (err) {
      if (this.stopping.signal.aborted) {
        // Placed and still `creating`: its host's sweep of its own creating volumes finishes it.
        log.warn({ volumeId, poolHost }, 'scheduler stopping before the host took the create; the host finishes it');
        return;
      }
      log.error({ err, volumeId, poolHost }, 'worker did not create the volume; volume set to error');
      await this.fail(volumeId, log);
    }
  }

  /**
   * The create on the chosen host. A host that does not answer (restarting, NATS away for a moment)
   * is asked again with backoff for CREATE_HOST_WAIT_S: a repeated create is harmless, the worker
   * answers a volume it already made with its status.
   */
  private createOnHost(poolHost: string, request: CreateVolumeRequest, requestId: string | undefined, log: Logger): Promise<CreateVolumeReply> {
    return retryWithBackoff(() => this.workers.createVolume(poolHost, request, { requestId }), {
      retryable: (err) => isHostNotUp(err),
      boundMs: this.config.CREATE_HOST_WAIT_S * 1000,
      signal: this.stopping.signal,
      onRetry: (err, attempt, delayMs) =>
        log.warn({ err: (err as Error).message, attempt, delayMs, poolHost, volumeId: request.volumeId }, 'host did not answer the create; asking again'),
    });
  }

  /**
   * markCreateFailed, which may itself fail (no database connection within the bound under a
   * burst): that is logged, not thrown, since nobody awaits a create's work but NatsService.track,
   * where a rejection goes unhandled and ends the scheduler. The volume then stays `creating` (on
   * no host, failStaleCreates ends it when a scheduler next starts).
   */
  private async fail(volumeId: string, log: Logger): Promise<void> {
    await markCreateFailed(this.ds.manager, volumeId).catch((err: unknown) => log.error({ err, volumeId }, 'could not set the volume to error'));
  }

  /** What a crash left behind: unplaced volumes nobody will place any more. */
  async failStaleCreates(): Promise<number> {
    const ids = await failStaleCreates(this.ds.manager, this.config.STALE_CREATE_S);
    if (ids.length) this.log.warn({ volumeIds: ids }, 'unplaced volumes left creating by a crash set to error');
    return ids.length;
  }
}

function noValidBackend(rejections: readonly Rejection[]): CodedError {
  return new CodedError(
    ErrorCode.NoValidBackend,
    `No valid backend was found. ${rejections.map((r) => `${r.pool}: ${r.reason}`).join('; ') || 'No pools are reported.'}`,
  );
}
