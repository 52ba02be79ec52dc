import { ErrorCode } from './errors';
import { BEGIN_DETACHING_REFUSAL, beginDetachingOutcome } from './volume-detaching';

describe('os-begin_detaching outcome', () => {
  it('when the conditional update matched (in-use, attached, not migrating), then the volume is detaching', () => {
    expect(beginDetachingOutcome(true, null)).toBe('detaching');
    expect(beginDetachingOutcome(true, 'success')).toBe('detaching');
  });

  it.each(['starting', 'migrating', 'completing', 'target:0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5'])(
    'when the volume migrates (migration_status %s), then it is no error and the status stays',
    (migrationStatus) => {
      expect(beginDetachingOutcome(false, migrationStatus)).toBe('unchanged-migrating');
    },
  );

  it.each([null, 'success', 'error', 'deleting'])(
    'when the update did not match and the volume is not migrating (%s), then Cinder\'s refusal',
    (migrationStatus) => {
      expect(() => beginDetachingOutcome(false, migrationStatus)).toThrow(
        expect.objectContaining({ code: ErrorCode.InvalidVolume, message: BEGIN_DETACHING_REFUSAL }),
      );
    },
  );

  it('the refusal reads as Cinder\'s', () => {
    expect(BEGIN_DETACHING_REFUSAL).toBe(
      "Invalid volume: Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.",
    );
  });
});
