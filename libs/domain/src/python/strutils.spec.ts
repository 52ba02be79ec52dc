import { ErrorCode } from '@volume/contracts';
import { refusal } from '../spec-helpers';
import { boolFromString, getBoolParam, parseBoolish } from './strutils';

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

describe('getBoolParam is Cinder utils.get_bool_param', () => {
  it('gives the default when the parameter is absent', () => {
    expect(getBoolParam('with_count', {})).toBe(false);
    expect(getBoolParam('with_count', {}, true)).toBe(true);
  });

  it('parses a present parameter', () => {
    expect(getBoolParam('with_count', { with_count: 'True' })).toBe(true);
  });

  it('refuses a non-boolean with Cinder\'s text', () => {
    expect(() => getBoolParam('all_tenants', { all_tenants: 'maybe' })).toThrow(
      refusal(ErrorCode.BadRequest, "Value 'maybe' for 'all_tenants' is not a boolean."),
    );
  });

  it('refuses surrounding spaces, which is_valid_boolstr does not strip', () => {
    expect(() => getBoolParam('with_count', { with_count: ' true' })).toThrow(
      refusal(ErrorCode.BadRequest, "Value ' true' for 'with_count' is not a boolean."),
    );
  });
});
