import { Command, Option } from 'commander';
import { BlockStorageApi } from '../api/block-storage';
import { BlockStorageHttp } from '../api/http-client';
import { Fetch, openSession } from '../api/session';
import { AuthSettings, credentialsOf, ENV_NAMES, mergeSettings, settingsFromEnv } from '../credentials/auth-settings';
import { cloudSettings } from '../credentials/clouds-yaml';
import { OUTPUT_FORMATS, OutputOptions } from '../format/output';
import { ExitCode, UsageError } from '../exit-codes';

/** What the CLI reads and writes: the process's in `main.ts`, a test's in specs. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  cwd: string;
  out: (text: string) => void;
  err: (text: string) => void;
  /** The terminal `--watch` draws bars on; absent when stdout is not one (a pipe, a log). */
  tty?: NodeJS.WriteStream;
  /** A signal that aborts on Ctrl-C while a watch runs; `dispose` restores the default (exit at once). */
  interrupts: () => { signal: AbortSignal; dispose: () => void };
  fetch?: Fetch;
}

/** What a command gets: the io, and where it leaves an outcome other than success (a failed migration, Ctrl-C). */
export interface CommandIo extends CliIo {
  setExitCode: (code: ExitCode) => void;
}

/** `--os-auth-url` for `authUrl`, and so on: openstackclient's flag for each OS_* variable. */
const flagOf = (key: keyof AuthSettings): string => `--os-${ENV_NAMES[key].slice(3).toLowerCase().replace(/_/g, '-')}`;

export function addAuthOptions(program: Command): void {
  program.option('--os-cloud <name>', 'a cloud of clouds.yaml (env: OS_CLOUD)');
  for (const key of Object.keys(ENV_NAMES) as (keyof AuthSettings)[]) program.option(`${flagOf(key)} <value>`, `(env: ${ENV_NAMES[key]})`);
}

/** Flags first, then OS_* variables, then the clouds.yaml entry (`--os-cloud` or OS_CLOUD). */
function settingsOf(opts: Record<string, string | undefined>, io: CliIo): AuthSettings {
  const flags: AuthSettings = {};
  for (const key of Object.keys(ENV_NAMES) as (keyof AuthSettings)[]) {
    const camel = `os${key[0].toUpperCase()}${key.slice(1)}`;
    if (opts[camel] !== undefined) flags[key] = opts[camel];
  }
  const cloud = opts.osCloud ?? io.env.OS_CLOUD;
  return mergeSettings(flags, settingsFromEnv(io.env), cloud ? cloudSettings(cloud, io.env, io.cwd) : {});
}

export async function apiFor(cmd: Command, io: CliIo): Promise<BlockStorageApi> {
  const credentials = credentialsOf(settingsOf(cmd.optsWithGlobals(), io));
  const session = await openSession(credentials, io.fetch);
  return new BlockStorageApi(new BlockStorageHttp(session, io.fetch));
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function addOutputOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-f, --format <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .option('-c, --column <name>', 'show only this column (repeatable)', collect);
}

export function outputOptions(opts: { format: OutputOptions['format']; column?: string[] }): OutputOptions {
  return { format: opts.format, columns: opts.column };
}

/** `--interval`: seconds between polls while watching a server without the events stream. */
export function addIntervalOption(cmd: Command): Command {
  return cmd.option('--interval <seconds>', 'seconds between polls while watching a server without the events stream (before 3.73)', (v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0.1) throw new UsageError(`invalid --interval '${v}': a number of seconds, at least 0.1`);
    return n;
  }, 2);
}
