import { pyLen } from './strings';

describe('Python string length', () => {
  it('pyLen counts code points, so an emoji is one character', () => {
    expect(pyLen('\u{1F600}a')).toBe(2);
  });
});
