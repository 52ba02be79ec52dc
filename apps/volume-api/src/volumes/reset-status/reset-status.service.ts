import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { ACTIVE_MIGRATION_STATUSES, ResetStatusUpdate } from '@volume/domain';
import { LOGGER } from '@volume/platform';
import { markDestinationDeleting, resetVolumeStatus } from '@volume/persistence';
import { untilServiceAnswers, WorkerRpcClient } from '@volume/rpc-clients';
import { BackgroundCalls } from '../../shutdown/background-calls';

/** The error resetVolumeStatus gives the migration it ends: how this service knows the reset, not a completion, ended it. */
const ENDED_BY_RESET = 'reset by an admin (os-reset_status)';

interface MigrationUnderWay {
  id: string;
  dest_volume_id: string | null;
  /** The destination row's host (`host@backend#pool`). */
  dest_host: string | null;
  mode: string | null;
}

/** The admin's escape hatch (Cinder's os-reset_status): sets what it is told, and cleans what a cancel leaves. */
@Injectable()
export class ResetStatusService {
  constructor(
    private readonly ds: DataSource,
    private readonly workers: WorkerRpcClient,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly background: BackgroundCalls,
  ) {}

  /** @throws CodedError(BadRequest) with Cinder's "Cannot reset-state to ..." texts (checkResetStatus). */
  async reset(volumeId: string, update: ResetStatusUpdate, requestId: string): Promise<void> {
    const [underWay]: MigrationUnderWay[] = await this.ds.query(
      `SELECT m.id, m.dest_volume_id, d.host AS dest_host, m.mode
         FROM volume_migrations m LEFT JOIN volumes d ON d.id = m.dest_volume_id
        WHERE m.volume_id = $1 AND m.status = ANY($2)`,
      [volumeId, ACTIVE_MIGRATION_STATUSES],
    );
    await resetVolumeStatus(this.ds.manager, volumeId, update);
    this.log.info({ reqId: requestId, volumeId, update }, 'volume status reset');
    if (underWay) await this.dropDestination(volumeId, underWay, requestId);
  }

  /**
   * A reset that ended a host-assisted migration: its destination (row and file) goes, whether or
   * not its source host is alive to do it (a dead one, once restarted, never looks at an ended
   * migration again). The source's own failure path may do the same: both are harmless twice. A
   * compute swap's destination stays: the guest may be writing to it (the compute side ends it).
   */
  private async dropDestination(volumeId: string, m: MigrationUnderWay, requestId: string): Promise<void> {
    if (!m.dest_volume_id || !m.dest_host || m.mode === 'compute-swap') return;
    const [ended] = await this.ds.query(`SELECT 1 FROM volume_migrations WHERE id = $1 AND status = 'error' AND error = $2`, [m.id, ENDED_BY_RESET]);
    if (!ended || !(await markDestinationDeleting(this.ds.manager, { volumeId, destVolumeId: m.dest_volume_id }))) return;
    const log = this.log.child({ reqId: requestId, volumeId, migrationId: m.id, destVolumeId: m.dest_volume_id });
    log.info('migration ended by the reset; its destination is removed');
    const destHost = m.dest_host;
    const destVolumeId = m.dest_volume_id;
    // After the answer: a destination host away is asked again, then its sweep of `deleting` volumes finishes it.
    this.background.run(
      untilServiceAnswers(() => this.workers.deleteVolume(destHost, destVolumeId, requestId), { what: 'removing the destination', log, signal: this.background.signal }).then(
        () => undefined,
        (err) => log.warn({ err }, "destination host did not confirm; its sweep of 'deleting' volumes removes it"),
      ),
    );
  }
}
