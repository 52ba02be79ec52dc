import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureAppBuild } from './app-build';
import { DRILL_HOSTS, DrillInfrastructure, DrillStack, DrillStackOptions } from './drill-stack';
import { NatsServer } from './nats-server';
import { PostgresServer } from './postgres-server';

/** Lines of each log a failing drill's error carries: its warnings and errors, and the drill's marks. */
const EXCERPT_LINES = 12;
const EXCERPT_LINE_CHARS = 400;

const LEVELS: Record<number, string> = { 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/**
 * A log line as an excerpt shows it, or null when not worth showing: an app's (pino JSON) warnings
 * and errors, shortened to time, level, message and error; the harness's own marks (`--- ...`);
 * the servers' lines but NATS's chatter.
 */
function excerptLine(line: string): string | null {
  if (line.trim() === '' || line.includes('[INF]')) return null;
  if (!line.startsWith('{')) return line.slice(0, EXCERPT_LINE_CHARS);
  try {
    const entry = JSON.parse(line) as { level: number; time: string; msg?: string; err?: { message?: string } };
    if (entry.level < 40) return null;
    const text = `${String(entry.time).slice(11, 23)} ${LEVELS[entry.level] ?? entry.level} ${entry.msg ?? ''}${entry.err?.message ? `: ${entry.err.message}` : ''}`;
    return text.slice(0, EXCERPT_LINE_CHARS);
  } catch {
    return line.slice(0, EXCERPT_LINE_CHARS);
  }
}

/**
 * Each distinct message once (a retry logs the same one every second), at its last occurrence and
 * with its count. An app's lines are keyed without their time (the first 13 characters).
 */
function collapseRepeats(lines: (string | null)[]): string[] {
  const seen = new Map<string, { line: string; count: number }>();
  for (const line of lines) {
    if (line === null) continue;
    const key = /^\d\d:\d\d:\d\d\.\d{3} /.test(line) ? line.slice(13) : line;
    const count = (seen.get(key)?.count ?? 0) + 1;
    seen.delete(key);
    seen.set(key, { line, count });
  }
  return [...seen.values()].map(({ line, count }) => (count > 1 ? `${line} (x${count})` : line));
}

/**
 * What the drills of one spec file share: a temporary directory, the apps' build, and a PostgreSQL
 * and a NATS of their own on free ports (never the machine's), which the drills stop and start.
 * Each drill gets a fresh stack on them (`run`), so that one drill's failure does not spill into the
 * next; its logs stay in the directory, and a failing drill's error ends with their excerpts.
 */
export class DrillEnvironment {
  private failed = false;

  private constructor(
    readonly root: string,
    private readonly infra: DrillInfrastructure,
  ) {}

  static async start(): Promise<DrillEnvironment> {
    const buildDir = await ensureAppBuild();
    const root = await mkdtemp(join(tmpdir(), 'volume-drill-'));
    let pg: PostgresServer | undefined;
    try {
      // PostgreSQL may run as another OS user (as root, it must): it has to reach its directory inside.
      await chmod(root, 0o755);
      pg = await PostgresServer.create(root);
      const nats = await NatsServer.create(root);
      return new DrillEnvironment(root, { pg, nats, buildDir });
    } catch (err) {
      await pg?.destroy();
      await rm(root, { recursive: true, force: true });
      throw err;
    }
  }

  get pg(): PostgresServer {
    return this.infra.pg;
  }

  get nats(): NatsServer {
    return this.infra.nats;
  }

  /**
   * Runs one drill on a fresh stack. Whatever the drill leaves stopped (a server it was still holding
   * down when it failed) is started again before the next one.
   */
  async run(name: string, opts: DrillStackOptions, drill: (stack: DrillStack) => Promise<void>): Promise<void> {
    const dir = join(this.root, name.replace(/[^a-z0-9]+/gi, '-').toLowerCase());
    let stack: DrillStack | undefined;
    let ok = false;
    try {
      stack = await DrillStack.start(this.infra, dir, opts);
      await drill(stack);
      ok = true;
    } catch (err) {
      this.failed = true;
      const excerpt = await this.excerpt(dir);
      if (err instanceof Error) {
        err.message = `${err.message}\n\n${excerpt}`;
        throw err;
      }
      throw new Error(`${String(err)}\n\n${excerpt}`);
    } finally {
      if (!this.pg.running) await this.pg.start();
      if (!this.nats.running) await this.nats.start();
      await stack?.stop();
      // The volumes' data is large; the logs are kept until the environment stops.
      if (ok) for (const host of DRILL_HOSTS) await rm(join(dir, host), { recursive: true, force: true });
    }
  }

  /** Stops the servers; the directory stays (and is named) when a drill failed, for its logs. */
  async stop(): Promise<void> {
    await this.nats.stop();
    await this.pg.destroy();
    if (this.failed) console.error(`drill logs kept in ${this.root}`);
    else await rm(this.root, { recursive: true, force: true });
  }

  private async excerpt(dir: string): Promise<string> {
    const parts = [`logs in ${dir} (and ${this.root}/postgres, ${this.root}/nats):`];
    const logs = [
      ...(await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.log')).map((f) => join(dir, f)),
      this.pg.logFile,
      this.nats.logFile,
    ];
    for (const file of logs) {
      const lines = collapseRepeats((await readFile(file, 'utf8').catch(() => '')).split('\n').map(excerptLine));
      parts.push(`== ${file.slice(this.root.length + 1)}`, ...lines.slice(-EXCERPT_LINES));
    }
    return parts.join('\n');
  }
}
