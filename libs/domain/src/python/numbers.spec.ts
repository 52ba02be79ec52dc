import { parsePyFloat, pyFloat, pyRound2 } from './numbers';

describe('parsePyFloat accepts what float(str) accepts', () => {
  it.each([
    ['1.5', 1.5],
    [' 1e3 ', 1000],
    ['.5', 0.5],
    ['5.', 5],
    ['-Infinity', -Infinity],
    ['inf', Infinity],
  ])('%j is %d', (text, value) => {
    expect(parsePyFloat(text)).toBe(value);
  });

  it('reads nan', () => {
    expect(parsePyFloat('NaN')).toBeNaN();
  });

  it.each(['', '.', 'e3', '1e', 'one'])('%j is refused', (text) => {
    expect(parsePyFloat(text)).toBeUndefined();
  });
});

describe('pyFloat converts JSON values as float() does', () => {
  it('keeps numbers and turns booleans into 0 and 1', () => {
    expect(pyFloat(1.9)).toBe(1.9);
    expect(pyFloat(true)).toBe(1);
    expect(pyFloat(false)).toBe(0);
  });

  it('refuses null, lists and objects', () => {
    expect(pyFloat(null)).toBeUndefined();
    expect(pyFloat([1])).toBeUndefined();
    expect(pyFloat({})).toBeUndefined();
  });
});

describe('pyRound2 rounds like Python round(x, 2)', () => {
  it('rounds the exact binary value, so 2.675 (really 2.67499...) goes down', () => {
    expect(pyRound2(2.675)).toBe(2.67);
  });

  it('rounds exact ties to even', () => {
    expect(pyRound2(0.125)).toBe(0.12);
    expect(pyRound2(0.375)).toBe(0.38);
  });

  it('rounds ordinary values to the nearest hundredth, negatives included', () => {
    expect(pyRound2(0.999)).toBe(1);
    expect(pyRound2(-1.006)).toBe(-1.01);
    expect(pyRound2(42)).toBe(42);
  });
});
