import { randomUUID } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { FastifyInstance } from 'fastify';
import {
  CancelSwapReply,
  CancelSwapRequest,
  CodedError,
  ErrorCode,
  SwapProgressReply,
  SetSwapBandwidthReply,
  SetSwapBandwidthRequest,
  SwapProgressRequest,
  SwapVolumeReply,
  SwapVolumeRequest,
} from '@volume/contracts';
import { Authenticator, createAuthenticator, PolicyEnforcer, ServiceTokenSource, serviceTokenSource, wwwAuthenticate } from '@volume/auth';
import { isLoopbackAddress } from '@volume/platform';
import { ComputeDeviceEntity, ComputeServerEntity, ComputeSwapEntity } from '@volume/persistence/compute-host';
import { ComputeAdapter, ComputeAdapterDeps } from '../compute-adapter';
import { keystoneServiceIdentity, noauthServiceIdentity, ServiceIdentity } from './api-identity';
import { buildComputeApi, ComputeApiAuth } from './compute-api';
import { authenticateCaller, ComputeCaller } from './compute-auth';
import { ComputePolicy } from './compute-policy';
import { ComputeFault } from './compute-fault';
import { OpenGuest, openGuestDevice } from './guest';
import { ACTIVE_SWAP, LocalServers, UUID } from './servers';
import { FINISHED } from '@volume/domain';
import { progressReply, SwapContext, SwapRun } from './swap-run';
import { ApiVolume, VolumeApiClient, VolumeApiError } from './volume-api.client';

/** volume-api's answer as Nova would have answered the swap request. */
function novaError(err: unknown, what: string, notFound: ErrorCode = ErrorCode.ComputeNotFound): Error {
  if (!(err instanceof VolumeApiError)) return err as Error;
  const byStatus: Record<number, ErrorCode> = {
    400: ErrorCode.ComputeBadRequest,
    403: ErrorCode.ComputeForbidden,
    404: notFound,
    409: ErrorCode.ComputeConflict,
  };
  return new CodedError(byStatus[err.status] ?? ErrorCode.ComputeUnavailable, `${what}: ${err.message}`);
}

export interface LocalComputeAdapterDeps extends ComputeAdapterDeps {
  /** The deployment's policy (POLICY_FILE), which decides who may do what to a server. */
  policy: PolicyEnforcer;
}

/**
 * The built-in compute host (`NOVA_ADAPTER=local`): persisted servers whose guests do their disk
 * I/O through its HTTP API, so that it can swap a device to a migrating volume's destination while
 * the guest writes, acting on volume-api exactly as Nova does.
 */
export class LocalComputeAdapter implements ComputeAdapter {
  readonly name = 'local' as const;
  /** Where the compute API listens, once started (`http://host:port`). */
  apiUrl?: string;
  readonly servers: LocalServers;
  private readonly volumeApi: VolumeApiClient;
  /** Who calls the compute API: the same strategies as volume-api's. */
  private readonly auth: Authenticator;
  /** keystone: the bridge's own token, which validates callers' tokens and acts for the service. */
  private readonly serviceTokens?: ServiceTokenSource;
  /** What the swaps Cinder asks for act as (no caller of the compute API is behind them). */
  private readonly service: ServiceIdentity;
  private readonly ctx: SwapContext;
  /** Swaps this process drives, by swap id. */
  private readonly runs = new Map<string, SwapRun>();
  private app?: FastifyInstance;

  constructor(
    private readonly deps: LocalComputeAdapterDeps,
    openGuest: OpenGuest = openGuestDevice,
  ) {
    const { config, ds, log, policy } = deps;
    if (config.AUTH_STRATEGY === 'keystone') {
      // One token of the bridge's service user, issued and renewed once, for both of its uses.
      this.serviceTokens = serviceTokenSource(config);
      this.auth = createAuthenticator(config, log, { serviceTokens: this.serviceTokens });
      this.service = keystoneServiceIdentity(this.serviceTokens);
    } else {
      this.auth = createAuthenticator(config, log);
      this.service = noauthServiceIdentity(config.VOLUME_API_USER);
    }
    this.volumeApi = new VolumeApiClient(config.VOLUME_API_URL);
    this.servers = new LocalServers(ds, this.volumeApi, config.NOVA_BRIDGE_HOST, openGuest, log, policy);
    this.ctx = {
      ds,
      volumeApi: this.volumeApi,
      host: config.NOVA_BRIDGE_HOST,
      log,
      stallTimeoutMs: config.SWAP_STALL_TIMEOUT_S * 1000,
      copyBytesPerSecond: config.SWAP_COPY_BPS_LIMIT,
      stallWarnMs: config.MIGRATION_STALL_WARN_S * 1000,
    };
  }

  async start(): Promise<void> {
    await this.servers.openAll();
    await this.recoverSwaps();
    // Read before the compute API listens, so that no attach of this process is among them.
    const unrecorded = await this.unrecordedAttachments();
    void this.release(unrecorded);
    const { config, log } = this.deps;
    const { COMPUTE_API_BIND: host, COMPUTE_API_PORT: port } = config;
    const auth: ComputeApiAuth = {
      authenticate: (headers) => authenticateCaller(this.auth, headers, this.serviceTokens),
      challenge: wwwAuthenticate(config),
    };
    this.app = buildComputeApi(this.servers, (caller, serverId, volumeId) => this.swapStatus(caller, serverId, volumeId), auth, log);
    await this.app.listen({ host, port });
    const address = this.app.server.address() as AddressInfo;
    this.apiUrl = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
    log.info({ url: this.apiUrl, auth: this.auth.strategy }, 'local compute API listening');
    if (this.auth.strategy === 'noauth' && !isLoopbackAddress(host)) {
      // As volume-api warns: allowed (compose publishes it on loopback only), never silently.
      log.warn(
        { AUTH_STRATEGY: 'noauth', COMPUTE_API_BIND: host },
        'noauth compute API listens beyond loopback: anyone who reaches this port can act as any user, admin included',
      );
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.runs.values()].map((run) => run.stop()));
    await this.app?.close();
    await this.servers.closeAll();
    await this.auth.close();
  }

  async swapVolume(req: SwapVolumeRequest): Promise<SwapVolumeReply> {
    const { ds } = this.deps;
    const server = UUID.test(req.serverId) ? await ds.getRepository(ComputeServerEntity).findOne({ where: { id: req.serverId } }) : null;
    if (!server) throw new CodedError(ErrorCode.ComputeNotFound, `Instance ${req.serverId} could not be found.`);
    return this.servers.withLock(server.id, async () => {
      // Past the pivot of an earlier swap, until it records its completion, the device is found through that swap.
      const found = await this.servers.deviceOf(server.id, req.oldVolumeId);
      if (!found) throw new CodedError(ErrorCode.ComputeNotFound, `No volume Block Device Mapping with id ${req.oldVolumeId}.`);
      // The same migration asking again (its call timed out, or reached a bridge killed after it
      // took the swap): the swap it started is the answer, never a second one.
      const repeated = await ds.getRepository(ComputeSwapEntity).existsBy({ serverId: server.id, migrationId: req.migrationId, oldVolumeId: req.oldVolumeId });
      if (repeated) return { accepted: true };
      // The volume's previous migration may show `success` while its swap still records the completion.
      const { device } = await this.servers.afterFinishingSwap(found);
      const as = this.service.forProject(server.projectId);
      const oldVolume = await this.volumeApi.getVolume(as, req.oldVolumeId).catch((err) => {
        throw novaError(err, `Volume ${req.oldVolumeId}`);
      });
      if (!oldVolume.migration_status) {
        throw new CodedError(ErrorCode.ComputeConflict, `volume ${req.oldVolumeId} is not migrating; this API should only be called by Cinder`);
      }
      // The new volume is in the request body: Nova answers 400 when it does not exist.
      const newVolume = await this.volumeApi.getVolume(as, req.newVolumeId).catch((err) => {
        throw novaError(err, `Volume ${req.newVolumeId}`, ErrorCode.ComputeBadRequest);
      });
      this.checkSwappable(oldVolume, newVolume);
      const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM compute_swaps WHERE server_id = $1 AND ${ACTIVE_SWAP}`, [server.id]);
      if (n > 0) throw new CodedError(ErrorCode.ComputeConflict, `Cannot 'swap_volume' instance ${server.id} while it is swapping another volume.`);

      await this.volumeApi.beginDetaching(as, req.oldVolumeId).catch((err) => {
        throw novaError(err, `Volume ${req.oldVolumeId}`);
      });
      let newAttachmentId: string | undefined;
      let row: ComputeSwapEntity;
      try {
        newAttachmentId = (await this.volumeApi.createAttachment(as, req.newVolumeId, server.id)).id;
        const now = new Date();
        row = {
          id: randomUUID(),
          serverId: server.id,
          deviceId: device.id,
          migrationId: req.migrationId,
          oldVolumeId: req.oldVolumeId,
          newVolumeId: req.newVolumeId,
          oldAttachmentId: device.attachmentId,
          newAttachmentId,
          sourcePath: device.path,
          targetPath: null,
          phase: 'accepted',
          progress: null,
          cur: null,
          end: null,
          error: null,
          createdAt: now,
          updatedAt: now,
          finishedAt: null,
        };
        await ds.getRepository(ComputeSwapEntity).insert(row);
      } catch (err) {
        // Nothing runs yet: undo what volume-api holds, as Nova's API does when its cast fails.
        if (newAttachmentId) await this.volumeApi.deleteAttachment(as, newAttachmentId).catch(() => undefined);
        await this.volumeApi.rollDetaching(as, req.oldVolumeId).catch(() => undefined);
        throw novaError(err, `Volume ${req.newVolumeId}`, ErrorCode.ComputeBadRequest);
      }
      this.deps.log.info({ swapId: row.id, serverId: server.id, oldVolumeId: req.oldVolumeId, newVolumeId: req.newVolumeId }, 'swapping volume');
      this.track(new SwapRun(this.ctx, row, as, device.name, this.servers.guests.get(device.id))).start();
      return { accepted: true };
    });
  }

  async swapProgress(req: SwapProgressRequest): Promise<SwapProgressReply> {
    const run = this.runFor(req.volumeId);
    if (run) return run.progress();
    const row = await this.currentSwap(req.volumeId);
    if (!row) return { progress: null, phase: null, cur: null, end: null, updatedAt: null, completion: null, source: 'local' };
    return progressReply(row);
  }

  async cancelSwap(req: CancelSwapRequest): Promise<CancelSwapReply> {
    const run = this.runFor(req.volumeId);
    if (run) {
      this.deps.log.warn({ volumeId: req.volumeId, reason: req.reason }, 'swap cancel requested');
      return run.cancel(req.reason);
    }
    const row = await this.currentSwap(req.volumeId);
    if (!row) return { outcome: 'not-found', phase: null };
    if (row.phase === 'failed' || row.phase === 'cancelled') return { outcome: 'cancelled', phase: row.phase };
    return { outcome: 'past-pivot', phase: row.phase };
  }

  async setSwapBandwidth(req: SetSwapBandwidthRequest): Promise<SetSwapBandwidthReply> {
    const run = this.runFor(req.volumeId);
    const applied = run?.setBandwidth(req.bytesPerSecond) ?? false;
    this.deps.log.info({ volumeId: req.volumeId, bytesPerSecond: req.bytesPerSecond, applied }, 'swap bandwidth set');
    return { outcome: applied ? 'applied' : 'not-running' };
  }

  private checkSwappable(oldVolume: ApiVolume, newVolume: ApiVolume): void {
    if (newVolume.attachments?.length || newVolume.status === 'in-use') {
      throw new CodedError(ErrorCode.ComputeBadRequest, `Invalid volume: volume ${newVolume.id} is already attached`);
    }
    if (newVolume.size < oldVolume.size) {
      throw new CodedError(
        ErrorCode.ComputeBadRequest,
        `Invalid volume: The new volume ${newVolume.id} (${newVolume.size} GiB) is smaller than volume ${oldVolume.id} (${oldVolume.size} GiB)`,
      );
    }
  }

  /** For people: `GET /servers/{id}/os-volume_attachments/{volumeId}/swap`. */
  private async swapStatus(caller: ComputeCaller, serverId: string, volumeId: string): Promise<Record<string, unknown>> {
    const { server } = await this.servers.server(caller, serverId, ComputePolicy.showAttachment);
    const row = await this.latestSwap(volumeId, server.id);
    if (!row) throw ComputeFault.notFound(`No swap of volume ${volumeId} on instance ${server.id}.`);
    const live = this.runs.get(row.id);
    const reply = live ? live.progress() : progressReply(row);
    const current = live ? live.row : row;
    return {
      id: row.id,
      serverId: row.serverId,
      oldVolumeId: row.oldVolumeId,
      newVolumeId: row.newVolumeId,
      migrationId: row.migrationId,
      phase: reply.phase,
      progress: reply.progress,
      cur: reply.cur,
      end: reply.end,
      updatedAt: reply.updatedAt,
      error: current.error,
    };
  }

  private runFor(oldVolumeId: string): SwapRun | undefined {
    for (const run of this.runs.values()) if (run.row.oldVolumeId === oldVolumeId && !FINISHED.has(run.phase)) return run;
    return undefined;
  }

  private async latestSwap(oldVolumeId: string, serverId?: string): Promise<ComputeSwapEntity | null> {
    if (!UUID.test(oldVolumeId)) return null;
    return this.deps.ds.getRepository(ComputeSwapEntity).findOne({
      where: serverId ? { oldVolumeId, serverId } : { oldVolumeId },
      order: { createdAt: 'DESC' },
    });
  }

  /**
   * While the volume migrates: the swap of that migration, if this bridge ever took it, never one of
   * an earlier migration of the same volume, whose phase (completed, past its pivot) would say
   * nothing true of this one (the watchdog would wait forever for a completion, a restarted source
   * never hand the volume over again). Otherwise its latest swap.
   */
  private async currentSwap(oldVolumeId: string): Promise<ComputeSwapEntity | null> {
    if (!UUID.test(oldVolumeId)) return null;
    const [migrating]: { id: string }[] = await this.deps.ds.query(
      `SELECT id FROM volume_migrations WHERE volume_id = $1 AND finished_at IS NULL ORDER BY started_at DESC LIMIT 1`,
      [oldVolumeId],
    );
    if (!migrating) return this.latestSwap(oldVolumeId);
    return this.deps.ds.getRepository(ComputeSwapEntity).findOne({ where: { oldVolumeId, migrationId: migrating.id }, order: { createdAt: 'DESC' } });
  }

  private track(run: SwapRun): SwapRun {
    this.runs.set(run.row.id, run);
    void run.settled.then(() => run.done).then(() => this.runs.delete(run.row.id));
    return run;
  }

  /**
   * Attachments a previous process made for its servers but never recorded (it died between
   * attachment_create and the device's or the swap's row): nothing would ever complete or delete
   * them, and they hold their volume `reserved` (a repeated swap finds its new volume "already
   * attached"). Nova's attach rollback would have deleted them.
   */
  private async unrecordedAttachments(): Promise<{ id: string; volumeId: string; projectId: string }[]> {
    return this.deps.ds.query(
      `SELECT a.id, a.volume_id AS "volumeId", s.project_id AS "projectId"
         FROM volume_attachments a JOIN compute_servers s ON s.id = a.instance_uuid
        WHERE a.attach_status IN ('reserved', 'attaching')
          AND NOT EXISTS (SELECT 1 FROM compute_devices d WHERE d.attachment_id = a.id)
          AND NOT EXISTS (SELECT 1 FROM compute_swaps w WHERE w.new_attachment_id = a.id)`,
    );
  }

  /** Deleted through volume-api (which releases the volume), after the start: it may be restarting too. Never rejects. */
  private async release(attachments: { id: string; volumeId: string; projectId: string }[]): Promise<void> {
    for (const a of attachments) {
      const log = this.deps.log.child({ attachmentId: a.id, volumeId: a.volumeId });
      log.warn('releasing an attachment a previous process made and never recorded');
      await this.volumeApi.deleteAttachment(this.service.forProject(a.projectId), a.id).catch((err) => log.warn({ err }, 'cannot release the attachment'));
    }
  }

  /** Swaps a previous process left: after the pivot they finish, before it they resume (or roll back: SwapRun.recover). */
  private async recoverSwaps(): Promise<void> {
    const { ds, log } = this.deps;
    const rows: ComputeSwapEntity[] = await ds
      .getRepository(ComputeSwapEntity)
      .createQueryBuilder('s')
      .where(`s.${ACTIVE_SWAP}`)
      .getMany();
    for (const row of rows) {
      const device = await ds.getRepository(ComputeDeviceEntity).findOne({ where: { id: row.deviceId } });
      const server = await ds.getRepository(ComputeServerEntity).findOne({ where: { id: row.serverId } });
      if (!device || !server) continue;
      // The device switch and the phase change share one transaction; the path is the commit point.
      if (row.targetPath && device.path === row.targetPath) row.phase = 'completing';
      log.warn({ swapId: row.id, phase: row.phase }, row.phase === 'completing' ? 'finishing a swap past its pivot' : 'recovering a swap interrupted before its pivot');
      this.track(new SwapRun(this.ctx, row, this.service.forProject(server.projectId), device.name, this.servers.guests.get(device.id))).recover();
    }
  }
}
