import { pyFloatRepr, pyRepr, pyStr } from './repr';

describe('pyRepr prints JSON values as Python repr() prints the parsed objects', () => {
  it.each([
    [null, 'None'],
    [true, 'True'],
    [false, 'False'],
    [0, '0'],
    [-1, '-1'],
    [1.5, '1.5'],
    [{}, '{}'],
    [[], '[]'],
    ['maybe', "'maybe'"],
    [{ size: 1, bogus: 1 }, "{'size': 1, 'bogus': 1}"],
    [{ abc: { x: [1, null, true] } }, "{'abc': {'x': [1, None, True]}}"],
  ])('%j prints as %s', (value, printed) => {
    expect(pyRepr(value)).toBe(printed);
  });

  it('uses double quotes for a string with a single quote and no double quote', () => {
    expect(pyRepr("it's")).toBe('"it\'s"');
  });

  it('escapes the quote in a string that has both kinds of quotes', () => {
    expect(pyRepr('a\'b"c')).toBe("'a\\'b\"c'");
  });

  it('escapes backslashes, control characters and non-printable code points but keeps printable Unicode', () => {
    expect(pyRepr('x\u0001\té\u{1F600}\\\u00a0\u200b')).toBe("'x\\x01\\té\u{1F600}\\\\\\xa0\\u200b'");
  });
});

describe('pyFloatRepr follows Python float repr', () => {
  it.each([
    [1e16, '1e+16'],
    [1.5e-5, '1.5e-05'],
    [0.0001, '0.0001'],
    [123, '123.0'],
    [-0, '-0.0'],
    [1e22, '1e+22'],
    [12345678901234567, '1.2345678901234568e+16'],
    [Infinity, 'inf'],
    [NaN, 'nan'],
  ])('%d prints as %s', (value, printed) => {
    expect(pyFloatRepr(value)).toBe(printed);
  });

  it('prints integral JSON numbers beyond 1e16 as floats, since a double no longer holds them exactly', () => {
    expect(pyRepr(1e20)).toBe('1e+20');
  });
});

describe('pyStr', () => {
  it('pyStr prints strings bare and anything else as repr', () => {
    expect(pyStr('abc')).toBe('abc');
    expect(pyStr({})).toBe('{}');
    expect(pyStr(null)).toBe('None');
  });
});
