import { Judgement } from './final-check';
import { SoakOptions } from './soak-options';
import { FAULT_KINDS, OPERATION_KINDS, Outcome, Tally } from './tally';

/** What the soak found at the end. */
export interface SoakFindings {
  judgement: Judgement;
  corrupted: string[];
  stuck: string[];
  /** Why the soak ended before its time (an app that would not restart), or null. */
  aborted: string | null;
  /** What the API answered to a volume list after the soak when it was not a 200, or null. */
  apiDown: string | null;
}

/** Losses, stuck and orphans: any of them fails the soak (exit 1), as does an abort. */
export function failed(f: SoakFindings): boolean {
  const j = f.judgement;
  return f.aborted !== null || f.apiDown !== null || f.corrupted.length + j.missing.length + j.misattached.length + f.stuck.length + j.orphans.length > 0;
}

/** Shown in full up to this many lines per list; the rest is counted. */
const LIST_LINES = 25;

function list(title: string, lines: string[]): string[] {
  if (lines.length === 0) return [];
  const more = lines.length > LIST_LINES ? [`  ... and ${lines.length - LIST_LINES} more`] : [];
  return [`${title}:`, ...lines.slice(0, LIST_LINES).map((l) => `  ${l}`), ...more];
}

/** The counts as a table, `kind  ok  failed-as-expected  failed-unexpectedly`, and a total. */
export function operationTable(tally: Tally): string[] {
  const rows = OPERATION_KINDS.map((k) => [k, tally.operations.get(k) as Record<Outcome, number>] as const);
  const total = rows.reduce((t, [, c]) => ({ ok: t.ok + c.ok, expected: t.expected + c.expected, unexpected: t.unexpected + c.unexpected }), { ok: 0, expected: 0, unexpected: 0 });
  const line = (name: string, c: Record<Outcome, number>) =>
    `  ${name.padEnd(18)}${String(c.ok).padStart(6)}${String(c.expected).padStart(20)}${String(c.unexpected).padStart(21)}`;
  return [`  ${'operation'.padEnd(18)}${'ok'.padStart(6)}${'failed-as-expected'.padStart(20)}${'failed-unexpectedly'.padStart(21)}`, ...rows.map(([k, c]) => line(k, c)), line('total', total)];
}

export function soakReport(opts: SoakOptions, tally: Tally, f: SoakFindings, elapsedMs: number): string {
  const j = f.judgement;
  const faults = FAULT_KINDS.map((k) => `${k} ${tally.faults.get(k)}`).join(', ');
  const faultTotal = [...tally.faults.values()].reduce((a, b) => a + b, 0);
  const losses = f.corrupted.length + j.missing.length + j.misattached.length;
  const unexpected = tally.unexpected.map((u) => `${new Date(u.at).toISOString().slice(11, 19)} ${u.kind} ${u.volumeId ?? ''} ${u.message}${u.faults.length ? ` [during ${u.faults.join(', ')}]` : ''}`);
  return [
    '',
    `== soak report: seed ${opts.seed}, ${opts.minutes} min of operations and faults (${(elapsedMs / 60_000).toFixed(1)} min in all), ${opts.actors} actors, at most ${opts.volumes} volumes of ${opts.dataMib} MiB data, copies at ${opts.copyMibPerSecond} MiB/s`,
    ...operationTable(tally),
    ...[...tally.expectedCauses].sort((a, b) => b[1] - a[1]).map(([cause, n]) => `  failed as expected ${String(n).padStart(4)}x  ${cause}`),
    `  cancels: ${tally.cancels.stopped} stopped the copy, ${tally.cancels.late} came after it had finished`,
    `faults: ${faultTotal} (${faults})`,
    `crashes (apps dead that no fault killed): ${tally.crashes.length}`,
    `losses: ${losses} (corrupted ${f.corrupted.length}, missing ${j.missing.length}, misattached ${j.misattached.length}); data verified: ${j.checks.length - f.corrupted.length} of ${j.checks.length} volumes`,
    `stuck: ${f.stuck.length}`,
    `orphans: ${j.orphans.length}`,
    ...(f.aborted ? [`aborted: ${f.aborted}`] : []),
    ...(f.apiDown ? [`the API does not answer after the soak: ${f.apiDown}`] : []),
    ...list('corrupted', f.corrupted),
    ...list('missing', j.missing),
    ...list('misattached', j.misattached),
    ...list('stuck', f.stuck),
    ...list('orphans', j.orphans),
    ...list('crashes', tally.crashes),
    ...list('failed unexpectedly', unexpected),
    failed(f) ? `SOAK FAILED (replay: npm run soak -- --seed ${opts.seed} --minutes ${opts.minutes})` : 'soak passed: 0 losses, 0 stuck, 0 orphans',
  ].join('\n');
}
