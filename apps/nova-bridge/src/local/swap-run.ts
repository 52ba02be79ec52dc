import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { CancelSwapReply, SwapPhase, SwapProgressReply } from '@volume/contracts';
import { untilDatabaseAnswers } from '@volume/persistence';
import { ComputeSwapEntity } from '@volume/persistence/compute-host';
import { ApiIdentity } from './api-identity';
import { Guest, Mirror } from './guest';
import { connectorFor } from './servers';
import { BackoffPolicy, DEFAULT_STALL_WARN_S, estimateEta, FINISHED, PRE_PIVOT, RateEstimator, swapPercent, tighterLimit } from '@volume/domain';
import { interruptible, resumeRefusal, retryStep } from './swap-steps';
import { commitPivot, migrationBandwidth, persistSwapProgress, progressReply, recordSwapCompleted, saveSwap } from './swap-store';
import { VolumeApiClient, VolumeApiError } from './volume-api.client';

export interface SwapContext {
  ds: DataSource;
  volumeApi: VolumeApiClient;
  host: string;
  log: Logger;
  stallTimeoutMs: number;
  /** The mirror's copy rate limit (SWAP_COPY_BPS_LIMIT), bytes per second; 0 = unlimited. */
  copyBytesPerSecond?: number;
  /** How often the mirror's counters are read (stall check, progress). */
  tickMs?: number;
  /** MIGRATION_STALL_WARN_S in ms: a mirror silent this long shows `eta_state` stalled (advisory). */
  stallWarnMs?: number;
  /** How the swap's writes wait for a database that does not answer (default: libs/domain's DEFAULT_BACKOFF). */
  databaseBackoff?: BackoffPolicy;
}

type SwapFigures = NonNullable<SwapProgressReply['figures']>;

export { progressReply } from './swap-store';

const PERSIST_EVERY_MS = 1000;
/**
 * The longest pause between two attempts of a step past the pivot: a detach of the volume, or its
 * next swap, waits for them (LocalServers.afterFinishingSwap): they follow a fault's end within seconds.
 */
const FINISH_BACKOFF_MS = 5_000;

/**
 * One swap of a device to a migrating volume's destination, as Nova's `_swap_volume` with
 * libvirt's block copy: connect the new volume, mirror while the guest writes, pivot (the
 * persisted device switch is the commit point), then attachment complete, old attachment delete
 * and the migration completion. Before the pivot every failure rolls back and the guest stays on
 * the source; after it the new volume is authoritative and the remaining steps are retried. A
 * restart before the pivot resumes the swap (the mirror starts again onto the same target) while
 * its migration is still under way, and rolls it back only when it cannot (swapResumeRefusal).
 */
export class SwapRun {
  private mirror?: Mirror;
  private committed = false;
  /** Set once a rollback has stopped the mirror: from then on the completion with error is due. */
  private rollingBack = false;
  private cancelReason?: string;
  private stopped = false;
  private readonly interrupt = new AbortController();
  private readonly stopping = new AbortController();
  private ticker?: NodeJS.Timeout;
  private lastMoveAt = Date.now();
  private lastPersistAt = 0;
  private persisted = { cur: -1, end: -1 };
  /** The mirror's recent rate over the bytes it copied (3.73's `rate_bytes_per_second`). */
  private readonly rate = new RateEstimator();
  /** The migration's own limit (3.73's bandwidth), bytes per second, 0: none; set by an admin while the swap runs. */
  private ownLimit: number | null = null;
  private settle!: () => void;
  /** Resolves once the swap is past its commit point or rolled back (or stopped). */
  readonly settled = new Promise<void>((r) => (this.settle = r));
  /** The background work; never rejects. */
  done: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: SwapContext,
    readonly row: ComputeSwapEntity,
    /** The service identity every volume-api call of the swap acts as. */
    private readonly as: ApiIdentity,
    private readonly deviceName: string,
    private readonly guest?: Guest,
  ) {
    this.committed = row.phase === 'completing' || row.phase === 'completed';
  }

  get phase(): SwapPhase {
    return this.row.phase;
  }

  /** Steps 3-7 of a swap just accepted. */
  start(): void {
    this.done = this.copyAndPivot().then((pivoted) => (pivoted ? this.finish() : undefined));
  }

  /** A swap found after a restart: finish it past its pivot; before it, resume it, or roll it back where it cannot resume. */
  recover(): void {
    if (this.committed) {
      this.settle();
      this.done = this.finish();
    } else {
      this.done = this.resume().then((pivoted) => (pivoted ? this.finish() : undefined));
    }
  }

  progress(): SwapProgressReply {
    const mirroring = this.mirror && PRE_PIVOT.has(this.row.phase);
    if (mirroring) this.observe();
    const reply = progressReply(this.row);
    if (mirroring) reply.figures = this.figures();
    if (reply.progress !== null) this.row.progress = Number(reply.progress);
    if (this.rollingBack) reply.completion = 'error';
    return reply;
  }

  /**
   * 3.73's os-migrate_volume_set_bandwidth: the mirror goes at the tighter of the new limit (null:
   * none of its own) and SWAP_COPY_BPS_LIMIT from now on, and its rate is measured afresh.
   * @returns false past the pivot or when the swap is over: there is no copy left to pace.
   */
  setBandwidth(bytesPerSecond: number | null): boolean {
    if (this.committed || !PRE_PIVOT.has(this.row.phase)) return false;
    this.ownLimit = bytesPerSecond ?? 0;
    this.mirror?.setBandwidth(this.limit());
    this.rate.rebase();
    return true;
  }

  async cancel(reason: string): Promise<CancelSwapReply> {
    if (!this.committed && !FINISHED.has(this.row.phase)) {
      this.cancelReason ??= reason;
      this.interrupt.abort(new Error(`cancelled: ${reason}`));
      await this.settled;
      await this.waitRolledBack();
    }
    return { outcome: this.committed ? 'past-pivot' : 'cancelled', phase: this.row.phase };
  }

  /** Stops without rolling back: the rows stay as they are, for `recover` after the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.interrupt.abort(new Error('nova-bridge is stopping'));
    this.stopping.abort(new Error('nova-bridge is stopping'));
    await this.settled;
    await this.done;
  }

  private async waitRolledBack(): Promise<void> {
    if (!this.committed) await this.done;
  }

  /**
   * Before the pivot, after a restart. The mirror's dirty map died with the process and the guest
   * went on writing to the source meanwhile, so nothing tells what of the target is still good:
   * the mirror goes over the whole device again (resync), reading the target back and writing only
   * what differs. Correct as a full re-copy is, without rewriting what the first mirror copied.
   */
  private async resume(): Promise<boolean> {
    const scope = { signal: this.stopping.signal, log: this.ctx.log, swapId: this.row.id };
    const refusal = await resumeRefusal(this.ctx.volumeApi, this.as, this.row, this.guest !== undefined, scope);
    if (this.stopped) {
      this.settle();
      return false;
    }
    if (refusal) {
      this.ctx.log.warn({ swapId: this.row.id, phase: this.row.phase, reason: refusal }, 'a swap interrupted before its pivot cannot resume; rolling it back');
      await this.rollback('failed', `nova-bridge restarted before the pivot and the swap cannot resume: ${refusal}`).finally(() => this.settle());
      return false;
    }
    this.ctx.log.warn({ swapId: this.row.id, phase: this.row.phase }, 'resuming a swap interrupted before its pivot: mirroring the device onto its target again');
    return this.copyAndPivot(this.row.targetPath !== null);
  }

  /**
   * True once the device runs on the target; false when the swap rolled back (or stopped before).
   * @param resync the target may hold an interrupted mirror's copy (MirrorOptions.resync).
   */
  private async copyAndPivot(resync = false): Promise<boolean> {
    const { volumeApi } = this.ctx;
    const newAttachment = this.row.newAttachmentId as string;
    try {
      // A resumed swap connected its new attachment before: its target is where it was.
      let target = this.row.targetPath;
      if (target === null) {
        target = await this.interruptible(volumeApi.connectAttachment(this.as, newAttachment, connectorFor(this.ctx.host, this.deviceName)));
        this.row.targetPath = target;
        await this.save({ targetPath: target }, this.interrupt.signal);
      }
      if (!this.guest) throw new Error('the guest disk is not open');
      this.interrupt.signal.throwIfAborted();
      const recorded = await this.interruptible(migrationBandwidth(this.ctx.ds, this.row.migrationId));
      // A limit set while the row was being read is the newer one.
      this.ownLimit ??= recorded;
      this.mirror = this.guest.startMirror(target, { bytesPerSecond: this.limit(), resync });
      this.mirror.ready.catch(() => undefined);
      await this.setPhase('copying');
      this.lastMoveAt = Date.now();
      this.ticker = setInterval(() => this.tick(), this.ctx.tickMs ?? 250);
      await this.interruptible(this.mirror.ready);
      await this.setPhase('ready');
      for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
        this.interrupt.signal.throwIfAborted();
        await this.setPhase('pivoting');
        if (await this.pivot()) break;
        await this.setPhase('copying');
        await this.interruptible(sleep(delay));
      }
      this.ctx.log.info({ swapId: this.row.id, target }, 'swap pivoted: the guest runs on the new volume');
      return true;
    } catch (err) {
      if (this.committed) return true;
      clearInterval(this.ticker);
      if (this.stopped) {
        await this.mirror?.cancel('nova-bridge is stopping').catch(() => undefined);
        return false;
      }
      const outcome = this.cancelReason ? 'cancelled' : 'failed';
      const reason = this.cancelReason ?? (err as Error).message;
      this.ctx.log.warn({ err, swapId: this.row.id, outcome }, 'swap stopped before its pivot; rolling back');
      await this.rollback(outcome, reason);
      return false;
    } finally {
      clearInterval(this.ticker);
      this.settle();
    }
  }

  private async pivot(): Promise<boolean> {
    const mirror = this.mirror as Mirror;
    try {
      return await mirror.pivot(() => this.commit());
    } catch (err) {
      if (this.committed) {
        this.ctx.log.error({ err, swapId: this.row.id }, 'the mirror failed after the commit point; the device record points at the target');
        return true;
      }
      throw err;
    }
  }

  /** The commit point: the device runs on the target from here on, whatever happens next. */
  private async commit(): Promise<void> {
    if (this.cancelReason || this.stopped) throw new Error(`not pivoting: ${this.cancelReason ?? 'nova-bridge is stopping'}`);
    this.observe();
    const row = this.row;
    const progress = swapPercent('completing', row.progress, row.cur, row.end);
    // The guest's writes wait (drained) while the database is away: a pivot is never given up for
    // an outage, and only the bridge's stop ends the wait (the row then says where the device is).
    await this.untilDatabase('commit the pivot', () => commitPivot(this.ctx.ds, row, progress), this.stopping.signal);
    this.committed = true;
    row.phase = 'completing';
    row.progress = progress;
    row.updatedAt = new Date();
  }

  /** Steps 5-7 and the device record, retried with backoff until done (or stopped): never back. */
  private async finish(): Promise<void> {
    const { volumeApi } = this.ctx;
    const { oldVolumeId, newVolumeId, oldAttachmentId } = this.row;
    const newAttachment = this.row.newAttachmentId as string;
    const ok = await this.retry('complete the new attachment', () => volumeApi.completeAttachment(this.as, newAttachment), Infinity, FINISH_BACKOFF_MS);
    if (!ok) return;
    const deleted = await this.retry(
      'delete the old attachment',
      () => volumeApi.deleteAttachment(this.as, oldAttachmentId),
      Infinity,
      FINISH_BACKOFF_MS,
    );
    if (!deleted) return;
    let saveVolumeId = oldVolumeId;
    const completed = await this.retry(
      'complete the migration',
      async () => {
        try {
          saveVolumeId = await volumeApi.migrateVolumeCompletion(this.as, oldVolumeId, newVolumeId, false);
        } catch (err) {
          // A completion that went through before a crash is refused the second time.
          if (err instanceof VolumeApiError && err.status >= 400 && err.status < 500) {
            const volume = await volumeApi.getVolume(this.as, oldVolumeId);
            if (volume.migration_status === 'success') return;
          }
          throw err;
        }
      },
      Infinity,
      FINISH_BACKOFF_MS,
    );
    if (!completed) return;
    await this.retry('record the completed swap', () => recordSwapCompleted(this.ctx.ds, this.row, saveVolumeId, newAttachment), Infinity, FINISH_BACKOFF_MS);
    this.row.phase = 'completed';
    this.row.updatedAt = new Date();
    this.ctx.log.info({ swapId: this.row.id, volumeId: saveVolumeId }, 'swap completed');
  }

  /** Nova's rollback: roll_detaching(old), delete the new attachment, completion with error. */
  private async rollback(outcome: 'failed' | 'cancelled', reason: string): Promise<void> {
    const { volumeApi } = this.ctx;
    const { oldVolumeId, newVolumeId, newAttachmentId } = this.row;
    await this.mirror?.cancel(reason).catch((err) => this.ctx.log.warn({ err, swapId: this.row.id }, 'cancelling the mirror failed'));
    this.rollingBack = true;
    await this.retry('roll back detaching', () => volumeApi.rollDetaching(this.as, oldVolumeId), 5);
    if (newAttachmentId) {
      await this.retry(
        'delete the new attachment',
        () => volumeApi.deleteAttachment(this.as, newAttachmentId),
        5,
      );
    }
    await this.retry('complete the migration with an error', () => volumeApi.migrateVolumeCompletion(this.as, oldVolumeId, newVolumeId, true), 5);
    if (this.stopped) return;
    this.row.phase = outcome;
    this.row.error = reason;
    this.row.updatedAt = new Date();
    await this.save({ phase: outcome, error: reason, finishedAt: new Date() }).catch((err) =>
      this.ctx.log.error({ err, swapId: this.row.id }, 'cannot record the rolled-back swap'),
    );
  }

  private retry(what: string, step: () => Promise<unknown>, attempts: number, maxBackoffMs?: number): Promise<boolean> {
    return retryStep(what, step, attempts, { signal: this.stopping.signal, log: this.ctx.log, swapId: this.row.id, maxBackoffMs });
  }

  /** Reads the mirror's counters into the row; cur moving is what "not stalled" means. */
  /** The pace of the mirror: the tighter of the migration's own limit and SWAP_COPY_BPS_LIMIT; 0: none. */
  private limit(): number {
    return tighterLimit(this.ctx.copyBytesPerSecond ?? 0, this.ownLimit ?? 0);
  }

  /** Rate and time left of the mirror as it stands, as a host copy reports them. */
  private figures(): SwapFigures {
    const { cur, end } = this.row;
    const msSinceProgress = Date.now() - this.lastMoveAt;
    const bytesPerSecond = this.rate.bytesPerSecond;
    const eta = estimateEta({
      remainingBytes: cur === null || end === null ? null : Math.max(0, end - cur),
      rateBytesPerSecond: bytesPerSecond,
      msSinceProgress,
      limitBytesPerSecond: this.limit(),
      stallWarnMs: this.ctx.stallWarnMs ?? DEFAULT_STALL_WARN_S * 1000,
    });
    return {
      rateBytesPerSecond: bytesPerSecond === null ? null : Math.round(bytesPerSecond),
      ...eta,
      lastProgressAt: new Date(this.lastMoveAt).toISOString(),
    };
  }

  private observe(): void {
    if (!this.mirror) return;
    const { cur, end, written } = this.mirror.stats();
    // The rate goes by bytes written: zeroes are skipped at memory speed and would say nothing of the time left.
    this.rate.record(written);
    if (cur !== this.row.cur || end !== this.row.end) {
      if (cur !== (this.row.cur ?? 0)) this.lastMoveAt = Date.now();
      this.row.cur = cur;
      this.row.end = end;
      this.row.updatedAt = new Date();
    }
    const percent = swapPercent(this.row.phase, this.row.progress, cur, end);
    if (percent !== null) this.row.progress = percent;
  }

  private tick(): void {
    if (!PRE_PIVOT.has(this.row.phase) || this.committed) return;
    this.observe();
    const now = Date.now();
    if (now - this.lastMoveAt > this.ctx.stallTimeoutMs) {
      this.interrupt.abort(new Error(`the copy made no progress for ${Math.round(this.ctx.stallTimeoutMs / 1000)} s`));
      return;
    }
    const { cur, end } = this.row;
    if (now - this.lastPersistAt >= PERSIST_EVERY_MS && (cur !== this.persisted.cur || end !== this.persisted.end)) {
      this.lastPersistAt = now;
      this.persisted = { cur: cur ?? -1, end: end ?? -1 };
      const f = this.figures();
      const live = { bytesToRead: end, readBytes: cur ?? 0, rateBytesPerSecond: f.rateBytesPerSecond, etaSeconds: f.etaSeconds, lastProgressAt: new Date(this.lastMoveAt) };
      void persistSwapProgress(this.ctx.ds, this.row, live).catch((err) => this.ctx.log.warn({ err, swapId: this.row.id }, 'cannot persist swap progress'));
    }
  }

  private async setPhase(phase: SwapPhase): Promise<void> {
    this.row.phase = phase;
    this.row.updatedAt = new Date();
    await this.save({ phase }, this.interrupt.signal);
  }

  /**
   * A swap's own row, written when the database answers (issue 17 §3: an outage delays a swap, it
   * never rolls it back). The wait ends with `signal`: a cancel or a stall before the pivot, the
   * bridge stopping after it.
   */
  private save(changes: Partial<ComputeSwapEntity>, signal: AbortSignal = this.stopping.signal): Promise<void> {
    return this.untilDatabase(`record the swap's ${Object.keys(changes).join(', ')}`, () => saveSwap(this.ctx.ds, this.row.id, changes), signal);
  }

  private untilDatabase(what: string, step: () => Promise<void>, signal: AbortSignal): Promise<void> {
    return untilDatabaseAnswers(what, step, { log: this.ctx.log.child({ swapId: this.row.id }), signal, policy: this.ctx.databaseBackoff });
  }

  /** `promise`, or the reason of a cancel, a stall or a stop, whichever comes first. */
  private interruptible<T>(promise: Promise<T>): Promise<T> {
    return interruptible(promise, this.interrupt.signal);
  }
}
