import { DrillApp, DRILL_HOSTS, DrillInfrastructure, DrillStack } from '@volume/testing-stack';
import { SeededRandom } from './seeded-random';
import { note, sleep } from './soak-client';
import { FAULT_KINDS, FaultKind, Tally } from './tally';

/** How long a server stays down, in seconds: NATS a few seconds, PostgreSQL up to the 15 s of issue 17's drill. */
const DOWN_SECONDS: Record<'nats' | 'postgres', [number, number]> = { nats: [2, 8], postgres: [2, 15] };
/** A supervisor's restart delay after a SIGKILL, in seconds. */
const RESTART_DELAY_SECONDS: [number, number] = [0.5, 3];
const APPS: DrillApp[] = ['volume-api', 'volume-scheduler', 'host-a', 'host-b', 'nova-bridge'];

/**
 * Injects the faults of issue 17 §3, one at a time at random intervals (each kind once per round,
 * in a random order), and heals each (the server started again, the app restarted and ready)
 * before the next. An app found dead that no fault killed is a crash: counted, then restarted so
 * that the soak goes on.
 */
export class FaultInjector {
  /** Set while the injector itself has an app down, so that `reviveCrashed` does not count it. */
  private killing: DrillApp | null = null;
  private readonly bag: FaultKind[] = [];

  constructor(
    private readonly stack: DrillStack,
    private readonly infra: DrillInfrastructure,
    private readonly tally: Tally,
    private readonly rng: SeededRandom,
    private readonly gapSeconds: [number, number],
  ) {}

  /** Until the clock ends: a pause, a fault, its healing; returns once the last fault healed. */
  async run(clock: { until: number }): Promise<void> {
    for (;;) {
      const gap = this.rng.between(...this.gapSeconds) * 1000;
      if (Date.now() + gap >= clock.until) return;
      await this.sleepWatching(gap, clock);
      if (Date.now() >= clock.until) return;
      await this.inject(this.nextKind());
    }
  }

  /** Every kind once, in a random order, then again: a short soak still meets each fault. */
  private nextKind(): FaultKind {
    if (this.bag.length === 0) {
      const kinds = [...FAULT_KINDS];
      while (kinds.length) this.bag.push(kinds.splice(this.rng.int(0, kinds.length - 1), 1)[0]);
    }
    return this.bag.shift() as FaultKind;
  }

  async inject(kind: FaultKind): Promise<void> {
    if (kind === 'nats' || kind === 'postgres') {
      const seconds = this.rng.between(...DOWN_SECONDS[kind]);
      const window = this.tally.faultStarted(kind, kind);
      note(`fault: ${kind} down for ${seconds.toFixed(1)} s`);
      const server = kind === 'nats' ? this.infra.nats : this.infra.pg;
      await server.stop();
      await sleep(seconds * 1000);
      await server.start();
      window.end = Date.now();
      note(`healed: ${kind} up`);
      return;
    }
    const app: DrillApp = kind === 'worker' ? this.rng.pick(DRILL_HOSTS) : kind;
    const delay = this.rng.between(...RESTART_DELAY_SECONDS);
    const window = this.tally.faultStarted(kind, app);
    note(`fault: SIGKILL ${app}, restart after ${delay.toFixed(1)} s`);
    this.killing = app;
    try {
      await this.stack.kill(app);
      await sleep(delay * 1000);
      await this.restart(app);
    } finally {
      this.killing = null;
    }
    window.end = Date.now();
    note(`healed: ${app} ready`);
  }

  /** Apps that died on their own: counted as crashes, started again. */
  async reviveCrashed(): Promise<void> {
    for (const app of APPS) {
      const proc = this.stack.process(app);
      if (proc.running || app === this.killing) continue;
      this.tally.crashes.push(`${new Date().toISOString()} ${app} was not running (${proc.exitReason}); restarted`);
      note(`crash: ${app} died (${proc.exitReason}); restarting it`);
      await this.restart(app);
    }
  }

  /** Starts it again; a second try when it does not come up (both failing ends the soak: nothing heals). */
  private async restart(app: DrillApp): Promise<void> {
    try {
      await this.stack.restart(app);
    } catch (err) {
      note(`restart of ${app} failed (${(err as Error).message.split('\n')[0]}); trying again`);
      await this.stack.process(app).kill();
      await this.stack.restart(app);
    }
  }

  /** Sleeps `ms` (less if the clock ends first), looking for crashed apps every few seconds. */
  private async sleepWatching(ms: number, clock: { until: number }): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < Math.min(end, clock.until)) {
      await sleep(Math.min(2_000, end - Date.now()));
      await this.reviveCrashed();
    }
  }
}
