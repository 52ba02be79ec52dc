import { UsageError } from '../exit-codes';
import { sizeArgument } from './size-argument';

describe('a size on the command line', () => {
  it('when it is valid, then it is its bytes', () => {
    expect(sizeArgument('64M')).toBe(64 * 1024 ** 2);
  });

  it.each(['fast', '0', '5X'])('when %j is given, then it is a usage error (exit 2) naming it', (text) => {
    expect(() => sizeArgument(text)).toThrow(UsageError);
    expect(() => sizeArgument(text)).toThrow(`invalid size '${text}'`);
  });
});
