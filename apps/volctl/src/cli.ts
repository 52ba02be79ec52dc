import { Command, CommanderError } from 'commander';
import { addAuthOptions, CliIo, CommandIo } from './commands/cli-context';
import { migrateCommand } from './commands/migrate.command';
import { migrationsCommand } from './commands/migrations.command';
import { poolsCommand } from './commands/pools.command';
import { volumesCommand } from './commands/volumes.command';
import { ExitCode, failureOf } from './exit-codes';
import { version } from '../package.json';

function buildProgram(io: CommandIo): Command {
  const program = new Command('volctl')
    .description('Volumes, pools and volume migrations of the Block Storage API, with a live progress bar')
    .version(version, '-V, --version', "volctl's version");
  addAuthOptions(program);
  for (const cmd of [migrateCommand(io), migrationsCommand(io), volumesCommand(io), poolsCommand(io)]) program.addCommand(cmd);
  // Every command writes through io and reports a usage error through runCli's exit code, never exiting itself.
  const configure = (cmd: Command): void => {
    cmd
      .exitOverride()
      .showHelpAfterError('(add --help for usage)')
      .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) });
    cmd.commands.forEach(configure);
  };
  configure(program);
  return program;
}

/**
 * Runs one command line (without `node` and the script) and answers its exit code: a fault is one line
 * on stderr, `volctl: <message>`, never a stack trace.
 */
export async function runCli(args: string[], io: CliIo): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  const program = buildProgram({ ...io, setExitCode: (code) => (exitCode = code) });
  try {
    await program.parseAsync(args, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help ends here too, with exit code 0; every other commander error is a usage error.
      return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    const failure = failureOf(err);
    io.err(`volctl: ${failure.message}`);
    return failure.exitCode;
  }
}
