import { Judgement } from './final-check';
import { parseSoakOptions } from './soak-options';
import { failed, SoakFindings, soakReport } from './soak-report';
import { Tally } from './tally';

const clean: Judgement = { missing: [], checks: [{ id: 'v1', path: '/p', sha256: 'x' }], misattached: [], orphans: [] };
const findings = (extra: Partial<SoakFindings> = {}): SoakFindings => ({ judgement: clean, corrupted: [], stuck: [], aborted: null, apiDown: null, ...extra });
const opts = parseSoakOptions(['--seed', '99', '--minutes', '3'], {});

describe('the soak verdict', () => {
  it('when nothing is lost, stuck or orphaned, then it passes, unexpected failures notwithstanding', () => {
    const tally = new Tally();
    tally.failed('migrate-host', 'v1', { kind: 'outcome', step: 'migrate-host', message: 'ended error' }, false, 0, 1);
    expect(failed(findings())).toBe(false);
    expect(soakReport(opts!, tally, findings(), 60_000)).toMatch(/soak passed: 0 losses, 0 stuck, 0 orphans$/);
  });

  it.each<[string, Partial<SoakFindings>]>([
    ['a corrupted volume', { corrupted: ['volume v1: sha differs'] }],
    ['a missing volume', { judgement: { ...clean, missing: ['volume v2: its row is gone'] } }],
    ['a misattached device', { judgement: { ...clean, misattached: ['server s1 ...'] } }],
    ['a stuck volume', { stuck: ['volume v3 status deleting'] }],
    ['an orphaned file', { judgement: { ...clean, orphans: ['file /x belongs to no volume'] } }],
    ['an abort', { aborted: 'host-a would not restart' }],
    ['an API that does not answer', { apiDown: 'check: list: HTTP 500' }],
  ])('when there is %s, then it fails and says how to replay the run', (_what, extra) => {
    expect(failed(findings(extra))).toBe(true);
    expect(soakReport(opts!, new Tally(), findings(extra), 60_000)).toMatch(/SOAK FAILED \(replay: npm run soak -- --seed 99 --minutes 3\)$/);
  });

  it('when the report is printed, then it counts operations by outcome, faults by kind, and each finding', () => {
    const tally = new Tally();
    tally.ok('create');
    tally.faultStarted('nats', 'nats');
    const report = soakReport(opts!, tally, findings({ stuck: ['volume v3 status deleting'] }), 60_000);
    expect(report).toContain('create                 1                   0                    0');
    expect(report).toContain('faults: 1 (nats 1, postgres 0, worker 0, volume-api 0, volume-scheduler 0, nova-bridge 0)');
    expect(report).toContain('stuck: 1\n');
    expect(report).toContain('  volume v3 status deleting');
  });
});
