import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource, EntityManager } from 'typeorm';
import { CancelSwapReply, ComputeSubjects, isCodedError } from '@volume/contracts';
import { RUNNABLE_MIGRATION_STATUSES } from '@volume/domain';
import { APP_CONFIG, LOGGER, NatsService } from '@volume/platform';
import { endMigrationWithError, markDestinationDeleting, postponeStallCheck, withdrawMigrationCancel } from '@volume/persistence';
import { ComputeRpcClient, WorkerRpcClient } from '@volume/rpc-clients';
import type { SchedulerConfig } from '../config';
import { MigrationPlacementService } from './migration-placement.service';

interface StalledRow {
  id: string;
  volume_id: string;
  dest_volume_id: string | null;
  dest_host: string;
  status: string;
  mode: string | null;
}

/**
 * An admin's cancel of a swap waits for the compute side's answer for at most its call's timeout;
 * a swap still `cancelling` well after that lost its answer (volume-api died waiting for it).
 */
const CANCEL_ANSWER_S = (3 * ComputeSubjects.cancelSwap.timeoutMs) / 1000;

/**
 * No volume stays `starting` or `migrating` forever. Each round resumes the placements a crashed
 * scheduler left (MigrationPlacementService.resume), and a migration whose runner stopped reporting
 * ends in `error` after a bound, but only when that runner is gone: its source host has no
 * heartbeat (down for SERVICE_DOWN_TIME_S), or nobody took it (still `starting`). Slow or silent
 * bytes on a live host are never a reason (issue 14 §1: Nova dropped its progress timeout after
 * false positives); 3.73 only flags them (`eta_state` stalled). The source data is never touched here; the destination, if any, is removed. A host that
 * returns later finds the migration ended and does not resume it.
 *
 * A `compute-swap` migration is the compute side's: the guest may already be writing to the
 * destination, so it ends only when nova-bridge says the swap is cancelled or unknown. Otherwise it
 * stays, and its `updated_at` is touched so that it is looked at again one full bound later (not
 * on every sweep): after its pivot the compute side will complete it; without a cancel (a real
 * Nova) only an admin can end it, with os-reset_status. A swap left `cancelling` past
 * CANCEL_ANSWER_S (the API died before the compute side answered its cancel) is decided the same
 * way: nova-bridge is asked again; cancelled (before its pivot) it ends `cancelled`, otherwise the
 * cancel is withdrawn and the swap goes on to its completion.
 */
@Injectable()
export class MigrationWatchdog {
  private timer?: NodeJS.Timeout;
  private resuming = false;

  constructor(
    private readonly ds: DataSource,
    private readonly nats: NatsService,
    private readonly compute: ComputeRpcClient,
    private readonly workers: WorkerRpcClient,
    private readonly placements: MigrationPlacementService,
    @Inject(APP_CONFIG) private readonly config: SchedulerConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** Sweeps at once (what a crash left is taken up at start), then every quarter of the bound (at most 30 s). */
  start(): void {
    const every = Math.max(1, Math.min(this.config.MIGRATION_STALL_TIMEOUT_S / 4, 30)) * 1000;
    const tick = () => this.nats.track(this.tick());
    tick();
    this.timer = setInterval(tick, every);
    this.timer.unref();
  }

  /** One round: stalled migrations end, then placements a crash interrupted are resumed. Never rejects. */
  private async tick(): Promise<void> {
    await this.sweep().catch((err) => this.log.warn({ err }, 'migration watchdog sweep failed'));
    // A round that still waits for a source host lets the next one pass rather than call it twice.
    if (this.resuming) return;
    this.resuming = true;
    try {
      await this.placements.resume();
    } catch (err) {
      this.log.warn({ err }, 'resuming interrupted placements failed; the next sweep tries again');
    } finally {
      this.resuming = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Ends every migration silent for longer than the bound (swaps: when the compute side lets it); returns their ids. */
  async sweep(): Promise<string[]> {
    // Replicas may sweep together: SKIP LOCKED gives each stalled row to one of them.
    const { ended, swaps } = await this.ds.transaction(async (em) => {
      // A copy its source host still runs is never ended here, however slow or silent (its
      // eta_state says stalled): only one whose host is down, or that no host took yet.
      const rows: StalledRow[] = await em.query(
        `SELECT m.id, m.volume_id, m.dest_volume_id, m.dest_host, m.status, m.mode FROM volume_migrations m
          WHERE (m.status = ANY($2) AND m.updated_at < now() - make_interval(secs => $1)
            AND (m.mode = 'compute-swap' OR m.status <> 'migrating' OR NOT EXISTS (
                  SELECT 1 FROM services s
                   WHERE s.host = split_part(m.source_host, '#', 1) AND s."binary" = 'cinder-volume'
                     AND s.updated_at > now() - make_interval(secs => $3))))
             OR (m.mode = 'compute-swap' AND m.status = 'cancelling' AND m.updated_at < now() - make_interval(secs => $4))
          FOR UPDATE OF m SKIP LOCKED`,
        [this.config.MIGRATION_STALL_TIMEOUT_S, RUNNABLE_MIGRATION_STATUSES, this.config.SERVICE_DOWN_TIME_S, CANCEL_ANSWER_S],
      );
      const swaps = rows.filter((r) => r.mode === 'compute-swap');
      // Claimed (no other replica sees them stalled) and released before nova-bridge is asked: a
      // cancel rolls back through a completion that updates these very rows.
      await postponeStallCheck(em, swaps.map((r) => r.id));
      const plain = rows.filter((r) => r.mode !== 'compute-swap');
      for (const row of plain) {
        const error = `no progress for ${this.config.MIGRATION_STALL_TIMEOUT_S} s (status ${row.status}); the source host is down (no heartbeat) or never took it`;
        this.log.error({ migrationId: row.id, volumeId: row.volume_id }, `migration stalled: ${error}`);
        await this.endInError(em, row, error);
      }
      return { ended: plain, swaps };
    });
    ended.forEach((row) => this.removeDestination(row));
    const settled = await Promise.all(swaps.map((row) => this.settleSwap(row)));
    return [...ended, ...swaps.filter((_, i) => settled[i])].map((r) => r.id);
  }

  /**
   * Asks nova-bridge to cancel a silent swap, or again one an admin's cancel left `cancelling`;
   * true when the migration ended here.
   */
  private async settleSwap(row: StalledRow): Promise<boolean> {
    const log = this.log.child({ migrationId: row.id, volumeId: row.volume_id });
    const cancelling = row.status === 'cancelling';
    const silent = `no progress for ${this.config.MIGRATION_STALL_TIMEOUT_S} s`;
    let reply: CancelSwapReply | null = null;
    try {
      reply = await this.compute.cancelSwap(row.volume_id, cancelling ? 'cancelled by an admin (os-migrate_volume_cancel)' : `the migration made ${silent}`);
    } catch (err) {
      log.warn({ err: isCodedError(err) ? err.message : err }, 'nova-bridge did not answer the cancel');
    }
    if (cancelling) return this.settleCancel(row, reply, log);
    if (reply?.outcome === 'cancelled' || reply?.outcome === 'not-found') {
      const error = `compute swap made ${silent}; swap ${reply.outcome} by the compute side`;
      log.error(`migration stalled: ${error}`);
      return this.endSwap(row, error);
    }
    if (reply?.outcome === 'past-pivot') {
      log.warn({ phase: reply.phase }, `compute swap made ${silent} but is past its pivot; the compute side completes it`);
      return false;
    }
    log.error(
      { outcome: reply?.outcome ?? 'no answer' },
      `compute swap made ${silent} and the compute side cannot cancel it; an admin can end the migration with ` +
        `os-reset_status (migration_status error) once the guest is known to run on the source volume`,
    );
    return false;
  }

  /**
   * A cancel whose answer was lost, answered now: cancelled (rolled back before the pivot), it ends
   * `cancelled`; anything else (past the pivot, no swap taken yet, a Nova that cannot cancel) and the
   * cancel is withdrawn, as volume-api does with such an answer, so that the completion lands. No
   * answer: asked again CANCEL_ANSWER_S later.
   */
  private async settleCancel(row: StalledRow, reply: CancelSwapReply | null, log: Logger): Promise<boolean> {
    if (!reply) return false;
    if (reply.outcome === 'cancelled') {
      log.warn('a swap cancel whose answer was lost: the compute side cancelled the swap; the migration ends cancelled');
      return this.endSwap(row, 'swap cancelled by the compute side');
    }
    log.warn({ outcome: reply.outcome, phase: reply.phase }, 'a swap cancel whose answer was lost: the compute side goes on with the swap; the cancel is withdrawn');
    await withdrawMigrationCancel(this.ds.manager, { migrationId: row.id, volumeId: row.volume_id });
    return false;
  }

  /** Ends a swap's migration the compute side let go, unless its own completion (a rollback's) ended it meanwhile; true when it ended here. */
  private async endSwap(row: StalledRow, error: string): Promise<boolean> {
    const ended = await this.ds.transaction(async (em) => {
      const statuses = row.status === 'cancelling' ? ['cancelling'] : RUNNABLE_MIGRATION_STATUSES;
      const [live] = await em.query(`SELECT 1 FROM volume_migrations WHERE id = $1 AND status = ANY($2) FOR UPDATE`, [row.id, statuses]);
      if (!live) return false;
      await this.endInError(em, row, error);
      return true;
    });
    if (ended) this.removeDestination(row);
    return ended;
  }

  /** The volume keeps its data; the destination's row goes `deleting` (removeDestination once committed). */
  private async endInError(em: EntityManager, row: StalledRow, error: string): Promise<void> {
    if (row.dest_volume_id) await markDestinationDeleting(em, { volumeId: row.volume_id, destVolumeId: row.dest_volume_id });
    await endMigrationWithError(em, { migrationId: row.id, volumeId: row.volume_id, error });
  }

  /** After the commit, so that its host finds the row `deleting`; or at its next start (its reconcile). */
  private removeDestination(row: StalledRow): void {
    if (!row.dest_volume_id) return;
    this.nats.track(this.workers.deleteVolume(row.dest_host, row.dest_volume_id).catch(() => undefined));
  }
}
