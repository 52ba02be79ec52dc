import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CodedError, ErrorCode, MigrationSubjects } from '@volume/contracts';
import { ACTIVE_MIGRATION_STATUSES, GIB, isMigrationTarget } from '@volume/domain';
import { APP_CONFIG, NatsService } from '@volume/platform';
import { VolumeEntity, volumeName } from '@volume/persistence';
import { allocatedBytes } from '../copy/allocated-bytes';
import { MigrationDataServer } from '../copy/data-server';
import { FileDriver } from '../backend/file-driver';
// A type-only import: decorator metadata would otherwise reference a value that does not exist.
import type { WorkerConfig } from '../config';
import { VolumeService } from '../volume/volume.service';
import { MigrationCompletion } from './completion/migration-completion.service';
import { HostCopy } from './host-copy/host-copy.service';
import { MigrationRunner } from './migration-runner.service';
import { ProgressRegistry } from './progress-registry';

/** The migration subjects of this host: run and completion (as source), open/close target (as destination), progress. */
@Injectable()
export class MigrationHandlers {
  constructor(
    private readonly nats: NatsService,
    private readonly ds: DataSource,
    private readonly runner: MigrationRunner,
    private readonly completion: MigrationCompletion,
    private readonly registry: ProgressRegistry,
    private readonly dataServer: MigrationDataServer,
    private readonly driver: FileDriver,
    private readonly volumes: VolumeService,
    private readonly hostCopy: HostCopy,
    @Inject(APP_CONFIG) private readonly cfg: WorkerConfig,
  ) {}

  serve(): void {
    const host = this.cfg.VOLUME_HOST;
    this.nats.serve(
      MigrationSubjects.run,
      (req, { log }) => {
        this.runner.start(req, log);
        return { accepted: true as const };
      },
      { host },
    );
    this.nats.serve(MigrationSubjects.completion, (req, { log }) => this.completion.complete(req, log), { host });
    this.nats.serve(MigrationSubjects.progress, ({ volumeId }) => this.registry.report(volumeId), { host });
    this.nats.serve(MigrationSubjects.cancel, async (req, { log }) => ({ stopped: await this.runner.cancel(req, log) }), { host });
    this.nats.serve(MigrationSubjects.setBandwidth, (req) => ({ applied: this.hostCopy.setBandwidth(req.migrationId, req.bytesPerSecond) }), { host });
    this.nats.serve(
      MigrationSubjects.dataExtent,
      async ({ volumeId }) => {
        const volume = await this.ds.getRepository(VolumeEntity).findOneBy({ id: volumeId });
        if (!volume?.host) throw new CodedError(ErrorCode.NotFound, `Volume ${volumeId} could not be found.`);
        const totalBytes = volume.size * GIB;
        const path = this.driver.devicePath(this.volumes.poolOf(volume), volumeName(volume));
        return { allocatedBytes: await allocatedBytes(path, totalBytes), totalBytes, hostLimitBytesPerSecond: this.cfg.VOLUME_COPY_BPS_LIMIT };
      },
      { host },
    );
    this.nats.serve(
      MigrationSubjects.openTarget,
      async (req) => {
        const dest = await this.ds.getRepository(VolumeEntity).findOneBy({ id: req.destVolumeId });
        if (!dest || dest.status !== 'available' || !isMigrationTarget(dest.migrationStatus)) {
          throw new CodedError(ErrorCode.InvalidVolume, `Volume ${req.destVolumeId} is not an available migration destination`);
        }
        // A source that missed its migration's end must not open a target that TargetSweep would only close later.
        const [live] = await this.ds.query(
          `SELECT 1 FROM volume_migrations WHERE id::text = $1 AND dest_volume_id = $2 AND status = ANY($3)`,
          [req.migrationId, dest.id, ACTIVE_MIGRATION_STATUSES],
        );
        if (!live) throw new CodedError(ErrorCode.InvalidVolume, `Migration ${req.migrationId} of volume ${req.destVolumeId} is not under way`);
        const path = this.driver.devicePath(this.volumes.poolOf(dest), volumeName(dest));
        return this.dataServer.register({ migrationId: req.migrationId, path, sizeBytes: req.sizeBytes, secret: req.secret });
      },
      { host },
    );
    this.nats.serve(
      MigrationSubjects.closeTarget,
      ({ migrationId }) => {
        this.dataServer.unregister(migrationId);
        return { closed: true };
      },
      { host },
    );
  }
}
