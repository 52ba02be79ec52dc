import { CodedError, ErrorCode } from '@volume/contracts';
import { ApiVersion, getPriorVersion, POOL_FILTER, POOL_TYPE_FILTER, RESOURCE_FILTER } from '@volume/microversion';
import { capabilityEquals, parsePoolQuery } from './pool-query';

const at = (v: string) => ApiVersion.parse(v);

function refusal(parse: () => unknown): string {
  try {
    parse();
  } catch (err) {
    expect((err as CodedError).code).toBe(ErrorCode.BadRequest);
    return (err as CodedError).message;
  }
  throw new Error('expected a 400');
}

describe('get_pools query', () => {
  it('when detail is absent, then the summary is asked for', () => {
    expect(parsePoolQuery({}, at('3.0'))).toEqual({ detail: false, capabilities: {} });
  });

  it('when detail is a boolean spelling, then it is read as such', () => {
    expect(parsePoolQuery({ detail: 'true' }, at('3.0')).detail).toBe(true);
    expect(parsePoolQuery({ detail: '1' }, at('3.0')).detail).toBe(true);
    expect(parsePoolQuery({ detail: 'no' }, at('3.0')).detail).toBe(false);
  });

  it('when detail is not a boolean, then it is refused', () => {
    expect(refusal(() => parsePoolQuery({ detail: 'maybe' }, at('3.0')))).toBe("Value 'maybe' for 'detail' is not a boolean.");
  });

  it('when detail is repeated, then the last value counts', () => {
    expect(parsePoolQuery({ detail: ['false', 'true'] }, at('3.0')).detail).toBe(true);
  });

  it('when filters are given before 3.28, then they are ignored', () => {
    expect(parsePoolQuery({ name: 'host-a@file#pool1', foo: 'x' }, at(getPriorVersion(POOL_FILTER)))).toEqual({
      detail: false,
      capabilities: {},
    });
  });

  it('when filters are given at 3.28, then name filters and any other key filters on capabilities', () => {
    expect(parsePoolQuery({ name: 'host-a@file#pool1', storage_protocol: 'file' }, at(POOL_FILTER))).toEqual({
      detail: false,
      name: 'host-a@file#pool1',
      volumeType: undefined,
      capabilities: { storage_protocol: 'file' },
    });
  });

  it('when an unknown filter is given from 3.31, then it is refused', () => {
    expect(refusal(() => parsePoolQuery({ foo: 'x', bar: 'y', name: 'n' }, at(RESOURCE_FILTER)))).toBe(
      'Invalid filters foo,bar are found in query options.',
    );
  });

  it('when a filter key is not ASCII from 3.31, then it is refused as such', () => {
    expect(refusal(() => parsePoolQuery({ 'näme': 'x' }, at(RESOURCE_FILTER)))).toBe('Filter keys can only contain ASCII characters.');
  });

  it('when all_tenants is given from 3.31, then it is tolerated (and filters as a capability nobody reports)', () => {
    expect(parsePoolQuery({ all_tenants: '1' }, at(RESOURCE_FILTER)).capabilities).toEqual({ all_tenants: '1' });
  });

  it('when volume_type is given, then it counts from 3.35 only', () => {
    expect(parsePoolQuery({ volume_type: 'gold' }, at(POOL_TYPE_FILTER)).volumeType).toBe('gold');
    expect(parsePoolQuery({ volume_type: 'gold' }, at(getPriorVersion(POOL_TYPE_FILTER))).volumeType).toBeUndefined();
  });

  it('when name or volume_type is empty, then it does not filter', () => {
    const query = parsePoolQuery({ name: '', volume_type: '' }, at(POOL_TYPE_FILTER));
    expect(query.name).toBeUndefined();
    expect(query.volumeType).toBeUndefined();
  });
});

describe('capability filter comparison', () => {
  it('when the capability is a string, then it must be equal', () => {
    expect(capabilityEquals('file', 'file')).toBe(true);
    expect(capabilityEquals('file', 'iSCSI')).toBe(false);
  });

  it('when the capability is a boolean, then the value is read with bool_from_string', () => {
    expect(capabilityEquals(true, 'True')).toBe(true);
    expect(capabilityEquals(false, 'maybe')).toBe(true);
    expect(capabilityEquals(true, 'no')).toBe(false);
  });

  it('when the capability is a number, then Python str() of it must equal the value', () => {
    expect(capabilityEquals(20, '20')).toBe(true);
    expect(capabilityEquals(0.5, '0.5')).toBe(true);
    expect(capabilityEquals(20, '20.0')).toBe(false);
  });

  it('when the pool does not report the capability, then it never matches', () => {
    expect(capabilityEquals(undefined, 'x')).toBe(false);
    expect(capabilityEquals(null, 'None')).toBe(false);
  });
});
