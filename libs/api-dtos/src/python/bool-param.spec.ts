import { ErrorCode } from '@volume/domain';
import { refusal } from '@volume/domain/testing';
import { getBoolParam } from './bool-param';

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
