import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { PolicyEnforcer } from '@volume/auth';
import { GIB } from '@volume/domain';
import { untilDatabaseAnswers } from '@volume/persistence';
import { ComputeDeviceEntity, ComputeServerEntity, ComputeSwapEntity } from '@volume/persistence/compute-host';
import { ComputeCaller } from './compute-auth';
import { ComputeFault } from './compute-fault';
import { authorizeCompute, ComputePolicy, ComputeRule, serverTarget } from './compute-policy';
import { Guest, OpenGuest } from './guest';
import { VolumeApiClient, VolumeApiError } from './volume-api.client';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Unfinished swaps, as SQL. */
export const ACTIVE_SWAP = `phase NOT IN ('completed', 'failed', 'cancelled')`;
/**
 * How long a detach or a swap waits for an earlier swap past its pivot to record its completion
 * (steps retried through faults): shorter than a client's patience with the call (the soak's 30 s,
 * the swap call's 30 s).
 */
const SWAP_FINISH_WAIT_MS = 25_000;
const SWAP_FINISH_POLL_MS = 250;
/** How long a failed attach waits for the database to drop its device row: longer than a restart of PostgreSQL. */
const ATTACH_UNDO_DB_WAIT_MS = 60_000;

export interface ServerWithDevices {
  server: ComputeServerEntity;
  devices: ComputeDeviceEntity[];
}

/** `vdb`, `vdc`, ... `vdz`: the first name no device of the server has (vda is the root disk). */
export function nextDeviceName(taken: Iterable<string>): string {
  const used = new Set(taken);
  for (let c = 'b'.charCodeAt(0); c <= 'z'.charCodeAt(0); c++) {
    const name = `vd${String.fromCharCode(c)}`;
    if (!used.has(name)) return name;
  }
  throw ComputeFault.badRequest('No free device name left on this server.');
}

/** The connector this host presents (os-brick's shape; the file backend reads host and mountpoint). */
export function connectorFor(host: string, deviceName: string): Record<string, unknown> {
  return {
    host,
    mountpoint: `/dev/${deviceName}`,
    initiator: `iqn.2004-10.org.local-compute:${host}`,
    ip: '127.0.0.1',
    platform: 'x86_64',
    os_type: 'linux',
    multipath: false,
    do_local_attach: false,
  };
}

/** A volume-api refusal while attaching or detaching, as Nova reports it. */
function attachFault(err: unknown, volumeId: string): Error {
  if (!(err instanceof VolumeApiError)) return err as Error;
  if (err.status === 404) return ComputeFault.notFound(`Volume ${volumeId} could not be found.`);
  // The caller's own refusals (its token, its policy, the volume's state) are its answer.
  if ([400, 401, 403, 409].includes(err.status)) return new ComputeFault(err.status, err.message);
  return new ComputeFault(503, `The volume service failed: ${err.message}`);
}

/**
 * The local compute host's servers and their devices (persisted), and the open guest disks. Who may
 * do what to a server is the policy's (Nova's rule names); attach and detach act on volume-api as
 * Nova does, with the caller's own token: a project attaches only what volume-api shows it. One
 * server's changes run one at a time.
 */
export class LocalServers {
  /** Open guest disks by device id. */
  readonly guests = new Map<string, Guest>();
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly ds: DataSource,
    private readonly volumeApi: VolumeApiClient,
    private readonly host: string,
    private readonly openGuest: OpenGuest,
    private readonly log: Logger,
    private readonly policy: PolicyEnforcer,
  ) {}

  /** Runs `fn` after every earlier call for the same server settled (Nova's per-instance lock). */
  async withLock<T>(serverId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(serverId) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(serverId, tail);
    void tail.then(() => {
      if (this.locks.get(serverId) === tail) this.locks.delete(serverId);
    });
    return run;
  }

  async openAll(): Promise<void> {
    for (const d of await this.ds.getRepository(ComputeDeviceEntity).find()) {
      try {
        this.guests.set(d.id, await this.openGuest(d.path, d.sizeBytes));
      } catch (err) {
        this.log.error({ err, deviceId: d.id, path: d.path }, 'cannot open a guest disk; its I/O fails until the next start');
      }
    }
  }

  async closeAll(): Promise<void> {
    for (const [id, guest] of this.guests) {
      this.guests.delete(id);
      await guest.close();
    }
  }

  async createServer(caller: ComputeCaller, name: string): Promise<ComputeServerEntity> {
    authorizeCompute(this.policy, caller, ComputePolicy.createServer);
    const now = new Date();
    const server: ComputeServerEntity = { id: randomUUID(), name, projectId: caller.projectId, userId: caller.userId, createdAt: now, updatedAt: now };
    await this.ds.getRepository(ComputeServerEntity).insert(server);
    return server;
  }

  /**
   * A server the caller may see (`os_compute_api:servers:show`: its project's readers and admins by
   * default); others are not found, as Nova hides them. Then `rule`, the action's, or 403.
   */
  async server(caller: ComputeCaller, id: string, rule: ComputeRule = ComputePolicy.showServer): Promise<ServerWithDevices> {
    const server = UUID.test(id) ? await this.ds.getRepository(ComputeServerEntity).findOne({ where: { id } }) : null;
    if (!server || !this.policy.allows(ComputePolicy.showServer, caller, serverTarget(server))) {
      throw ComputeFault.notFound(`Instance ${id} could not be found.`);
    }
    if (rule !== ComputePolicy.showServer) authorizeCompute(this.policy, caller, rule, serverTarget(server));
    const devices = await this.ds.getRepository(ComputeDeviceEntity).find({ where: { serverId: id }, order: { name: 'ASC' } });
    return { server, devices };
  }

  async attach(caller: ComputeCaller, serverId: string, volumeId: string): Promise<ComputeDeviceEntity> {
    const { server } = await this.server(caller, serverId, ComputePolicy.attach);
    if (!UUID.test(volumeId)) throw ComputeFault.badRequest(`Invalid input for field/attribute volumeId. Value: ${volumeId}. is not a 'uuid'`);
    return this.withLock(server.id, async () => {
      const devices = await this.ds.getRepository(ComputeDeviceEntity).find({ where: { serverId: server.id } });
      if (devices.some((d) => d.volumeId === volumeId)) throw ComputeFault.badRequest(`Duplicate volume ${volumeId} on instance ${server.id}.`);
      const name = nextDeviceName(devices.map((d) => d.name));
      // The caller's token alone decides whether it may see the volume; once it may, the
      // attachment calls carry the bridge's service token too, as Nova's do.
      const as = caller.identity.withServiceToken;
      let attachmentId: string | undefined;
      let guest: Guest | undefined;
      try {
        const volume = await this.volumeApi.getVolume(caller.identity, volumeId);
        attachmentId = (await this.volumeApi.createAttachment(as, volumeId, server.id)).id;
        const path = await this.volumeApi.connectAttachment(as, attachmentId, connectorFor(this.host, name));
        guest = await this.openGuest(path, volume.size * GIB);
        const now = new Date();
        const device: ComputeDeviceEntity = {
          id: randomUUID(),
          serverId: server.id,
          name,
          volumeId,
          attachmentId,
          path,
          sizeBytes: guest.sizeBytes,
          createdAt: now,
          updatedAt: now,
        };
        await this.ds.getRepository(ComputeDeviceEntity).insert(device);
        this.guests.set(device.id, guest);
        await this.volumeApi.completeAttachment(as, attachmentId);
        return device;
      } catch (err) {
        this.log.warn({ err, serverId, volumeId }, 'attach failed; undoing it');
        // The device row goes for certain, its database waited for (often why the attach failed):
        // a row left behind names a volume the server does not have, whose data moves on or goes.
        // Bounded, so that the attachment below is released even if the database stays away.
        const dropDevice = () => this.ds.getRepository(ComputeDeviceEntity).delete({ serverId: server.id, volumeId });
        await untilDatabaseAnswers('dropping the device row of the failed attach', dropDevice, { log: this.log, signal: AbortSignal.timeout(ATTACH_UNDO_DB_WAIT_MS) }).catch(
          (e) => this.log.error({ err: e, serverId, volumeId }, 'cannot drop the device row of the failed attach'),
        );
        for (const [id, g] of this.guests) if (g === guest) this.guests.delete(id);
        await guest?.close().catch(() => undefined);
        if (attachmentId) await this.volumeApi.deleteAttachment(as, attachmentId).catch(() => undefined);
        throw attachFault(err, volumeId);
      }
    });
  }

  async detach(caller: ComputeCaller, serverId: string, volumeId: string): Promise<void> {
    const { server } = await this.server(caller, serverId, ComputePolicy.detach);
    await this.withLock(server.id, async () => {
      const found = await this.deviceOf(server.id, volumeId);
      if (!found) throw ComputeFault.notFound(`Volume ${volumeId} is not attached to instance ${server.id}.`);
      const { device, swapping } = await this.afterFinishingSwap(found);
      if (swapping) throw ComputeFault.conflict(`Cannot detach volume ${volumeId}: instance ${server.id} is swapping it.`);
      await this.volumeApi.deleteAttachment(caller.identity.withServiceToken, device.attachmentId).catch((err) => {
        throw attachFault(err, volumeId);
      });
      const guest = this.guests.get(device.id);
      this.guests.delete(device.id);
      await guest?.close();
      await this.ds.getRepository(ComputeSwapEntity).delete({ deviceId: device.id });
      await this.ds.getRepository(ComputeDeviceEntity).delete({ id: device.id });
    });
  }

  /**
   * The server's device of `volumeId`. From a swap's pivot until its completion is recorded, the
   * device names the swap's new volume while the volume keeps its own id (the migration completion
   * gives the id the new data): then the device is found through the swap of its old volume.
   */
  async deviceOf(serverId: string, volumeId: string): Promise<ComputeDeviceEntity | null> {
    if (!UUID.test(volumeId)) return null;
    const devices = this.ds.getRepository(ComputeDeviceEntity);
    const device = await devices.findOne({ where: { serverId, volumeId } });
    if (device) return device;
    const [swap]: { device_id: string }[] = await this.ds.query(
      `SELECT device_id FROM compute_swaps WHERE server_id = $1 AND old_volume_id = $2 AND phase = 'completing' ORDER BY created_at DESC LIMIT 1`,
      [serverId, volumeId],
    );
    return swap ? devices.findOne({ where: { id: swap.device_id } }) : null;
  }

  /**
   * The device once no swap past its pivot is under way on it. Such a swap has only its
   * completion's steps left, which it retries through faults (its migration may show `success`
   * already): the next change of the device waits for them, as Nova's waits for the instance lock
   * the swap holds, for at most SWAP_FINISH_WAIT_MS.
   * The caller holds the server's lock, under which alone a device goes away.
   * @returns the device as it is then, and whether a swap is still under way on it (one before its
   *   pivot, which may yet roll back, or one that did not finish in time).
   */
  async afterFinishingSwap(device: ComputeDeviceEntity): Promise<{ device: ComputeDeviceEntity; swapping: boolean }> {
    const deadline = Date.now() + SWAP_FINISH_WAIT_MS;
    for (let waited = false; ; waited = true) {
      const current = waited ? await this.ds.getRepository(ComputeDeviceEntity).findOneOrFail({ where: { id: device.id } }) : device;
      const swaps: { phase: string }[] = await this.ds.query(`SELECT phase FROM compute_swaps WHERE device_id = $1 AND ${ACTIVE_SWAP}`, [device.id]);
      if (swaps.length === 0) return { device: current, swapping: false };
      if (swaps.some((s) => s.phase !== 'completing') || Date.now() >= deadline) return { device: current, swapping: true };
      await sleep(SWAP_FINISH_POLL_MS);
    }
  }

  /** The open disk behind `/dev/<name>` of a server the caller may read (`readDevice`) or write (`writeDevice`). */
  async guest(
    caller: ComputeCaller,
    serverId: string,
    name: string,
    rule: typeof ComputePolicy.readDevice | typeof ComputePolicy.writeDevice,
  ): Promise<{ device: ComputeDeviceEntity; guest: Guest }> {
    const { devices } = await this.server(caller, serverId, rule);
    const device = devices.find((d) => d.name === name);
    if (!device) throw ComputeFault.notFound(`Device ${name} is not attached to instance ${serverId}.`);
    const guest = this.guests.get(device.id);
    if (!guest) throw ComputeFault.conflict(`Device ${name} of instance ${serverId} is not open (see the compute host's log).`);
    return { device, guest };
  }
}
