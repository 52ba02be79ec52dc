/** What the actors do to volumes. `refuse-busy` asks what must be refused (a second migration, a delete of a migrating volume). */
export const OPERATION_KINDS = [
  'create',
  'attach',
  'detach',
  'migrate-host',
  'migrate-driver',
  'migrate-attached',
  'cancel',
  'refuse-busy',
  'delete',
] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

/** The faults of issue 17 §3 the injector chooses from. `worker` is a storage host's volume-worker. */
export const FAULT_KINDS = ['nats', 'postgres', 'worker', 'volume-api', 'volume-scheduler', 'nova-bridge'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** `expected`: a refusal the contract allows (503 while a dependency is down, 400 for a busy volume, the API killed under the call). */
export type Outcome = 'ok' | 'expected' | 'unexpected';

/** Who answers a request: a network error is expected only while that app was down. */
export type Callee = 'volume-api' | 'nova-bridge';

/** Why a step of an operation did not do what it asked. */
export type Failure =
  | { kind: 'http'; step: string; status: number; text: string }
  | { kind: 'network'; step: string; callee: Callee; message: string }
  /** The request was taken, but the end state is wrong or never came. */
  | { kind: 'outcome'; step: string; message: string };

export class StepFailed extends Error {
  override readonly name = 'StepFailed';

  constructor(readonly failure: Failure) {
    super(describeFailure(failure));
  }
}

export function describeFailure(f: Failure): string {
  if (f.kind === 'http') return `${f.step}: HTTP ${f.status} ${f.text.slice(0, 300)}`;
  if (f.kind === 'network') return `${f.step}: ${f.callee} did not answer (${f.message})`;
  return `${f.step}: ${f.message}`;
}

/**
 * Whether a failure is one the contract allows. `refusal`: the step asked for something the API
 * must refuse (any 4xx is then the right answer). `faults`: the faults that overlapped the
 * operation. A 5xx other than 503 and an end state that is wrong are never expected (issue 17:
 * no 500s, every resumable migration ends in success whatever the fault).
 */
export function classifyFailure(f: Failure, ctx: { refusal: boolean; faults: readonly FaultKind[] }): Exclude<Outcome, 'ok'> {
  switch (f.kind) {
    case 'http':
      if (f.status === 503) return 'expected';
      if (f.status >= 400 && f.status < 500 && ctx.refusal) return 'expected';
      return 'unexpected';
    case 'network':
      return ctx.faults.includes(f.callee) ? 'expected' : 'unexpected';
    case 'outcome':
      return 'unexpected';
  }
}

export interface FaultWindow {
  kind: FaultKind;
  /** The app or host it hit (a worker's host name). */
  target: string;
  start: number;
  /** When it healed (the server or app answers again); undefined while it lasts. */
  end?: number;
}

/** Faults that overlapped [start, end], counting `graceMs` after each heal (clients reconnect, retries back off). */
export function overlappingFaults(windows: readonly FaultWindow[], start: number, end: number, graceMs: number): FaultKind[] {
  const kinds = windows.filter((w) => w.start <= end && (w.end === undefined || w.end + graceMs >= start)).map((w) => w.kind);
  return [...new Set(kinds)];
}

export interface UnexpectedFailure {
  kind: OperationKind;
  volumeId: string | null;
  at: number;
  message: string;
  faults: FaultKind[];
}

/** The counts the soak prints: operations by kind and outcome, faults by kind, and each unexpected failure. */
export class Tally {
  readonly operations = new Map<OperationKind, Record<Outcome, number>>(OPERATION_KINDS.map((k) => [k, { ok: 0, expected: 0, unexpected: 0 }]));
  readonly faults = new Map<FaultKind, number>(FAULT_KINDS.map((k) => [k, 0]));
  readonly windows: FaultWindow[] = [];
  readonly unexpected: UnexpectedFailure[] = [];
  /** Cancels that stopped the copy, and those that came after it had finished (the migration then succeeded). */
  readonly cancels = { stopped: 0, late: 0 };
  /** Apps found dead that no fault killed (then restarted, so that the soak goes on). */
  readonly crashes: string[] = [];
  /** Expected failures by cause (step and status, or the app that did not answer). */
  readonly expectedCauses = new Map<string, number>();
  /** Told of each unexpected failure as it happens (the soak logs it). */
  onUnexpected?: (failure: UnexpectedFailure) => void;

  ok(kind: OperationKind): void {
    (this.operations.get(kind) as Record<Outcome, number>).ok++;
  }

  failed(kind: OperationKind, volumeId: string | null, failure: Failure, refusal: boolean, start: number, end = Date.now()): Outcome {
    const faults = overlappingFaults(this.windows, start, end, FAULT_GRACE_MS);
    const outcome = classifyFailure(failure, { refusal, faults });
    (this.operations.get(kind) as Record<Outcome, number>)[outcome]++;
    if (outcome === 'expected') {
      const cause = `${failure.kind === 'http' ? `${failure.step}: HTTP ${failure.status}` : describeFailure(failure)}`;
      this.expectedCauses.set(cause, (this.expectedCauses.get(cause) ?? 0) + 1);
    }
    if (outcome === 'unexpected') {
      const entry = { kind, volumeId, at: end, message: describeFailure(failure), faults };
      this.unexpected.push(entry);
      this.onUnexpected?.(entry);
    }
    return outcome;
  }

  faultStarted(kind: FaultKind, target: string): FaultWindow {
    const window: FaultWindow = { kind, target, start: Date.now() };
    this.windows.push(window);
    this.faults.set(kind, (this.faults.get(kind) ?? 0) + 1);
    return window;
  }
}

/** How long after a fault heals its effects still count as the fault's (reconnects, backoffs). */
export const FAULT_GRACE_MS = 5_000;
