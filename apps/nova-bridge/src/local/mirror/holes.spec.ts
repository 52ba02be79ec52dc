import { changedParts } from './holes';

const G = 4;

describe('changedParts', () => {
  it('when the target already holds the source, then nothing is to write', () => {
    const source = Buffer.from('abcdefghijkl');
    expect(changedParts(100, source, Buffer.from(source), G)).toEqual([]);
  });

  it('when granules differ, then each run of differing granules is one part, at its offset, holding the source', () => {
    const source = Buffer.from('aaaabbbbccccdddd');
    const target = Buffer.from('aaaaXbbbcccXdddd');
    expect(changedParts(100, source, target, G)).toEqual([{ offset: 104, data: Buffer.from('bbbbcccc') }]);
    const apart = Buffer.from('Xaaabbbbccccddd-');
    expect(changedParts(0, source, apart, G)).toEqual([
      { offset: 0, data: Buffer.from('aaaa') },
      { offset: 12, data: Buffer.from('dddd') },
    ]);
  });

  it('when the source is zero where the target holds old data, then the zeroes are written (no hole is trusted)', () => {
    const source = Buffer.alloc(8);
    const target = Buffer.from('\0\0\0\0old!');
    expect(changedParts(0, source, target, G)).toEqual([{ offset: 4, data: Buffer.alloc(4) }]);
  });

  it('when the range ends inside a granule, then its tail is compared too', () => {
    expect(changedParts(0, Buffer.from('aaaabb'), Buffer.from('aaaabX'), G)).toEqual([{ offset: 4, data: Buffer.from('bb') }]);
  });
});
