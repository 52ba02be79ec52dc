import { Command } from 'commander';
import type { BlockStorageApi, MigrationEstimate, VolumeMigration } from '../api/block-storage';
import { Column, renderList, renderOne } from '../format/output';
import { formatBytes, formatDuration, formatEta, formatRate } from '@volume/migration-format';
import { sizeArgument } from '../format/size-argument';
import { findHost } from '../resolve/find-host';
import { findVolume } from '../resolve/find-volume';
import { readMigrations, readRunningMigrations } from '../watch/migration-feed';
import { addIntervalOption, addOutputOptions, apiFor, CommandIo, outputOptions } from './cli-context';
import { runWatch, watchFeed } from './run-watch';

const MIGRATION_COLUMNS: Column<VolumeMigration>[] = [
  { name: 'ID', value: (m) => m.id },
  { name: 'Volume', value: (m) => m.volume_id },
  { name: 'Source', value: (m) => m.source_host },
  { name: 'Destination', value: (m) => m.destination_host },
  { name: 'Status', value: (m) => m.status },
  { name: 'Phase', value: (m) => m.phase },
  { name: 'Progress', value: (m) => m.progress, human: (m) => (m.progress === null ? '' : `${m.progress}%`) },
  { name: 'Rate', value: (m) => m.rate_bytes_per_second ?? m.average_rate_bytes_per_second, human: (m) => formatRate(m.rate_bytes_per_second ?? m.average_rate_bytes_per_second) },
  { name: 'ETA', value: (m) => m.eta_seconds, human: (m) => (m.status === 'running' ? formatEta(m.eta_seconds, m.eta_state) : '') },
  { name: 'Duration', value: (m) => m.duration_seconds, human: (m) => (m.duration_seconds === null ? '' : formatDuration(m.duration_seconds)) },
  { name: 'Started', value: (m) => m.started_at },
];

/** The estimate in a sentence, before a migration starts. */
export function estimateText(e: MigrationEstimate): string {
  const ceiling = e.limited_by === 'bandwidth' ? ' (the bandwidth asked for)' : e.limited_by === 'host' ? " (the source host's limit)" : '';
  const pace = e.expected_rate_bytes_per_second === null ? 'at an unknown rate' : `at ${formatRate(e.expected_rate_bytes_per_second)}${ceiling}`;
  const time = e.expected_seconds === null ? 'no estimate of the time' : `about ${formatDuration(e.expected_seconds)}`;
  const basis = e.confidence === 'history' ? `${e.basis.migrations} past migration(s) between ${e.basis.between.join(' and ')}` : e.confidence;
  return `Estimate: ${formatBytes(e.bytes_to_copy)} of ${formatBytes(e.total_bytes)} to copy ${pace}, ${time} (basis: ${basis})`;
}

async function volumeIdOf(api: BlockStorageApi, ref: string): Promise<string> {
  return (await findVolume(api, ref, { allProjects: true })).id;
}

/** `migrations list|show|watch|cancel|bandwidth|estimate` (3.73, admin). */
export function migrationsCommand(io: CommandIo): Command {
  const migrations = new Command('migrations').description('volume migrations: history, live state and control (microversion 3.73, admin)');

  addOutputOptions(
    migrations
      .command('list')
      .description('list migrations, newest first')
      .option('--all-projects', 'migrations of every project')
      .option('--status <status>', 'running, success, error, cancelling or cancelled')
      .option('--volume <volume>', 'only the migrations of this volume (name or id)')
      .option('--limit <n>', 'at most this many', Number),
  ).action(async (opts, cmd: Command) => {
    const api = await apiFor(cmd, io);
    const volumeId = opts.volume ? await volumeIdOf(api, opts.volume) : undefined;
    const found = await api.listMigrations({ allProjects: opts.allProjects, status: opts.status, volumeId, limit: opts.limit });
    io.out(renderList(found, MIGRATION_COLUMNS, outputOptions(opts)));
  });

  addOutputOptions(migrations.command('show').description('show one migration').argument('<id>', 'migration id')).action(
    async (id: string, opts, cmd: Command) => {
      const api = await apiFor(cmd, io);
      io.out(renderOne(await api.getMigration(id), outputOptions(opts)));
    },
  );

  addIntervalOption(
    migrations
      .command('watch')
      .description('follow one migration, or every running one, live from the events stream until it ends (Ctrl-C leaves it running)')
      .argument('[id]', 'migration id (default: every running migration)')
      .option('--all-projects', 'running migrations of every project'),
  ).action(async (id: string | undefined, opts, cmd: Command) => {
    const api = await apiFor(cmd, io);
    if (!id && !(await api.listMigrations({ status: 'running', allProjects: opts.allProjects, limit: 1 })).length) {
      io.out('No running migrations.');
      return;
    }
    const read = id ? readMigrations(api, [{ id }]) : readRunningMigrations(api, { allProjects: opts.allProjects });
    io.setExitCode(await runWatch(watchFeed(api, { id, allProjects: opts.allProjects }, read, opts.interval * 1000), io));
  });

  migrations
    .command('cancel')
    .description("cancel a volume's running migration (before the switch-over)")
    .argument('<volume>', 'name or id')
    .action(async (ref: string, _opts, cmd: Command) => {
      const api = await apiFor(cmd, io);
      const volumeId = await volumeIdOf(api, ref);
      await api.cancelMigration(volumeId);
      io.out(`Cancelling the migration of volume ${volumeId}; the source stays as it was.`);
    });

  migrations
    .command('bandwidth')
    .description("change a running migration's bandwidth limit")
    .argument('<volume>', 'name or id')
    .argument('<rate>', "bytes per second (200M, 1.5GiB, 64MB/s) or 'default' for the host's limit")
    .action(async (ref: string, rate: string, _opts, cmd: Command) => {
      const bytesPerSecond = rate === 'default' ? null : sizeArgument(rate);
      const api = await apiFor(cmd, io);
      const volumeId = await volumeIdOf(api, ref);
      await api.setBandwidth(volumeId, bytesPerSecond);
      const now = bytesPerSecond === null ? "the host's default" : formatRate(bytesPerSecond);
      io.out(`The migration of volume ${volumeId} now copies at up to ${now}.`);
    });

  addOutputOptions(
    migrations
      .command('estimate')
      .description('how long migrating a volume to a host would take, without starting it')
      .argument('<volume>', 'name or id')
      .argument('<host>', 'destination pool (host@backend#pool) or a unique start of it')
      .option('--bandwidth <rate>', 'as migrate --bandwidth: the copy would run at most at it (200M, 1.5GiB, 64MB/s)'),
  ).action(async (ref: string, hostRef: string, opts, cmd: Command) => {
    const bandwidth = opts.bandwidth === undefined ? undefined : sizeArgument(opts.bandwidth);
    const api = await apiFor(cmd, io);
    const volumeId = await volumeIdOf(api, ref);
    const estimate = await api.estimate(volumeId, await findHost(api, hostRef), bandwidth);
    io.out(opts.format === 'table' && !opts.column ? estimateText(estimate) : renderOne({ ...estimate }, outputOptions(opts)));
  });

  return migrations;
}
