import { ErrorCode } from '@volume/domain';
import { refusal } from '@volume/domain/testing';
import { checkStringLength } from './check-string-length';

describe('checkStringLength is Cinder utils.check_string_length', () => {
  it('reports too short and too long in code points', () => {
    expect(() => checkStringLength('', 'Metadata key: ', 1)).toThrow(
      refusal(ErrorCode.BadRequest, 'Invalid input received: Metadata key:  has 0 characters, less than 1.'),
    );
    expect(() => checkStringLength('abc', 'name', 0, 2)).toThrow(
      refusal(ErrorCode.BadRequest, 'Invalid input received: name has 3 characters, more than 2.'),
    );
    expect(() => checkStringLength('\u{1F600}\u{1F600}', 'name', 0, 2)).not.toThrow();
  });

  it('refuses non-strings', () => {
    expect(() => checkStringLength(5, 'name')).toThrow(
      refusal(ErrorCode.BadRequest, 'Invalid input received: name is not a string or unicode'),
    );
  });
});
