import { CodedError, ErrorCode } from '@volume/contracts';
import { retryWithBackoff } from '@volume/domain';
import { isHostNotUp, untilServiceAnswers } from './retry';

const fast = { initialMs: 1, maxMs: 2, factor: 2 };
const noResponders = () => new CodedError(ErrorCode.Unavailable, 'No service answers on volume.host-b.create_volume.v1');

/** An operation that fails with `failures` errors in turn, then answers 'done'. */
function failingFirst(failures: unknown[]): { op: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    op: async () => {
      const err = failures[calls++];
      if (err) throw err;
      return 'done';
    },
    calls: () => calls,
  };
}

describe('retryWithBackoff', () => {
  it('when the host answers after a few refusals, then the call succeeds and every wait was announced', async () => {
    const { op, calls } = failingFirst([noResponders(), noResponders(), noResponders()]);
    const waits: number[] = [];
    await expect(retryWithBackoff(op, { retryable: isHostNotUp, policy: fast, onRetry: (_e, attempt) => waits.push(attempt) })).resolves.toBe('done');
    expect(calls()).toBe(4);
    expect(waits).toEqual([1, 2, 3]);
  });

  it('when a failure is not retryable, then it is thrown at once', async () => {
    const refused = new CodedError(ErrorCode.InvalidVolume, 'Volume x is not an available migration destination');
    const { op, calls } = failingFirst([refused]);
    await expect(retryWithBackoff(op, { retryable: isHostNotUp, policy: fast })).rejects.toBe(refused);
    expect(calls()).toBe(1);
  });

  it('when the host stays away past the bound, then the last failure is thrown', async () => {
    const { op } = failingFirst(Array.from({ length: 1_000 }, noResponders));
    await expect(retryWithBackoff(op, { retryable: isHostNotUp, policy: { initialMs: 20, maxMs: 20, factor: 1 }, boundMs: 50 })).rejects.toMatchObject({
      code: ErrorCode.Unavailable,
    });
  });

  it('when retryable decides to give up with its own reason, then that reason is thrown', async () => {
    const { op } = failingFirst([noResponders(), noResponders()]);
    const retryable = (_err: unknown, attempt: number) => {
      if (attempt >= 2) throw new Error('the destination host is gone for good');
      return true;
    };
    await expect(retryWithBackoff(op, { retryable, policy: fast })).rejects.toThrow('gone for good');
  });

  it('when the caller stops during a wait, then the wait ends with the stop', async () => {
    const stop = new AbortController();
    const { op, calls } = failingFirst(Array.from({ length: 1_000 }, noResponders));
    const run = retryWithBackoff(op, {
      retryable: isHostNotUp,
      policy: { initialMs: 60_000, maxMs: 60_000, factor: 1 },
      signal: stop.signal,
      onRetry: () => stop.abort(new Error('worker shutting down')),
    });
    await expect(run).rejects.toThrow('worker shutting down');
    expect(calls()).toBe(1);
  });
});

describe('isHostNotUp', () => {
  it('when no one answers or not in time, then the host is not up; a refusal or a crash is something else', () => {
    expect(isHostNotUp(noResponders())).toBe(true);
    expect(isHostNotUp(new CodedError(ErrorCode.Timeout, 'No answer'))).toBe(true);
    expect(isHostNotUp(new CodedError(ErrorCode.NotFound, 'x'))).toBe(false);
    expect(isHostNotUp(new Error('ECONNREFUSED'))).toBe(false);
  });
});

describe('untilServiceAnswers', () => {
  const log = () => {
    const lines: string[] = [];
    return { lines, log: { warn: (_o: unknown, msg: string) => lines.push(msg) } as never };
  };

  it('when the service comes up after a few refusals, then the call succeeds and each retry is logged with what was asked', async () => {
    const { op, calls } = failingFirst([noResponders(), new CodedError(ErrorCode.Timeout, 'No answer')]);
    const { lines, log: logger } = log();
    await expect(untilServiceAnswers(op, { what: 'scheduling volume v', log: logger })).resolves.toBe('done');
    expect(calls()).toBe(3);
    expect(lines).toEqual(['scheduling volume v: not answered; asking again', 'scheduling volume v: not answered; asking again']);
  });

  it('when the service stays away past the bound, then the last failure is thrown; a refusal is thrown at once', async () => {
    const away = failingFirst(Array.from({ length: 1_000 }, noResponders));
    await expect(untilServiceAnswers(away.op, { what: 'x', log: log().log, boundMs: 300 })).rejects.toMatchObject({ code: ErrorCode.Unavailable });
    expect(away.calls()).toBeLessThan(5);
    const refused = failingFirst([new CodedError(ErrorCode.InvalidVolume, 'no')]);
    await expect(untilServiceAnswers(refused.op, { what: 'x', log: log().log })).rejects.toMatchObject({ code: ErrorCode.InvalidVolume });
    expect(refused.calls()).toBe(1);
  });
});
