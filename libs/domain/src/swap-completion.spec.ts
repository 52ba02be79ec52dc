import { refusal } from '../test/refusal';
import { ErrorCode } from './errors';
import type { SwapPhase } from './progress/swap-progress';
import { checkSwapCompletion, completionForPhase, ReportedSwap } from './swap-completion';

const VOLUME = '0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5';
const ADMIN = { isService: false };
const SERVICE = { isService: true };
const local = (phase: SwapPhase | null, completion = completionForPhase(phase)): ReportedSwap => ({ phase, completion, source: 'local' });
const nova = (phase: SwapPhase | null): ReportedSwap => ({ phase, completion: completionForPhase(phase), source: 'nova' });
const refused = (message: string) => refusal(ErrorCode.InvalidVolume, `Invalid volume: ${message}`);

describe('completionForPhase', () => {
  it.each<[SwapPhase, string | null]>([
    ['accepted', null],
    ['copying', null],
    ['ready', null],
    ['pivoting', null],
    ['completing', 'success'],
    ['completed', 'success'],
    ['failed', 'error'],
    ['cancelled', 'error'],
  ])('when a swap is %s, then it calls for %s', (phase, completion) => {
    expect(completionForPhase(phase)).toBe(completion);
  });

  it('when no swap is known, then it calls for none', () => {
    expect(completionForPhase(null)).toBeNull();
  });
});

describe('checkSwapCompletion (os-migrate_volume_completion of a compute swap)', () => {
  it('when the local compute host is past its pivot, then a successful completion passes, from anyone allowed to ask', () => {
    expect(() => checkSwapCompletion(VOLUME, local('completing'), false, ADMIN)).not.toThrow();
    expect(() => checkSwapCompletion(VOLUME, local('completed'), false, SERVICE)).not.toThrow();
  });

  it.each<SwapPhase>(['accepted', 'copying', 'ready', 'pivoting'])(
    'when the local swap is %s (before its pivot), then a successful completion is refused, as admin and as service',
    (phase) => {
      const message = `The compute service has not switched the guest of volume ${VOLUME} to the new volume (swap ${phase}); it completes the migration itself after its pivot.`;
      expect(() => checkSwapCompletion(VOLUME, local(phase), false, ADMIN)).toThrow(refused(message));
      expect(() => checkSwapCompletion(VOLUME, local(phase), false, SERVICE)).toThrow(refused(message));
    },
  );

  it('when the local swap copies, then a completion with error is refused: the destination is still mirrored to', () => {
    expect(() => checkSwapCompletion(VOLUME, local('copying'), true, SERVICE)).toThrow(
      refused(`The compute service has not rolled back the swap of volume ${VOLUME} (swap copying); it completes the migration itself once it has.`),
    );
  });

  it('when the local compute host rolls the swap back (or did), then a completion with error passes and a successful one is refused', () => {
    expect(() => checkSwapCompletion(VOLUME, local('copying', 'error'), true, SERVICE)).not.toThrow();
    expect(() => checkSwapCompletion(VOLUME, local('failed'), true, ADMIN)).not.toThrow();
    expect(() => checkSwapCompletion(VOLUME, local('cancelled'), false, SERVICE)).toThrow(
      refused(`The swap of volume ${VOLUME} was rolled back: the guest stays on the source, so only a completion with error ends the migration.`),
    );
  });

  it('when the swap is past its pivot, then a completion with error is refused: the guest runs on the destination', () => {
    expect(() => checkSwapCompletion(VOLUME, local('completing'), true, SERVICE)).toThrow(
      refused(`Volume ${VOLUME} is past its swap's pivot: the guest runs on the new volume, so only a successful completion ends the migration.`),
    );
  });

  it('when the compute side knows no swap of the volume, then any completion is refused', () => {
    const message = `The compute service knows no swap of volume ${VOLUME} to complete.`;
    expect(() => checkSwapCompletion(VOLUME, local(null), false, SERVICE)).toThrow(refused(message));
    expect(() => checkSwapCompletion(VOLUME, nova(null), true, SERVICE)).toThrow(refused(message));
  });

  it('when a bridge reports no completion field, then it counts as none: the completion is refused', () => {
    expect(() => checkSwapCompletion(VOLUME, { phase: 'completing', source: 'local' }, false, SERVICE)).toThrow(
      expect.objectContaining({ code: ErrorCode.InvalidVolume }),
    );
  });

  it('when a real Nova runs the swap, then only a service (Nova itself, calling from inside its swap) may complete it, either way', () => {
    for (const phase of ['accepted', 'copying'] as const) {
      expect(() => checkSwapCompletion(VOLUME, nova(phase), false, SERVICE)).not.toThrow();
      expect(() => checkSwapCompletion(VOLUME, nova(phase), true, SERVICE)).not.toThrow();
      expect(() => checkSwapCompletion(VOLUME, nova(phase), false, ADMIN)).toThrow(expect.objectContaining({ code: ErrorCode.InvalidVolume }));
    }
  });

  it('when Nova’s swap finished, then its outcome decides, whoever asks', () => {
    expect(() => checkSwapCompletion(VOLUME, nova('completed'), false, ADMIN)).not.toThrow();
    expect(() => checkSwapCompletion(VOLUME, nova('failed'), false, SERVICE)).toThrow(expect.objectContaining({ code: ErrorCode.InvalidVolume }));
  });
});
