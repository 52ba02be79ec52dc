import { Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { RunMigrationRequest } from '@volume/contracts';
import { RUNNABLE_MIGRATION_STATUSES } from '@volume/domain';
import {
  clearDriverMove,
  commitDriverMove,
  recordDriverMoveIntent,
  unfinishedDriverMoves,
  untilDatabaseAnswers,
  VolumeEntity,
  VolumeMigrationEntity,
  volumeName,
} from '@volume/persistence';
import { FileDriver } from '../../backend/file-driver';
import { VolumeService } from '../../volume/volume.service';
import { ProgressRegistry } from '../progress-registry';

/** One pool of this host, by name and as a volume's `host` names it (`host@backend#pool`). */
interface PoolRef {
  pool: string;
  poolHost: string;
}

/** The volume (its file's name) and the two pools of one move. */
export interface Move {
  migrationId: string;
  volumeId: string;
  name: string;
  from: PoolRef;
  to: PoolRef;
}

/**
 * Same host, no forced copy: the driver moves the file between pools (Cinder: driver.migrate_volume),
 * crash consistent. 1. the intent is recorded (`placing`); 2. the new location is made durable
 * beside the old one; 3. the row is committed to it (`committed`, the migration succeeds); 4. the
 * old location is removed (phase cleared). At every instant the row points at a file that exists;
 * a restarted worker finishes a move from its phase, or undoes one whose migration ended before
 * its commit. Steps 1-2, 3 and 4 are separate methods so that a crash can be put between them.
 */
@Injectable()
export class DriverMove {
  /** One move per volume at a time: a new move of a volume must not race the removal of its old location. */
  private readonly busy = new Map<string, Promise<void>>();

  constructor(
    private readonly ds: DataSource,
    private readonly driver: FileDriver,
    private readonly volumes: VolumeService,
    private readonly registry: ProgressRegistry,
  ) {}

  async run(req: RunMigrationRequest, log: Logger, signal?: AbortSignal): Promise<void> {
    this.registry.trackDriverMove(req.volumeId, { migrationId: req.migrationId, destination: req.destPoolHost });
    await this.exclusive(req.volumeId, async () => {
      const move = await this.place(req, log, signal);
      await this.commit(move, log, signal);
      await this.removeOld(move, log, signal);
    });
  }

  /** Steps 1-2: intent recorded, then the new location durable; the volume still on its old pool. */
  async place(req: RunMigrationRequest, log: Logger, signal?: AbortSignal): Promise<Move> {
    const db = <T>(what: string, op: () => Promise<T>) => untilDatabaseAnswers(what, op, { log, signal });
    const volume = await db('reading the volume', () => this.ds.getRepository(VolumeEntity).findOneByOrFail({ id: req.volumeId }));
    const move: Move = {
      migrationId: req.migrationId,
      volumeId: req.volumeId,
      name: volumeName(volume),
      from: { pool: this.volumes.poolOf(volume), poolHost: volume.host as string },
      to: { pool: this.volumes.poolOf({ id: volume.id, host: req.destPoolHost }), poolHost: req.destPoolHost },
    };
    if (!(await db('recording the move', () => recordDriverMoveIntent(this.ds.manager, req.migrationId)))) {
      throw new Error('the migration is no longer under way; nothing was moved');
    }
    try {
      await this.driver.placeInPool(move.from.pool, move.to.pool, move.name);
    } catch (err) {
      await this.undo(move, log, signal);
      throw err;
    }
    return move;
  }

  /** Step 3: the row takes the new location; a migration that ended meanwhile is undone instead. */
  async commit(move: Move, log: Logger, signal?: AbortSignal): Promise<void> {
    const outcome = await untilDatabaseAnswers(
      'committing the move',
      () =>
        commitDriverMove(this.ds.manager, {
          migrationId: move.migrationId,
          volumeId: move.volumeId,
          destPoolHost: move.to.poolHost,
          providerLocation: this.driver.devicePath(move.to.pool, move.name),
        }),
      { log, signal },
    );
    if (outcome === 'ended') {
      await this.undo(move, log, signal);
      throw new Error('the migration ended before its move was committed; the volume stays on its pool');
    }
    log.info({ to: move.to.poolHost }, 'driver-assisted migration committed; removing the old location');
  }

  /** Step 4: the old location goes, unless the volume's row points at it again. */
  async removeOld(move: Move, log: Logger, signal?: AbortSignal): Promise<void> {
    await this.removeUnlessLive(move, move.from, log, signal);
    log.info({ to: move.to.poolHost }, 'driver-assisted migration done');
  }

  /**
   * At start, before any new run: moves a crash left `committed` lose their old location; moves
   * whose migration ended (the watchdog, a failure) while `placing` lose their new one. Moves still
   * under way are the runner's to resume.
   */
  async recoverUnfinished(host: string, log: Logger): Promise<void> {
    for (const m of await unfinishedDriverMoves(this.ds.manager, host)) {
      if (m.movePhase === 'placing' && RUNNABLE_MIGRATION_STATUSES.includes(m.status)) continue;
      const moveLog = log.child({ migrationId: m.id, volumeId: m.volumeId, movePhase: m.movePhase, migrationStatus: m.status });
      try {
        const volume = await this.ds.getRepository(VolumeEntity).findOneByOrFail({ id: m.volumeId });
        const move = this.recorded(m, volumeName(volume));
        await this.exclusive(m.volumeId, () => (m.movePhase === 'committed' ? this.removeOld(move, moveLog) : this.undo(move, moveLog)));
        moveLog.info('finished an interrupted driver-assisted move');
      } catch (err) {
        moveLog.error({ err }, 'could not finish an interrupted driver-assisted move');
      }
    }
  }

  /** A move as its migration's row records it: its source and destination hosts are the two pools. */
  private recorded(m: VolumeMigrationEntity, name: string): Move {
    const ref = (poolHost: string): PoolRef => ({ pool: this.volumes.poolOf({ id: m.volumeId, host: poolHost }), poolHost });
    return { migrationId: m.id, volumeId: m.volumeId, name, from: ref(m.sourceHost), to: ref(m.destHost) };
  }

  /** The move did not happen: its new location goes (never the row's), the volume stays where it was. */
  private async undo(move: Move, log: Logger, signal?: AbortSignal): Promise<void> {
    await this.removeUnlessLive(move, move.to, log, signal);
    log.warn({ pool: move.to.pool }, 'driver-assisted move undone; the volume stays on its pool');
  }

  /** Removes one location of the move, unless the volume's row points at it (then it is the volume's data). */
  private async removeUnlessLive(move: Move, location: PoolRef, log: Logger, signal?: AbortSignal): Promise<void> {
    const db = <T>(what: string, op: () => Promise<T>) => untilDatabaseAnswers(what, op, { log, signal });
    const volume = await db('reading the volume', () => this.ds.getRepository(VolumeEntity).findOneBy({ id: move.volumeId }));
    if (volume?.host !== location.poolHost) await this.driver.removeFromPool(location.pool, move.name);
    await db('clearing the move', () => clearDriverMove(this.ds.manager, move.migrationId));
  }

  private async exclusive(volumeId: string, work: () => Promise<void>): Promise<void> {
    const mine = (this.busy.get(volumeId) ?? Promise.resolve()).then(work);
    const settled = mine.catch(() => undefined);
    this.busy.set(volumeId, settled);
    try {
      await mine;
    } finally {
      if (this.busy.get(volumeId) === settled) this.busy.delete(volumeId);
    }
  }
}
