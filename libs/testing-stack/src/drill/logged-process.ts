import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

export interface LoggedProcessSpec {
  command: string;
  args: string[];
  /** The whole environment: nothing of the test runner's own (its DATABASE_URL, NATS_URL) leaks in. */
  env: Record<string, string>;
  cwd?: string;
  /** Appended to on every start, so that one file tells a process's whole life across restarts. */
  logFile: string;
}

/**
 * A child process the drills start, crash and start again with the same command and environment.
 * Its output goes to a log file rather than through the test runner, where it would be lost or
 * interleaved; a failing drill prints the file's end.
 */
export class LoggedProcess {
  /** Every process started and not yet exited: none may outlive the test run (see the hook below). */
  static readonly live = new Set<ChildProcess>();

  private child?: ChildProcess;
  private exit?: Promise<void>;
  /** Set on 'exit', or on 'error' when it could not be spawned at all (no exit code then). */
  private ended = false;
  private spawnError?: string;

  constructor(
    readonly name: string,
    private readonly spec: LoggedProcessSpec,
  ) {}

  get logFile(): string {
    return this.spec.logFile;
  }

  get running(): boolean {
    return !!this.child && !this.ended;
  }

  /** Why it is not running, for an error message. */
  get exitReason(): string {
    if (!this.child) return 'never started';
    if (this.spawnError) return `could not be started: ${this.spawnError}`;
    return this.child.signalCode ? `killed by ${this.child.signalCode}` : `exit code ${this.child.exitCode}`;
  }

  start(): void {
    if (this.running) throw new Error(`${this.name} is already running (pid ${this.child?.pid})`);
    const fd = openSync(this.spec.logFile, 'a');
    try {
      writeSync(fd, `--- ${new Date().toISOString()} drill: starting ${this.name}\n`);
      const child = spawn(this.spec.command, this.spec.args, {
        cwd: this.spec.cwd,
        env: this.spec.env,
        stdio: ['ignore', fd, fd],
      });
      this.child = child;
      this.ended = false;
      this.spawnError = undefined;
      LoggedProcess.live.add(child);
      this.exit = new Promise<void>((resolve) => {
        child.once('exit', (code, signal) => {
          this.ended = true;
          LoggedProcess.live.delete(child);
          this.note(`${this.name} exited (${signal ? `signal ${signal}` : `exit code ${code}`})`);
          resolve();
        });
        child.once('error', (err) => {
          this.ended = true;
          this.spawnError = err.message;
          LoggedProcess.live.delete(child);
          this.note(`${this.name} could not be started: ${err.message}`);
          resolve();
        });
      });
    } finally {
      closeSync(fd);
    }
  }

  /** SIGKILL, as a crash or an OOM kill ends a process: no shutdown hook runs. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.note(`drill: SIGKILL ${this.name} (pid ${this.child?.pid})`);
    this.child?.kill('SIGKILL');
    await this.exit;
  }

  /** SIGSTOP: the process hangs as a wedged one does; its peers' calls to it wait (until `resume` or a kill). */
  pause(): void {
    if (!this.running) throw new Error(`${this.name} is not running`);
    this.note(`drill: SIGSTOP ${this.name} (pid ${this.child?.pid})`);
    this.child?.kill('SIGSTOP');
  }

  /** SIGCONT after `pause`. */
  resume(): void {
    this.note(`drill: SIGCONT ${this.name} (pid ${this.child?.pid})`);
    this.child?.kill('SIGCONT');
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child?.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.exit;
    clearTimeout(timer);
  }

  /** The last `lines` lines of the log. */
  tail(lines: number): string[] {
    try {
      return readFileSync(this.spec.logFile, 'utf8').trimEnd().split('\n').slice(-lines);
    } catch {
      return [];
    }
  }

  private note(line: string): void {
    try {
      const fd = openSync(this.spec.logFile, 'a');
      writeSync(fd, `--- ${new Date().toISOString()} ${line}\n`);
      closeSync(fd);
    } catch {
      // the drill's directory is gone: nothing to tell
    }
  }
}

// A test runner that exits early (a timeout, Ctrl-C) must not leave apps running against servers
// that are gone; they would hold ports and pool directories.
process.once('exit', () => {
  for (const child of LoggedProcess.live) child.kill('SIGKILL');
});
