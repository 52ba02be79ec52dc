import { Command } from 'commander';
import type { Pool } from '../api/block-storage';
import { Column, renderList } from '../format/output';
import { addOutputOptions, apiFor, CliIo, outputOptions } from './cli-context';

const POOL_COLUMNS: Column<Pool>[] = [
  { name: 'Name', value: (p) => p.name },
  { name: 'Backend', value: (p) => p.capabilities?.volume_backend_name },
  { name: 'Total GB', value: (p) => p.capabilities?.total_capacity_gb },
  { name: 'Free GB', value: (p) => p.capabilities?.free_capacity_gb },
  { name: 'Allocated GB', value: (p) => p.capabilities?.allocated_capacity_gb },
];

/** `pools`: the destinations a migration can name, and their free space (admin). */
export function poolsCommand(io: CliIo): Command {
  return addOutputOptions(new Command('pools').description('list the pools (host@backend#pool) and their free space (admin)')).action(
    async (opts, cmd: Command) => {
      const api = await apiFor(cmd, io);
      io.out(renderList(await api.listPools(), POOL_COLUMNS, outputOptions(opts)));
    },
  );
}
