import { ErrorCode } from '../errors';
import { refusal } from '../../test/refusal';
import { boolFromString, parseBoolish } from './strutils';

describe('parseBoolish is oslo bool_from_string(strict=True)', () => {
  it.each([true, 'True', 'yes', ' on ', '1', 't', 'Y', 1])('%j is true', (value) => {
    expect(parseBoolish(value)).toBe(true);
  });

  it.each([false, 'False', 'no', 'off', '0', 'f', 'N', 0])('%j is false', (value) => {
    expect(parseBoolish(value)).toBe(false);
  });

  it('refuses anything else with oslo\'s message listing the sorted spellings', () => {
    expect(() => parseBoolish('maybe')).toThrow(
      refusal(
        ErrorCode.BadRequest,
        "Unrecognized value 'maybe', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'",
      ),
    );
  });
});

describe('boolFromString is the lenient form', () => {
  it('falls back to the default for unknown spellings', () => {
    expect(boolFromString('maybe')).toBe(false);
    expect(boolFromString('maybe', true)).toBe(true);
    expect(boolFromString(null)).toBe(false);
  });
});
