import { parsePyFloat, parsePyInt, pyFloat, pyInt, pyRound2 } from './numbers';

describe('parsePyInt accepts what int(str) accepts', () => {
  it.each([
    ['5', 5],
    [' +5 ', 5],
    ['-3', -3],
    ['1_000', 1000],
    ['007', 7],
  ])('%j is %d', (text, value) => {
    expect(parsePyInt(text)).toBe(value);
  });

  it.each(['', '1.5', '1e3', '0x1f', '1__0', '_1', 'abc'])('%j is refused', (text) => {
    expect(parsePyInt(text)).toBeUndefined();
  });
});

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

describe('pyInt and pyFloat convert JSON values as int() and float() do', () => {
  it('truncates floats and turns booleans into 0 and 1', () => {
    expect(pyInt(1.9)).toBe(1);
    expect(pyInt(true)).toBe(1);
    expect(pyFloat(false)).toBe(0);
  });

  it('refuses null, lists and objects', () => {
    expect(pyInt(null)).toBeUndefined();
    expect(pyFloat([1])).toBeUndefined();
    expect(pyInt({})).toBeUndefined();
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
