import { GIB, ProgressTracker } from '@volume/domain';
import { resumedProcessed } from './copy-recorder';

const MiB = 1024 * 1024;
const percentOnResume = (processedBytes: number | null, volumePercent: string | null, startOffset: number, size: number) =>
  new ProgressTracker(size, resumedProcessed({ processedBytes }, volumePercent, startOffset, size)).percent;

describe('resumedProcessed: where a restarted copy’s progress starts', () => {
  it('when only the volume’s percent survived, then the copy resumes showing that percent for every percent and size, never one less', () => {
    for (const size of [GIB, 3 * GIB, 10 * GIB + 512 * MiB]) {
      for (let p = 0; p <= 99; p++) expect({ size, p, shown: percentOnResume(null, String(p), 0, size) }).toEqual({ size, p, shown: String(p) });
    }
  });

  it('when the row kept the bytes processed with the percent, then the copy resumes from them, ahead of its durable checkpoint', () => {
    expect(resumedProcessed({ processedBytes: 70 * MiB }, '6', 58 * MiB, GIB)).toBe(70 * MiB);
  });

  it('when the checkpoint is ahead of everything shown, then it is where the progress starts', () => {
    expect(resumedProcessed({ processedBytes: 10 * MiB }, '0', 20 * MiB, GIB)).toBe(20 * MiB);
  });

  it('when the volume shows 100 or nonsense, then the progress starts below the end or at the checkpoint', () => {
    expect(resumedProcessed({ processedBytes: null }, '100', 0, GIB)).toBe(GIB - 1);
    expect(resumedProcessed({ processedBytes: null }, 'n/a', 5, GIB)).toBe(5);
  });
});
