import { cancelOutcome, InstanceAction, latestSwapAction, phaseOf } from './swap-phase';

const action = (over: Partial<InstanceAction> = {}): InstanceAction => ({
  action: 'swap_volume',
  request_id: 'req-1',
  start_time: '2026-08-21T10:00:00.000000',
  message: null,
  ...over,
});

describe('the phase of a Nova swap, from its instance action', () => {
  it('when no compute_swap_volume event exists yet, then it is accepted, as of the action’s start (UTC)', () => {
    expect(phaseOf(action(), [])).toEqual({ phase: 'accepted', updatedAt: '2026-08-21T10:00:00.000Z' });
    expect(phaseOf(action(), [{ event: 'compute_other', start_time: '2026-08-21T10:00:01.000000', finish_time: null }])).toMatchObject({
      phase: 'accepted',
    });
  });

  it('when the event has started and not finished, then it is copying, as of the event’s start', () => {
    expect(phaseOf(action(), [{ event: 'compute_swap_volume', start_time: '2026-08-21T10:00:02.500000', finish_time: null, result: null }])).toEqual({
      phase: 'copying',
      updatedAt: '2026-08-21T10:00:02.500Z',
    });
  });

  it.each([
    ['Success', 'completed'],
    ['Error', 'failed'],
  ])('when the event finished with %s, then it is %s, as of the finish', (result, phase) => {
    expect(
      phaseOf(action(), [{ event: 'compute_swap_volume', start_time: '2026-08-21T10:00:02.000000', finish_time: '2026-08-21T11:30:00.000000', result }]),
    ).toEqual({ phase, updatedAt: '2026-08-21T11:30:00.000Z' });
  });

  it('when the events are hidden (no events policy), then the action’s Error message means failed and anything else accepted', () => {
    expect(phaseOf(action({ message: 'Error' }), undefined).phase).toBe('failed');
    expect(phaseOf(action(), undefined).phase).toBe('accepted');
  });

  it('when several swap actions are listed, then the one with our Nova request id is followed, else the latest swap_volume', () => {
    const actions = [
      action({ action: 'attach_volume', request_id: 'req-a', start_time: '2026-08-21T12:00:00.000000' }),
      action({ request_id: 'req-old', start_time: '2026-08-20T10:00:00.000000' }),
      action({ request_id: 'req-new', start_time: '2026-08-21T10:00:00.000000' }),
    ];
    expect(latestSwapAction(actions)?.request_id).toBe('req-new');
    expect(latestSwapAction(actions, 'req-old')?.request_id).toBe('req-old');
    expect(latestSwapAction(actions, 'req-unknown')?.request_id).toBe('req-new');
    expect(latestSwapAction([actions[0]])).toBeUndefined();
  });

  it('when our swap started after the latest listed swap (beyond the clock skew), then no action is ours', () => {
    const actions = [action({ request_id: 'req-old', start_time: '2026-08-21T09:00:00.000000' })];
    expect(latestSwapAction(actions, undefined, '2026-08-21T10:00:00.000Z')).toBeUndefined();
    expect(latestSwapAction(actions, undefined, '2026-08-21T09:00:30.000Z')?.request_id).toBe('req-old');
    expect(latestSwapAction(actions, 'req-old', '2026-08-21T10:00:00.000Z')?.request_id).toBe('req-old');
  });

  it.each([
    [null, 'unsupported'],
    ['accepted', 'unsupported'],
    ['copying', 'unsupported'],
    ['failed', 'cancelled'],
    ['completed', 'past-pivot'],
  ] as const)('when a cancel finds the phase %s, then the outcome is %s', (phase, outcome) => {
    expect(cancelOutcome(phase)).toBe(outcome);
  });
});
