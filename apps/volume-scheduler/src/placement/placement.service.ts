import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource, EntityManager } from 'typeorm';
import { CodedError, ErrorCode } from '@volume/contracts';
import { place, PoolStats, poolStatsOf } from '@volume/domain';
import { failStaleCreates, lockUnplacedVolume, markCreateFailed, recordVolumePlacement } from '@volume/persistence';
import { APP_CONFIG, LOGGER } from '@volume/platform';
import { WorkerRpcClient } from '@volume/rpc-clients';
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
 * Places new volumes. The choice and the capacity it takes are decided in one transaction that
 * locks the candidate pools, so concurrent creates (from any replica) never overfill a pool.
 */
@Injectable()
export class PlacementService {
  constructor(
    private readonly ds: DataSource,
    private readonly workers: WorkerRpcClient,
    @Inject(APP_CONFIG) private readonly config: SchedulerConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

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

  /** Chooses a pool and records it on the volume; returns the pool, or null when the volume is not ours to place. */
  private async reserve(volumeId: string): Promise<{ poolHost: string; sizeGb: number } | null> {
    return this.ds.transaction(async (em) => {
      const vol = await lockUnplacedVolume(em, volumeId);
      if (!vol) return null;
      const specs: { key: string; value: string }[] = await em.query(
        `SELECT key, value FROM volume_type_extra_specs WHERE volume_type_id = $1`,
        [vol.volumeTypeId],
      );
      const pools = await this.livePools(em, true);
      const result = place(
        { sizeGb: vol.size, availabilityZone: vol.availabilityZone, extraSpecs: Object.fromEntries(specs.map((s) => [s.key, s.value])) },
        pools,
        { capacityWeightMultiplier: Number(this.config.CAPACITY_WEIGHT_MULTIPLIER) },
      );
      const best = result.candidates[0];
      if (!best) {
        throw new CodedError(
          ErrorCode.NoValidBackend,
          `No valid backend was found. ${result.rejections.map((r) => `${r.pool}: ${r.reason}`).join('; ') || 'No pools are reported.'}`,
        );
      }
      await recordVolumePlacement(em, volumeId, best.pool.host);
      return { poolHost: best.pool.host, sizeGb: vol.size };
    });
  }

  /** Places, then asks the chosen worker to create the data; any failure leaves the volume in `error`. */
  async placeAndCreate(volumeId: string, requestId: string | undefined, log: Logger = this.log): Promise<void> {
    let placed: { poolHost: string; sizeGb: number } | null;
    try {
      placed = await this.reserve(volumeId);
    } catch (err) {
      log.error({ err, volumeId }, 'placement failed; volume set to error');
      await markCreateFailed(this.ds.manager, volumeId);
      return;
    }
    if (!placed) {
      log.warn({ volumeId }, 'volume is not waiting for placement; nothing to do');
      return;
    }
    const { poolHost, sizeGb } = placed;
    log.info({ volumeId, poolHost }, 'volume placed');
    try {
      const reply = await this.workers.createVolume(poolHost, { volumeId, poolHost, sizeGb }, { requestId });
      log.info({ volumeId, status: reply.status }, 'worker answered create');
    } catch (err) {
      log.error({ err, volumeId, poolHost }, 'worker did not create the volume; volume set to error');
      await markCreateFailed(this.ds.manager, volumeId);
    }
  }

  /** What a crash left behind: unplaced volumes nobody will place any more. */
  async failStaleCreates(): Promise<number> {
    const ids = await failStaleCreates(this.ds.manager, this.config.STALE_CREATE_S);
    if (ids.length) this.log.warn({ volumeIds: ids }, 'unplaced volumes left creating by a crash set to error');
    return ids.length;
  }
}
