import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource, EntityManager } from 'typeorm';
import { CodedError, ErrorCode, RunMigrationRequest, ScheduleMigrationRequest } from '@volume/contracts';
import { extractHost, migrationMode, place, retryWithBackoff } from '@volume/domain';
import { APP_CONFIG, LOGGER } from '@volume/platform';
import {
  abandonUntakenMigration,
  claimPlacement,
  endUnplacedMigration,
  isDatabaseUnavailable,
  PlacementClaim,
  recordPlacement,
  reserveDestination,
  unplacedMigrations,
  untakenMigrations,
} from '@volume/persistence';
import { isHostNotUp, WorkerRpcClient } from '@volume/rpc-clients';
import type { SchedulerConfig } from '../config';
import { PlacementService } from './placement.service';

type Placement = { migrationId: string; volumeId: string };

/**
 * Checks a migration's destination as Cinder's `backend_passes_filters` does (capacity included)
 * and reserves it in the same transaction that locks the pools: a host-assisted migration gets its
 * destination row (`migration_status = target:<id>`) here, so that concurrent creates and
 * migrations never overfill the pool; an attached volume always gets one (never driver-assisted).
 * Then the source host's worker runs the migration.
 *
 * Placement survives a scheduler's crash: the transaction that places holds the migration's claim
 * (claimPlacement's row locks), so a crash rolls it back whole, and `resume` (at start, then with
 * each watchdog sweep) places what no live placement holds, and calls the source host again for
 * what was placed but never taken.
 */
@Injectable()
export class MigrationPlacementService implements BeforeApplicationShutdown {
  /** Ends the waits for a source host that does not answer when the scheduler stops. */
  private readonly stopping = new AbortController();

  constructor(
    private readonly ds: DataSource,
    private readonly workers: WorkerRpcClient,
    private readonly placement: PlacementService,
    @Inject(APP_CONFIG) private readonly config: SchedulerConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  beforeApplicationShutdown(): void {
    this.stopping.abort(new Error('the scheduler is stopping'));
  }

  /** A migration the API just accepted. Never rejects. */
  async scheduleMigration(req: ScheduleMigrationRequest, requestId: string | undefined, log: Logger = this.log): Promise<void> {
    await this.placeAndRun(req, true, requestId, log);
  }

  /**
   * What a crashed scheduler left: migrations accepted but not placed (their placement rolled back
   * with its connection) are placed now, and those placed that their source host never took are
   * sent to it again. A placement under way elsewhere holds its volume, and is left to it.
   */
  async resume(): Promise<void> {
    for (const m of await unplacedMigrations(this.ds.manager)) {
      await this.placeAndRun(m, false, undefined, this.log.child({ migrationId: m.migrationId, volumeId: m.volumeId, resumed: true }));
    }
    // Past any live scheduler's own retries of the call: only what nobody waits for any more.
    for (const { sourceHost, ...request } of await untakenMigrations(this.ds.manager, 2 * this.config.MIGRATION_SOURCE_WAIT_S + 30)) {
      const log = this.log.child({ migrationId: request.migrationId, volumeId: request.volumeId, resumed: true });
      log.warn({ sourceHost }, 'a placed migration was never taken by its source host; asking it again');
      await this.run(sourceHost, request, undefined, log);
    }
  }

  /** Places the migration unless another placement holds or did it, then hands it to its source host. */
  private async placeAndRun(m: Placement, wait: boolean, requestId: string | undefined, log: Logger): Promise<void> {
    let placed: { sourceHost: string; request: RunMigrationRequest } | null;
    try {
      placed = await this.reserve(m, wait);
    } catch (err) {
      if (isDatabaseUnavailable(err)) {
        log.warn({ err, ...m }, 'migration not placed: the database does not answer; the watchdog places it once it does');
        return;
      }
      const reason = err instanceof CodedError ? err.message : `placement failed: ${(err as Error).message}`;
      log.error({ err, ...m }, 'migration not placed; it ends in error');
      await endUnplacedMigration(this.ds.manager, { ...m, error: reason }).catch((e) =>
        log.error({ err: e, ...m }, 'cannot end the unplaced migration; the watchdog looks at it again'),
      );
      return;
    }
    if (!placed) {
      // A sweep meets a placement under way on every round it lasts: not worth a line each time.
      log[wait ? 'info' : 'debug'](m, 'migration placed already, or its placement is under way elsewhere; nothing to do');
      return;
    }
    log.info({ ...m, ...placed.request, sourceHost: placed.sourceHost }, 'migration destination reserved');
    await this.run(placed.sourceHost, placed.request, requestId, log);
  }

  /**
   * The source host runs the migration. A host that does not answer (restarting, NATS away for a
   * moment) is asked again with backoff for MIGRATION_SOURCE_WAIT_S: a repeated call is harmless,
   * as a host runs a migration once. Past that the migration ends in error, unless the host took
   * it meanwhile.
   */
  private async run(sourceHost: string, request: RunMigrationRequest, requestId: string | undefined, log: Logger): Promise<void> {
    try {
      await retryWithBackoff(() => this.workers.runMigration(sourceHost, request, requestId), {
        retryable: (err) => isHostNotUp(err),
        boundMs: this.config.MIGRATION_SOURCE_WAIT_S * 1000,
        signal: this.stopping.signal,
        onRetry: (err, attempt, delayMs) =>
          log.warn({ err: (err as Error).message, attempt, delayMs, sourceHost }, 'source host did not answer the migration; asking again'),
      });
      return;
    } catch (err) {
      if (this.stopping.signal.aborted) {
        log.warn({ sourceHost }, 'scheduler stopping before the source host took the migration; the next start asks it again');
        return;
      }
      log.error({ err, sourceHost }, 'source worker did not take the migration; it ends in error');
      const m = { migrationId: request.migrationId, volumeId: request.volumeId, destVolumeId: request.destVolumeId };
      await abandonUntakenMigration(this.ds.manager, { ...m, error: `source host unavailable: ${(err as Error).message}` }).catch((e) =>
        log.error({ err: e }, 'cannot end the untaken migration; the watchdog looks at it again'),
      );
    }
  }

  /** The placement, in one transaction that holds the claim; null when it is not this scheduler's to place. */
  private reserve(m: Placement, wait: boolean): Promise<{ sourceHost: string; request: RunMigrationRequest } | null> {
    return this.ds.transaction(async (em) => {
      const claim = await claimPlacement(em, m, wait);
      if (!claim) return null;
      const { destPoolHost, availabilityZone } = await this.choosePool(em, claim);
      const vol = claim.volume;
      const mode = migrationMode({
        sourceHost: vol.host,
        destPoolHost,
        forceHostCopy: claim.forceHostCopy,
        status: vol.status,
        previousStatus: vol.previousStatus,
      });
      const destVolumeId = mode === 'host-assisted' ? await reserveDestination(em, vol, { poolHost: destPoolHost, availabilityZone }) : null;
      await recordPlacement(em, { migrationId: m.migrationId, mode, destPoolHost, destVolumeId, sourceHost: vol.host });
      return { sourceHost: vol.host, request: { ...m, destPoolHost, mode, destVolumeId } };
    });
  }

  /** The destination is the asked backend (and pool, if named), never the pool the volume is on. */
  private async choosePool(em: EntityManager, claim: PlacementClaim): Promise<{ destPoolHost: string; availabilityZone: string }> {
    const { volume: vol, requestedDest } = claim;
    const specs: { key: string; value: string }[] = await em.query(
      `SELECT key, value FROM volume_type_extra_specs WHERE volume_type_id = $1`,
      [vol.volumeTypeId],
    );
    const wantedBackend = extractHost(requestedDest, 'backend');
    const wantedPool = extractHost(requestedDest, 'pool');
    const pools = (await this.placement.livePools(em, true)).filter(
      (p) => extractHost(p.host, 'backend') === wantedBackend && (!wantedPool || p.host === requestedDest) && p.host !== vol.host,
    );
    const result = place(
      { sizeGb: vol.size, extraSpecs: Object.fromEntries(specs.map((s) => [s.key, s.value])) },
      pools,
      { capacityWeightMultiplier: Number(this.config.CAPACITY_WEIGHT_MULTIPLIER) },
    );
    const best = result.candidates[0];
    if (!best) {
      const why = result.rejections.map((r) => `${r.pool}: ${r.reason}`).join('; ');
      throw new CodedError(ErrorCode.NoValidBackend, `No valid backend was found. Cannot place volume ${vol.id} on ${requestedDest}${why ? ` (${why})` : ''}`);
    }
    return { destPoolHost: best.pool.host, availabilityZone: best.pool.availabilityZone };
  }
}
