import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { ResetStatusUpdate } from '@volume/domain';
import { LOGGER } from '@volume/platform';
import { resetVolumeStatus } from '@volume/persistence';

/** The admin's escape hatch (Cinder's os-reset_status): sets what it is told, nothing else. */
@Injectable()
export class ResetStatusService {
  constructor(
    private readonly ds: DataSource,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** @throws CodedError(BadRequest) with Cinder's "Cannot reset-state to ..." texts (checkResetStatus). */
  async reset(volumeId: string, update: ResetStatusUpdate, requestId: string): Promise<void> {
    await resetVolumeStatus(this.ds.manager, volumeId, update);
    this.log.info({ reqId: requestId, volumeId, update }, 'volume status reset');
  }
}
