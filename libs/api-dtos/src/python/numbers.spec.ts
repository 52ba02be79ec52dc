import { parsePyInt, pyInt } from './numbers';

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

describe('pyInt converts JSON values as int() does', () => {
  it('truncates floats and turns booleans into 0 and 1', () => {
    expect(pyInt(1.9)).toBe(1);
    expect(pyInt(true)).toBe(1);
    expect(pyInt(false)).toBe(0);
  });

  it('refuses null, lists and objects', () => {
    expect(pyInt(null)).toBeUndefined();
    expect(pyInt([1])).toBeUndefined();
    expect(pyInt({})).toBeUndefined();
  });
});
