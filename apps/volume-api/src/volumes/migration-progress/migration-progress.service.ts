import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { LOGGER } from '@volume/platform';
import { activeMigrationMode, VolumeEntity } from '@volume/persistence';
import { API_CONFIG } from '../../api-config.token';
import { ComputeRpcClient, WorkerRpcClient } from '@volume/rpc-clients';
import type { ApiConfig } from '../../config';
import { AuthedContext } from '../../http/request-context';
import { showsMigrationProgress } from '../volume.view-builder';

/** How long one live answer serves the GETs of a volume: fresh to the eye, cheap for the worker. */
const PROGRESS_TTL_MS = 250;
/** How long an older answer is still shown at once while a new lookup is under way. */
const PROGRESS_STALE_MS = 1_000;
/** How long a live answer outranks a lower persisted value (which trails it by up to a second). */
const RECENT_LIVE_MS = 5_000;
const PERCENT = /^\d+$/;

/** The live `migration_progress` of 3.72 that GET volume shows an admin while the volume migrates. */
@Injectable()
export class MigrationProgressService {
  private readonly progressCache = new Map<string, SharedProgress>();
  private readonly recentLive = new Map<string, { at: number; value: string }>();

  constructor(
    private readonly ds: DataSource,
    private readonly workers: WorkerRpcClient,
    private readonly compute: ComputeRpcClient,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /**
   * The live source, asked with a short budget, and when it does not answer (or answers null) the
   * value last persisted. Nothing is read or asked unless the field is shown (admin, 3.72, migrating).
   */
  async migrationProgress(ctx: AuthedContext, volume: VolumeEntity): Promise<string | null> {
    if (!showsMigrationProgress(ctx, volume)) return null;
    const answered = await this.shared(volume.id, () => this.askLive(volume, ctx.requestId));
    if (answered) {
      this.recentLive.set(volume.id, { at: Date.now(), value: answered });
      prune(this.recentLive, RECENT_LIVE_MS);
      return answered;
    }
    return this.notBelowRecent(volume.id, volume.migrationProgress);
  }

  /**
   * The source follows the migration's recorded mode: the compute side (nova-bridge) while it swaps
   * an attached volume, else the source host's worker, which runs the copy.
   */
  private async askLive(volume: VolumeEntity, requestId: string): Promise<{ progress: string | null }> {
    const budget = this.config.MIGRATION_PROGRESS_TIMEOUT_MS;
    if ((await activeMigrationMode(this.ds.manager, volume.id)) === 'compute-swap') {
      return this.compute.swapProgress(volume.id, budget, requestId);
    }
    if (!volume.host) return { progress: null };
    return this.workers.migrationProgress(volume.host, volume.id, budget, requestId);
  }

  /**
   * The persisted percent trails the live one by up to a second: when a live answer is missed, the
   * field must not go below what this API showed moments ago (progress never goes backwards).
   */
  private notBelowRecent(volumeId: string, persisted: string | null): string | null {
    const recent = this.recentLive.get(volumeId);
    if (!recent || Date.now() - recent.at > RECENT_LIVE_MS) return persisted;
    if (persisted === null) return recent.value;
    if (PERCENT.test(persisted) && PERCENT.test(recent.value)) return String(Math.max(Number(persisted), Number(recent.value)));
    return persisted;
  }

  /**
   * Many admins (or one polling hard) must not slow the copy they watch: concurrent and closely
   * following GETs of one volume share a single lookup and request for PROGRESS_TTL_MS. Nor must a
   * busy source slow the GETs: once an answer is older than that, the next GET starts a new lookup
   * but it and the GETs after it are answered at once with the previous answer while it is younger
   * than PROGRESS_STALE_MS (the lookup's own wait, the source's busy queue, is paid by nobody). Only a
   * volume nobody asked about for that long waits for its lookup.
   */
  private shared(volumeId: string, ask: () => Promise<{ progress: string | null }>): Promise<string | null> {
    const now = Date.now();
    const entry = this.progressCache.get(volumeId) ?? { answer: null, pending: null };
    const { answer } = entry;
    if (answer && now - answer.at < PROGRESS_TTL_MS) return Promise.resolve(answer.value);
    entry.pending ??= this.lookup(volumeId, entry, now, ask);
    this.progressCache.set(volumeId, entry);
    prune(this.progressCache, PROGRESS_STALE_MS);
    return answer && now - answer.at < PROGRESS_STALE_MS ? Promise.resolve(answer.value) : entry.pending;
  }

  private lookup(volumeId: string, entry: SharedProgress, at: number, ask: () => Promise<{ progress: string | null }>): Promise<string | null> {
    return ask()
      .then((live) => live.progress)
      .catch((err) => {
        this.log.debug({ err, volumeId }, 'live migration progress unavailable; using the persisted value');
        return null;
      })
      .then((value) => {
        // As of when it was asked: never fresher than the state the source saw.
        entry.answer = { at, value };
        entry.pending = null;
        return value;
      });
  }
}

/** One volume's shared live answer: the last one (as of when it was asked) and the lookup under way. */
interface SharedProgress {
  answer: { at: number; value: string | null } | null;
  pending: Promise<string | null> | null;
}

/** The newest time of an entry: its answer's, or now while a lookup is under way. */
function touchedAt(entry: { at: number } | SharedProgress): number {
  if ('at' in entry) return entry.at;
  return entry.pending ? Date.now() : (entry.answer?.at ?? 0);
}

/** Keeps a per-volume map small: past 10 000 entries, the expired ones go. */
function prune(map: Map<string, { at: number } | SharedProgress>, ttlMs: number): void {
  if (map.size <= 10_000) return;
  const now = Date.now();
  for (const [id, entry] of map) if (now - touchedAt(entry) >= ttlMs) map.delete(id);
}
