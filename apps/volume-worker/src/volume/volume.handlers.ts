import { Inject, Injectable } from '@nestjs/common';
import { CodedError, ErrorCode, WorkerSubjects } from '@volume/contracts';
import { APP_CONFIG, NatsService } from '@volume/platform';
// A type-only import: decorator metadata would otherwise reference a value that does not exist.
import type { WorkerConfig } from '../config';
import { VolumeService } from './volume.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function badRequest(message: string): CodedError {
  return new CodedError(ErrorCode.BadRequest, message);
}

/** Checked here so that a malformed id is a BadRequest rather than a PostgreSQL cast error. */
function volumeIdOf(payload: unknown): string {
  const id = (payload as { volumeId?: unknown } | null)?.volumeId;
  if (typeof id !== 'string' || !UUID.test(id)) throw badRequest('volumeId must be a UUID');
  return id;
}

/** The worker's NATS subjects, addressed to this host only. */
@Injectable()
export class VolumeHandlers {
  constructor(
    private readonly nats: NatsService,
    private readonly volumes: VolumeService,
    @Inject(APP_CONFIG) private readonly cfg: WorkerConfig,
  ) {}

  serve(): void {
    const target = { host: this.cfg.VOLUME_HOST };
    this.nats.serve(
      WorkerSubjects.createVolume,
      (req, { log }) => {
        const volumeId = volumeIdOf(req);
        if (typeof req.poolHost !== 'string' || req.poolHost === '') throw badRequest('poolHost must be host@backend#pool');
        if (!Number.isInteger(req.sizeGb) || req.sizeGb < 1) throw badRequest('sizeGb must be a positive integer');
        return this.volumes.create({ volumeId, poolHost: req.poolHost, sizeGb: req.sizeGb }, log);
      },
      target,
    );
    this.nats.serve(WorkerSubjects.deleteVolume, (req, { log }) => this.volumes.delete(volumeIdOf(req), log), target);
    this.nats.serve(
      WorkerSubjects.initializeConnection,
      (req) => this.volumes.initializeConnection(volumeIdOf(req)),
      target,
    );
  }
}
