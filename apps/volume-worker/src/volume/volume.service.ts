import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource, In, Repository } from 'typeorm';
import {
  CodedError,
  CreateVolumeReply,
  CreateVolumeRequest,
  DeleteVolumeReply,
  ErrorCode,
  InitializeConnectionReply,
} from '@volume/contracts';
import {
  Batcher,
  destroyBackendDeleted,
  markBackendDeleteFailed,
  markBackendsCreated,
  markCreateFailed,
  VolumeEntity,
  volumeName,
} from '@volume/persistence';
import { APP_CONFIG } from '@volume/platform';
import { FileDriver } from '../backend/file-driver';
// A type-only import: decorator metadata would otherwise reference a value that does not exist.
import type { WorkerConfig } from '../config';
import { parsePoolHost } from './pool-host';

/**
 * The volume manager of this host: it owns the files of the volumes placed on its pools and moves
 * their rows out of `creating` and `deleting`.
 */
@Injectable()
export class VolumeService {
  private readonly volumes: Repository<VolumeEntity>;
  /**
   * The creates and deletes under way, by volume: a caller that asks again (its call timed out, or
   * a sweep found the row) joins the work instead of racing it on the same file and row.
   */
  private readonly underWay = new Map<string, Promise<unknown>>();
  /**
   * A burst of creates (the scheduler places a batch at once) reads its rows, and records them
   * `available`, a statement a batch rather than a volume.
   */
  private readonly reads: Batcher<string, VolumeEntity | undefined>;
  private readonly madeAvailable: Batcher<{ volumeId: string; providerLocation: string }, boolean>;

  constructor(
    ds: DataSource,
    private readonly driver: FileDriver,
    @Inject(APP_CONFIG) private readonly cfg: WorkerConfig,
  ) {
    this.volumes = ds.getRepository(VolumeEntity);
    this.reads = new Batcher(async (ids) => {
      const rows = new Map((await this.volumes.findBy({ id: In(ids) })).map((v) => [v.id, v]));
      return ids.map((id) => rows.get(id));
    });
    this.madeAvailable = new Batcher(async (files) => {
      const available = await markBackendsCreated(this.volumes.manager, `${this.cfg.VOLUME_HOST}@${this.cfg.VOLUME_BACKEND_NAME}`, files);
      return files.map((f) => available.has(f.volumeId));
    });
  }

  async create(req: CreateVolumeRequest, log: Logger): Promise<CreateVolumeReply> {
    const volume = await this.find(req.volumeId);
    if (volume.host !== req.poolHost) {
      throw new CodedError(ErrorCode.InvalidVolume, `Volume ${volume.id} is placed on ${volume.host}, not on ${req.poolHost}`);
    }
    this.poolOf(volume);
    if (volume.size !== req.sizeGb) {
      throw new CodedError(ErrorCode.BadRequest, `Volume ${volume.id} is ${volume.size} GiB, not ${req.sizeGb} GiB`);
    }
    // A caller that timed out and retried, or a restart's reconcile, may have finished the work already.
    if (volume.status === 'available') return { volumeId: volume.id, status: 'available' };
    if (volume.status !== 'creating') {
      throw new CodedError(ErrorCode.InvalidVolume, `Volume ${volume.id} status must be creating, not ${volume.status}`);
    }
    return { volumeId: volume.id, status: await this.finishCreate(volume, log) };
  }

  /** Makes the file of a `creating` volume and records the outcome on its row. */
  finishCreate(volume: VolumeEntity, log: Logger): Promise<'available' | 'error'> {
    return this.once(`create:${volume.id}`, () => this.makeFile(volume, log));
  }

  private async makeFile(volume: VolumeEntity, log: Logger): Promise<'available' | 'error'> {
    let path: string;
    try {
      const file = await this.driver.create(this.poolOf(volume), volumeName(volume), volume.size);
      log.info({ volumeId: volume.id, path: file.path }, file.created ? 'volume file created' : 'volume file already there');
      path = file.path;
    } catch (err) {
      log.error({ err, volumeId: volume.id }, 'creating the volume file failed');
      await markCreateFailed(this.volumes.manager, volume.id);
      return 'error';
    }
    // Pointing at this host's `cinder-volume` service row (Cinder's service_uuid).
    if (!(await this.madeAvailable.submit({ volumeId: volume.id, providerLocation: path }))) await this.changedWhileCreating(volume, log);
    return 'available';
  }

  async delete(volumeId: string, log: Logger): Promise<DeleteVolumeReply> {
    const volume = await this.volumes.findOneBy({ id: volumeId });
    if (!volume) return { volumeId, deleted: false };
    if (volume.status !== 'deleting') {
      throw new CodedError(ErrorCode.InvalidVolume, `Volume ${volume.id} status must be deleting, not ${volume.status}`);
    }
    this.poolOf(volume);
    return { volumeId, deleted: await this.finishDelete(volume, log) };
  }

  /**
   * Removes the file, then the row (its metadata and attachments cascade). A driver failure leaves
   * the row in `error_deleting`, as Cinder does, so that a later delete can retry.
   */
  finishDelete(volume: VolumeEntity, log: Logger): Promise<boolean> {
    return this.once(`delete:${volume.id}`, () => this.removeFile(volume, log));
  }

  private async removeFile(volume: VolumeEntity, log: Logger): Promise<boolean> {
    try {
      await this.driver.delete(this.poolOf(volume), volumeName(volume));
      log.info({ volumeId: volume.id }, 'volume file deleted');
    } catch (err) {
      log.error({ err, volumeId: volume.id }, 'deleting the volume file failed');
      await markBackendDeleteFailed(this.volumes.manager, volume.id);
      throw new CodedError(ErrorCode.BackendFailure, `Deleting volume ${volume.id} failed: ${(err as Error).message}`);
    }
    return destroyBackendDeleted(this.volumes.manager, volume.id);
  }

  async initializeConnection(volumeId: string): Promise<InitializeConnectionReply> {
    const volume = await this.find(volumeId);
    const pool = this.poolOf(volume);
    const name = volumeName(volume);
    if ((await this.driver.sizeOf(pool, name)) === null) {
      throw new CodedError(ErrorCode.BackendFailure, `Volume ${volume.id} has no file on ${volume.host}`);
    }
    // What os-brick's LocalConnector takes: it hands `device_path` to the host as it is.
    return { connectionInfo: { driver_volume_type: 'local', data: { device_path: this.driver.devicePath(pool, name) } } };
  }

  /** `work` unless the same work is under way already, which is then joined. */
  private once<T>(key: string, work: () => Promise<T>): Promise<T> {
    const running = this.underWay.get(key);
    if (running) return running as Promise<T>;
    const started = work().finally(() => this.underWay.delete(key));
    this.underWay.set(key, started);
    return started;
  }

  private async find(volumeId: string): Promise<VolumeEntity> {
    const volume = await this.reads.submit(volumeId);
    if (!volume) throw new CodedError(ErrorCode.NotFound, `Volume ${volumeId} could not be found.`);
    return volume;
  }

  /** The pool of a volume placed on this host and backend; anything else is not ours to touch. */
  poolOf(volume: Pick<VolumeEntity, 'id' | 'host'>): string {
    const placed = parsePoolHost(volume.host);
    if (
      !placed ||
      placed.host !== this.cfg.VOLUME_HOST ||
      placed.backend !== this.cfg.VOLUME_BACKEND_NAME ||
      !this.driver.hasPool(placed.pool)
    ) {
      throw new CodedError(
        ErrorCode.InvalidHost,
        `Volume ${volume.id} is on ${volume.host ?? 'no host'}, not on a pool of ${this.cfg.VOLUME_HOST}@${this.cfg.VOLUME_BACKEND_NAME}`,
      );
    }
    return placed.pool;
  }

  /** The row left `creating` while its file was made: a vanished row must not leak the file. */
  private async changedWhileCreating(volume: VolumeEntity, log: Logger): Promise<never> {
    const now = await this.volumes.findOneBy({ id: volume.id });
    if (!now) {
      log.warn({ volumeId: volume.id }, 'volume row vanished while its file was created; removing the file');
      await this.driver.delete(this.poolOf(volume), volumeName(volume));
      throw new CodedError(ErrorCode.NotFound, `Volume ${volume.id} could not be found.`);
    }
    throw new CodedError(ErrorCode.InvalidVolume, `Volume ${volume.id} became ${now.status} while it was created`);
  }
}
