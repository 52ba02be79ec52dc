import { execFile, execFileSync } from 'node:child_process';
import { chown, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@volume/testing';

const BIN = '/usr/lib/postgresql/15/bin';
const run = promisify(execFile);

/** PostgreSQL refuses to run as root: as root, the cluster is owned and run by the OS user `postgres`. */
function clusterOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error('running as root, PostgreSQL needs the OS user "postgres" (apt-get install postgresql-15 creates it)');
  }
}

/**
 * A PostgreSQL cluster of the drill's own, in a temporary directory on a free port, that the drill
 * stops and starts again (the same data, the same port) as an operator restarting the database
 * would. Never the machine's server.
 */
export class PostgresServer {
  private up = false;
  private readonly stopOnExit = () => this.stopSync();

  private constructor(
    private readonly dir: string,
    private port: number,
    private readonly owner: { uid: number; gid: number } | undefined,
  ) {}

  /** Makes the cluster (initdb) in `<root>/postgres` and starts it. */
  static async create(root: string): Promise<PostgresServer> {
    const dir = join(root, 'postgres');
    await mkdir(dir, { recursive: true });
    const owner = clusterOwner();
    if (owner) await chown(dir, owner.uid, owner.gid);
    const server = new PostgresServer(dir, await freePort(), owner);
    await server.exec('initdb', ['-D', server.dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    process.once('exit', server.stopOnExit);
    // The port was free a moment ago; another process may have taken it since: then try another.
    for (let attempt = 1; ; attempt++) {
      try {
        await server.start();
        return server;
      } catch (err) {
        if (attempt === 3) throw err;
        server.port = await freePort();
      }
    }
  }

  get running(): boolean {
    return this.up;
  }

  /** A connection URL to `database` as the superuser (trust authentication, no password). */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  get logFile(): string {
    return join(this.dir, 'postgres.log');
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** Starts it (again) and waits until it accepts connections. */
  async start(): Promise<void> {
    // fsync off: the drills take the server down cleanly; its own crash safety is not what they test.
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    await this.exec('pg_ctl', ['-D', this.dataDir, '-l', this.logFile, '-o', options, '-w', '-t', '60', 'start']);
    this.up = true;
  }

  /** A clean shutdown (`-m fast`): clients are disconnected, the server stops accepting connections. */
  async stop(): Promise<void> {
    if (!this.up) return;
    await this.exec('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', '-t', '60', 'stop']);
    this.up = false;
  }

  async destroy(): Promise<void> {
    process.removeListener('exit', this.stopOnExit);
    await this.stop();
  }

  async logTail(lines: number): Promise<string[]> {
    const text = await readFile(this.logFile, 'utf8').catch(() => '');
    return text.trimEnd().split('\n').slice(-lines);
  }

  private stopSync(): void {
    if (!this.up) return;
    try {
      execFileSync(join(BIN, 'pg_ctl'), ['-D', this.dataDir, '-m', 'immediate', 'stop'], { ...this.owner, stdio: 'ignore' });
    } catch {
      // already down
    }
  }

  private async exec(tool: string, args: string[]): Promise<void> {
    try {
      await run(join(BIN, tool), args, { ...this.owner, cwd: this.dir });
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      const tail = (await this.logTail(20)).join('\n');
      throw new Error(`${tool} ${args.at(-1)} failed: ${e.stderr || e.stdout || e.message}\n${tail}`);
    }
  }
}
