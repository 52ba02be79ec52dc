import { Command } from 'commander';
import { isMigrationDestination } from '@volume/migration-format';
import type { Volume } from '../api/block-storage';
import { Column, renderList, renderOne } from '../format/output';
import { findVolume } from '../resolve/find-volume';
import { addOutputOptions, apiFor, CliIo, outputOptions } from './cli-context';

const VOLUME_COLUMNS: Column<Volume>[] = [
  { name: 'ID', value: (v) => v.id },
  // A migration's destination bears its source's name while it copies: the table says which row it is.
  { name: 'Name', value: (v) => v.name, human: (v) => (isMigrationDestination(v) ? `${v.name ?? ''} (migration destination)` : (v.name ?? '')) },
  { name: 'Status', value: (v) => v.status },
  { name: 'Size', value: (v) => v.size },
  { name: 'Host', value: (v) => v['os-vol-host-attr:host'] },
  { name: 'Migration Status', value: (v) => v.migration_status },
  { name: 'Migration Progress', value: (v) => v.migration_progress },
];

/** `volumes list|show`: enough to find what to migrate. */
export function volumesCommand(io: CliIo): Command {
  const volumes = new Command('volumes').description('list and show volumes');
  addOutputOptions(
    volumes
      .command('list')
      .description('list volumes (admin columns when the caller is an admin)')
      .option('--name <name>', 'only volumes of this name')
      .option('--status <status>', 'only volumes in this status')
      .option('--all-projects', 'volumes of every project (admin)')
      .option('--limit <n>', 'at most this many', Number),
  ).action(async (opts, cmd: Command) => {
    const api = await apiFor(cmd, io);
    const found = await api.listVolumes({ name: opts.name, status: opts.status, allProjects: opts.allProjects, limit: opts.limit });
    io.out(renderList(found, VOLUME_COLUMNS, outputOptions(opts)));
  });
  addOutputOptions(
    volumes
      .command('show')
      .description('show a volume, by name or id')
      .argument('<volume>', 'name or id')
      .option('--all-projects', 'look for the name in every project (admin)'),
  ).action(async (ref: string, opts, cmd: Command) => {
    const api = await apiFor(cmd, io);
    io.out(renderOne(await findVolume(api, ref, { allProjects: opts.allProjects }), outputOptions(opts)));
  });
  return volumes;
}
