import {
  CancelSwapReply,
  CancelSwapRequest,
  CodedError,
  ErrorCode,
  SwapProgressReply,
  SetSwapBandwidthReply,
  SwapProgressRequest,
  SwapVolumeReply,
  SwapVolumeRequest,
} from '@volume/contracts';
import { completionForPhase } from '@volume/domain';
import { ComputeAdapter, ComputeAdapterDeps } from '../compute-adapter';
import { KeystoneSession } from './keystone-session';
import { describeFetchError, novaError, novaFetch, parseJson } from './nova-http';
import { cancelOutcome, InstanceAction, InstanceActionEvent, latestSwapAction, ObservedPhase, phaseOf } from './swap-phase';

/** Cinder's `NOVA_API_VERSION`: below 2.85 every PUT of an attachment is a swap (no `update` policy involved). */
export const NOVA_API_VERSION = '2.1';
/** The API gives a progress query 200 ms; Nova may take this long, then the cached (or no) phase is the answer. */
export const PROGRESS_WAIT_MS = 150;
/** A phase read from Nova is re-used this long, so that frequent GETs of the volume do not each reach Nova. */
export const PHASE_CACHE_MS = 2_000;

const REQUEST_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A swap Nova accepted (202), for progress and cancel lookups. */
interface AcceptedSwap {
  serverId: string;
  /** When Nova accepted it (for a swap recovered from the database: when its migration started). */
  acceptedAt: string;
  requestId?: string;
  /** Nova's own request id of the PUT (its `X-OpenStack-Request-ID` answer): the instance action's id. */
  novaRequestId?: string;
}

interface PhaseCacheEntry {
  swap: AcceptedSwap;
  observed: ObservedPhase | null;
  fetchedAt: number;
  refreshing?: Promise<void>;
}

export interface NovaComputeAdapterOptions {
  /** The clock for token expiry and the phase cache (tests move it). */
  now?: () => number;
}

/**
 * The compute side backed by a real Nova: Cinder's `update_server_volume` (the swap-volume PUT)
 * with a Keystone token of the bridge's service user. Nova copies, pivots and calls
 * `os-migrate_volume_completion` itself; it reports no progress, so only the phase is derived, from
 * the server's instance actions.
 */
export class NovaComputeAdapter implements ComputeAdapter {
  readonly name = 'nova' as const;
  private readonly stopping = new AbortController();
  private readonly keystone: KeystoneSession;
  private readonly now: () => number;
  private readonly swaps = new Map<string, AcceptedSwap>();
  private readonly phases = new Map<string, PhaseCacheEntry>();

  constructor(
    private readonly deps: ComputeAdapterDeps,
    options: NovaComputeAdapterOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.keystone = new KeystoneSession(deps.config, deps.log, this.stopping.signal, this.now);
  }

  async start(): Promise<void> {
    const c = this.deps.config;
    this.deps.log.info(
      {
        authUrl: c.NOVA_AUTH_URL,
        user: c.NOVA_USERNAME,
        project: c.NOVA_PROJECT_NAME,
        interface: c.NOVA_INTERFACE,
        region: c.NOVA_REGION_NAME || null,
        endpointOverride: c.NOVA_ENDPOINT_OVERRIDE || null,
      },
      'nova adapter configured',
    );
  }

  async stop(): Promise<void> {
    this.stopping.abort();
  }

  async swapVolume(req: SwapVolumeRequest, requestId?: string): Promise<SwapVolumeReply> {
    const what = `the swap of volume ${req.oldVolumeId} to ${req.newVolumeId} on server ${req.serverId}`;
    const { token, computeUrl } = await this.keystone.get();
    const url = `${computeUrl}/servers/${encodeURIComponent(req.serverId)}/os-volume_attachments/${encodeURIComponent(req.oldVolumeId)}`;
    // Exactly one PUT, never retried (not after a 5xx, a timeout or a 401 either): Nova's API has
    // already called Cinder's begin_detaching and attachment_create (and may have cast to the compute
    // host) by the time an answer is lost, so a second PUT would act on a half-started swap.
    let res: Response;
    try {
      res = await novaFetch(url, {
        method: 'PUT',
        headers: { ...this.headers(token, requestId), 'Content-Type': 'application/json' },
        body: JSON.stringify({ volumeAttachment: { volumeId: req.newVolumeId } }),
        timeoutS: this.deps.config.NOVA_TIMEOUT_S,
        signal: this.stopping.signal,
      });
    } catch (err) {
      const reason = describeFetchError(err);
      this.deps.log.warn({ migrationId: req.migrationId, serverId: req.serverId, volumeId: req.oldVolumeId, reason }, 'nova swap failed');
      throw new CodedError(ErrorCode.ComputeUnavailable, `Nova could not be reached for ${what}: ${reason}`);
    }
    const text = await res.text().catch(() => '');
    if (res.status !== 202) {
      // The token was refused: the next call authenticates again; this one is not repeated (above).
      if (res.status === 401) this.keystone.invalidate(token);
      const err = novaError(res.status, text, what);
      this.deps.log.warn({ migrationId: req.migrationId, serverId: req.serverId, volumeId: req.oldVolumeId, status: res.status, code: err.code }, err.message);
      throw err;
    }
    const swap: AcceptedSwap = {
      serverId: req.serverId,
      acceptedAt: new Date(this.now()).toISOString(),
      requestId,
      novaRequestId: res.headers.get('x-openstack-request-id') ?? res.headers.get('x-compute-request-id') ?? undefined,
    };
    this.swaps.set(req.oldVolumeId, swap);
    this.phases.delete(req.oldVolumeId);
    this.deps.log.info(
      { migrationId: req.migrationId, serverId: req.serverId, oldVolumeId: req.oldVolumeId, newVolumeId: req.newVolumeId, novaRequestId: swap.novaRequestId },
      'nova accepted the swap',
    );
    return { accepted: true };
  }

  async swapProgress(req: SwapProgressRequest): Promise<SwapProgressReply> {
    const swap = await this.lookup(req.volumeId);
    const observed = swap ? await this.observe(req.volumeId, PROGRESS_WAIT_MS) : null;
    // A known swap Nova has not shown yet is at least accepted: the API must not take Nova's own
    // completion for one of an unknown swap.
    const phase = observed?.phase ?? (swap ? 'accepted' : null);
    // Nova reports no progress of a swap (no API has it): the percent is unknown, the phase is all there is.
    return {
      progress: null,
      phase,
      cur: null,
      end: null,
      updatedAt: observed?.updatedAt ?? null,
      completion: completionForPhase(phase),
      source: 'nova',
    };
  }

  async cancelSwap(req: CancelSwapRequest): Promise<CancelSwapReply> {
    const swap = await this.lookup(req.volumeId);
    if (!swap) return { outcome: 'not-found', phase: null };
    const observed = await this.observe(req.volumeId);
    const outcome = cancelOutcome(observed?.phase ?? null);
    this.deps.log.info(
      { volumeId: req.volumeId, serverId: swap.serverId, requestId: swap.requestId, reason: req.reason, phase: observed?.phase ?? null, outcome },
      'cancel of a nova swap asked',
    );
    return { outcome, phase: observed?.phase ?? null };
  }

  /** Nova has no API to pace a swap's block copy: the limit stays recorded on the migration only. */
  async setSwapBandwidth(): Promise<SetSwapBandwidthReply> {
    return { outcome: 'unsupported' };
  }

  /**
   * The swap of a volume: accepted by this process, or else (nova-bridge restarted while Nova
   * swaps) the volume's unfinished compute-swap migration and the server its attachment names (the
   * old volume's, or Nova's new one on the destination). Without this, a restart would answer a
   * watchdog's cancel with `not-found` and the destination would be removed under Nova's copy.
   */
  private async lookup(volumeId: string): Promise<AcceptedSwap | undefined> {
    const known = this.swaps.get(volumeId);
    if (known) return known;
    let rows: { server_id: string; started_at: Date }[];
    try {
      rows = await this.deps.ds.query(
        `SELECT a.instance_uuid AS server_id, m.started_at
           FROM volume_migrations m
           JOIN volume_attachments a ON a.volume_id IN (m.volume_id, m.dest_volume_id) AND a.instance_uuid IS NOT NULL
          WHERE m.volume_id = $1 AND m.mode = 'compute-swap' AND m.finished_at IS NULL
          ORDER BY m.started_at DESC, a.created_at DESC
          LIMIT 1`,
        [volumeId],
      );
    } catch (err) {
      this.deps.log.warn({ volumeId, err: err instanceof Error ? err.message : String(err) }, 'swap lookup in the database failed');
      return undefined;
    }
    if (!rows.length) return undefined;
    const swap: AcceptedSwap = { serverId: rows[0].server_id, acceptedAt: new Date(rows[0].started_at).toISOString() };
    // Another request may have recovered (or Nova accepted) it meanwhile: keep that one.
    if (!this.swaps.has(volumeId)) this.swaps.set(volumeId, swap);
    return this.swaps.get(volumeId);
  }

  /**
   * The swap's phase: from the cache while it is fresh (or final), else read from Nova. With
   * `waitMs`, a slower Nova is not waited for: the read goes on in the background and the answer is
   * the previous phase (or none).
   */
  private async observe(volumeId: string, waitMs?: number): Promise<ObservedPhase | null> {
    const swap = this.swaps.get(volumeId);
    if (!swap) return null;
    let entry = this.phases.get(volumeId);
    if (!entry || entry.swap !== swap) {
      entry = { swap, observed: null, fetchedAt: Number.NEGATIVE_INFINITY };
      this.phases.set(volumeId, entry);
    }
    const final = entry.observed?.phase === 'completed' || entry.observed?.phase === 'failed';
    if (final || (waitMs !== undefined && this.now() - entry.fetchedAt < PHASE_CACHE_MS)) return entry.observed;
    const current = entry;
    current.refreshing ??= this.readPhase(swap)
      .then(
        (observed) => {
          current.observed = observed;
        },
        (err: unknown) => {
          this.deps.log.debug({ volumeId, serverId: swap.serverId, err: err instanceof Error ? err.message : String(err) }, 'nova swap phase unavailable');
        },
      )
      .finally(() => {
        current.fetchedAt = this.now();
        current.refreshing = undefined;
      });
    if (waitMs === undefined) await current.refreshing;
    else await within(current.refreshing, waitMs);
    return current.observed;
  }

  private async readPhase(swap: AcceptedSwap): Promise<ObservedPhase> {
    const server = encodeURIComponent(swap.serverId);
    const list = (await this.getJson(`/servers/${server}/os-instance-actions`)) as { instanceActions?: InstanceAction[] } | undefined;
    const action = latestSwapAction(list?.instanceActions ?? [], swap.novaRequestId, swap.acceptedAt);
    // Nova records the action before it answers 202; not finding it means it is not readable (yet).
    if (!action) return { phase: 'accepted', updatedAt: swap.acceptedAt };
    const shown = (await this.getJson(`/servers/${server}/os-instance-actions/${encodeURIComponent(action.request_id)}`)) as
      | { instanceAction?: InstanceAction & { events?: InstanceActionEvent[] } }
      | undefined;
    return phaseOf(shown?.instanceAction ?? action, shown?.instanceAction?.events);
  }

  /** A GET of the compute API; a refused token is renewed and the (idempotent) GET made once more. */
  private async getJson(path: string): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      const { token, computeUrl } = await this.keystone.get();
      let res: Response;
      try {
        res = await novaFetch(`${computeUrl}${path}`, {
          method: 'GET',
          headers: this.headers(token),
          timeoutS: this.deps.config.NOVA_TIMEOUT_S,
          signal: this.stopping.signal,
        });
      } catch (err) {
        throw new CodedError(ErrorCode.ComputeUnavailable, `Nova could not be reached for GET ${path}: ${describeFetchError(err)}`);
      }
      const text = await res.text();
      if (res.status === 401 && attempt === 1) {
        this.keystone.invalidate(token);
        continue;
      }
      if (res.status !== 200) throw novaError(res.status, text, `GET ${path}`);
      return parseJson(text);
    }
  }

  private headers(token: string, requestId?: string): Record<string, string> {
    const headers: Record<string, string> = {
      'X-Auth-Token': token,
      'X-OpenStack-Nova-API-Version': NOVA_API_VERSION,
      Accept: 'application/json',
    };
    // Nova (oslo.middleware) keeps a caller's request id only in the `req-<uuid>` form, as the global request id.
    const globalId = requestId && (REQUEST_ID.test(requestId) ? requestId : UUID.test(requestId) ? `req-${requestId}` : undefined);
    if (globalId) headers['X-OpenStack-Request-ID'] = globalId;
    return headers;
  }
}

/** Waits for `p` at most `ms`; `p` goes on either way. */
async function within(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  try {
    await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
