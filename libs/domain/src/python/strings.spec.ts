import { pySplit, pyStrip, pyTruthy } from './strings';

describe('Python string semantics', () => {
  it('pyStrip removes the whitespace Python strips, which includes \\x1c-\\x1f and \\x85 but not \\ufeff', () => {
    expect(pyStrip(' \t\x1c\x85name\u3000\n')).toBe('name');
    expect(pyStrip('\ufeffname')).toBe('\ufeffname');
  });

  it('pySplit splits on whitespace runs and drops empty words', () => {
    expect(pySplit('  <or>  a\tb ')).toEqual(['<or>', 'a', 'b']);
  });

  it.each([null, false, 0, '', [], {}])('%j is falsy', (value) => {
    expect(pyTruthy(value)).toBe(false);
  });

  it.each([true, 1, 'False', [0], { a: null }])('%j is truthy', (value) => {
    expect(pyTruthy(value)).toBe(true);
  });
});
