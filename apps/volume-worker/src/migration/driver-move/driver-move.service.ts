import { Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { RunMigrationRequest } from '@volume/contracts';
import { extractHost } from '@volume/domain';
import { finishDriverMove, VolumeEntity, volumeName } from '@volume/persistence';
import { FileDriver } from '../../backend/file-driver';
import { VolumeService } from '../../volume/volume.service';
import { ProgressRegistry } from '../progress-registry';

/** Same host, no forced copy: the driver moves the file between pools (Cinder: driver.migrate_volume). */
@Injectable()
export class DriverMove {
  constructor(
    private readonly ds: DataSource,
    private readonly driver: FileDriver,
    private readonly volumes: VolumeService,
    private readonly registry: ProgressRegistry,
  ) {}

  async run(req: RunMigrationRequest, log: Logger): Promise<void> {
    this.registry.trackDriverMove(req.volumeId, { migrationId: req.migrationId, destination: req.destPoolHost });
    const volume = await this.ds.getRepository(VolumeEntity).findOneByOrFail({ id: req.volumeId });
    const destPool = extractHost(req.destPoolHost, 'pool') as string;
    const path = await this.driver.move(this.volumes.poolOf(volume), destPool, volumeName(volume));
    await finishDriverMove(this.ds.manager, {
      migrationId: req.migrationId,
      volumeId: req.volumeId,
      destPoolHost: req.destPoolHost,
      providerLocation: path,
    });
    log.info({ to: req.destPoolHost }, 'driver-assisted migration done');
  }
}
