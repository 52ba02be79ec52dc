import { Command } from 'commander';
import type { BlockStorageApi, Volume } from '../api/block-storage';
import { UnsupportedError } from '../exit-codes';
import { formatRate } from '@volume/migration-format';
import { sizeArgument } from '../format/size-argument';
import { findHost } from '../resolve/find-host';
import { findVolume } from '../resolve/find-volume';
import { MigrationFeed, readMigrations, readVolumeMigration } from '../watch/migration-feed';
import { addIntervalOption, apiFor, CommandIo } from './cli-context';
import { estimateText } from './migrations.command';
import { runWatch, watchFeed } from './run-watch';

/**
 * The migration just started, live from its events: the newest of the volume's (3.73), else the
 * volume itself, polled (3.72). The row exists before the API answers 202, so the newest is this one.
 */
async function watchStarted(api: BlockStorageApi, volume: Volume, host: string, intervalMs: number): Promise<MigrationFeed> {
  try {
    const [newest] = await api.listMigrations({ volumeId: volume.id, limit: 1 });
    const label = volume.name || volume.id;
    if (newest) return watchFeed(api, { id: newest.id, label }, readMigrations(api, [{ id: newest.id, label }]), intervalMs);
  } catch (err) {
    if (!(err instanceof UnsupportedError)) throw err;
  }
  return watchFeed(api, null, readVolumeMigration(api, volume.id, host), intervalMs);
}

/** `migrate <volume> <host>`: os-migrate_volume, with the estimate first and the watch after, as asked. */
export function migrateCommand(io: CommandIo): Command {
  return addIntervalOption(
    new Command('migrate')
      .description('migrate a volume to another pool (admin)')
      .argument('<volume>', 'name or id')
      .argument('<host>', 'destination pool (host@backend#pool) or a unique start of it')
      .option('--force-host-copy', 'copy through the hosts even when the backend could move it itself')
      .option('--lock-volume', 'keep the volume in maintenance meanwhile (no attach, no status change)')
      .option('--bandwidth <rate>', 'copy at most this many bytes per second (200M, 1.5GiB, 64MB/s; 3.73)')
      .option('--estimate', 'print the pre-flight estimate first, at --bandwidth if given (3.73)')
      .option('--watch', 'follow the migration until it ends: a bar on a terminal, a line per change otherwise'),
  ).action(async (ref: string, hostRef: string, opts, cmd: Command) => {
    const bandwidth = opts.bandwidth === undefined ? undefined : sizeArgument(opts.bandwidth);
    const api = await apiFor(cmd, io);
    const volume = await findVolume(api, ref, { allProjects: true });
    const host = await findHost(api, hostRef);
    if (opts.estimate) {
      try {
        io.out(estimateText(await api.estimate(volume.id, host, bandwidth)));
      } catch (err) {
        // The estimate is advice: without it the migration still starts.
        if (!(err instanceof UnsupportedError)) throw err;
        io.err(`volctl: no estimate: ${err.message}`);
      }
    }
    await api.migrate(volume.id, { host, forceHostCopy: opts.forceHostCopy, lockVolume: opts.lockVolume, bandwidthBytesPerSecond: bandwidth });
    const from = volume['os-vol-host-attr:host'] ? ` from ${volume['os-vol-host-attr:host']}` : '';
    const limit = bandwidth === undefined ? '' : ` at up to ${formatRate(bandwidth)}`;
    io.out(`Migrating volume ${volume.name || volume.id} (${volume.id})${from} to ${host}${limit}.`);
    if (opts.watch) io.setExitCode(await runWatch(await watchStarted(api, volume, host, opts.interval * 1000), io));
  });
}
