import { ErrorCode } from '@volume/domain';
import { refusal } from '@volume/domain/testing';
import { parseVolumeListQuery } from './list-params';

const admin = { isAdmin: true };
const member = { isAdmin: false };
const badRequest = (message: string): ReturnType<typeof refusal> => refusal(ErrorCode.BadRequest, message);

describe('parseVolumeListQuery defaults', () => {
  it('lists 1000 newest first, ties broken by id, for the caller\'s project only', () => {
    expect(parseVolumeListQuery({}, '3.70', member)).toEqual({
      limit: 1000,
      marker: null,
      offset: 0,
      sortKeys: ['created_at', 'id'],
      sortDirs: ['desc', 'desc'],
      withCount: false,
      allTenants: false,
      excludeMigrationTargets: true,
      filters: {},
    });
  });

  it('shows migration targets to admins', () => {
    expect(parseVolumeListQuery({}, '3.70', admin).excludeMigrationTargets).toBe(false);
  });
});

describe('pagination', () => {
  it('caps the limit at the maximum and accepts zero', () => {
    expect(parseVolumeListQuery({ limit: '5000' }, '3.70', member).limit).toBe(1000);
    expect(parseVolumeListQuery({ limit: '10' }, '3.70', member, { maxLimit: 5 }).limit).toBe(5);
    expect(parseVolumeListQuery({ limit: '0' }, '3.70', member).limit).toBe(0);
  });

  it('refuses a non-integer or negative limit', () => {
    expect(() => parseVolumeListQuery({ limit: 'abc' }, '3.70', member)).toThrow(badRequest('limit param must be an integer'));
    expect(() => parseVolumeListQuery({ limit: '1.5' }, '3.70', member)).toThrow(badRequest('limit param must be an integer'));
    expect(() => parseVolumeListQuery({ limit: '-1' }, '3.70', member)).toThrow(badRequest('limit param must be positive'));
  });

  it('reads Python integers, surrounding spaces included', () => {
    expect(parseVolumeListQuery({ limit: ' 7 ', offset: '+3' }, '3.70', member)).toMatchObject({ limit: 7, offset: 3 });
  });

  it('validates the offset as Cinder validate_integer does', () => {
    expect(() => parseVolumeListQuery({ offset: 'x' }, '3.70', member)).toThrow(badRequest('offset must be an integer.'));
    expect(() => parseVolumeListQuery({ offset: '-1' }, '3.70', member)).toThrow(badRequest('offset must be >= 0'));
    expect(() => parseVolumeListQuery({ offset: '2147483648' }, '3.70', member)).toThrow(
      badRequest('offset must be <= 2147483647'),
    );
  });

  it('passes the marker through', () => {
    expect(parseVolumeListQuery({ marker: 'v1' }, '3.70', member).marker).toBe('v1');
  });

  it('checks the limit before the offset', () => {
    expect(() => parseVolumeListQuery({ offset: 'x', limit: 'y' }, '3.70', member)).toThrow(
      badRequest('limit param must be an integer'),
    );
  });
});

describe('sorting', () => {
  it('maps name to display_name and appends created_at and id in the first direction', () => {
    expect(parseVolumeListQuery({ sort: 'name:asc,size' }, '3.70', member)).toMatchObject({
      sortKeys: ['display_name', 'size', 'created_at', 'id'],
      sortDirs: ['asc', 'desc', 'asc', 'asc'],
    });
  });

  it('accepts the deprecated sort_key and sort_dir', () => {
    expect(parseVolumeListQuery({ sort_key: 'size', sort_dir: 'asc' }, '3.70', member)).toMatchObject({
      sortKeys: ['size', 'created_at', 'id'],
      sortDirs: ['asc', 'asc', 'asc'],
    });
  });

  it('does not repeat a default key the client already sorts on', () => {
    expect(parseVolumeListQuery({ sort: 'id:asc' }, '3.70', member).sortKeys).toEqual(['id', 'created_at']);
  });

  it('refuses mixing sort with sort_key or sort_dir', () => {
    expect(() => parseVolumeListQuery({ sort: 'name', sort_dir: 'asc' }, '3.70', member)).toThrow(
      badRequest("The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the 'sort' parameter."),
    );
  });

  it('refuses an unknown direction, case-sensitively', () => {
    expect(() => parseVolumeListQuery({ sort: 'name:up' }, '3.70', member)).toThrow(
      badRequest("Invalid input received: Unknown sort direction, must be 'desc' or 'asc'."),
    );
    expect(() => parseVolumeListQuery({ sort_dir: 'ASC' }, '3.70', member)).toThrow(
      badRequest("Invalid input received: Unknown sort direction, must be 'desc' or 'asc'."),
    );
  });

  it('refuses a key that is no volume column', () => {
    expect(() => parseVolumeListQuery({ sort: 'bogus' }, '3.70', member)).toThrow(
      badRequest('Invalid input received: Invalid sort key'),
    );
  });
});

describe('with_count', () => {
  it('is read from 3.45', () => {
    expect(parseVolumeListQuery({ with_count: 'true' }, '3.45', member).withCount).toBe(true);
    expect(() => parseVolumeListQuery({ with_count: 'maybe' }, '3.45', member)).toThrow(
      badRequest("Value 'maybe' for 'with_count' is not a boolean."),
    );
  });

  it('is an ordinary, non-whitelisted filter below 3.45', () => {
    expect(() => parseVolumeListQuery({ with_count: 'true' }, '3.44', member)).toThrow(
      badRequest('Invalid filters with_count are found in query options.'),
    );
  });
});

describe('filters', () => {
  it('refuse non-whitelisted filters of non-admins from 3.31, listing them comma-joined', () => {
    expect(() => parseVolumeListQuery({ host: 'h', status: 'available', foo: 'x' }, '3.31', member)).toThrow(
      badRequest('Invalid filters host,foo are found in query options.'),
    );
  });

  it('are silently dropped for non-admins before 3.31', () => {
    expect(parseVolumeListQuery({ host: 'h', status: 'available' }, '3.30', member).filters).toEqual({ status: 'available' });
  });

  it('are all allowed for admins, name becoming display_name', () => {
    expect(parseVolumeListQuery({ host: 'h', name: 'v' }, '3.70', admin).filters).toEqual({ host: 'h', display_name: 'v' });
  });

  it('admit like filters where the whitelist has key~, and rename them for the database', () => {
    const options = { allowedFilters: ['name~'] };
    expect(parseVolumeListQuery({ 'name~': 'vo' }, '3.34', member, options).filters).toEqual({ 'display_name~': 'vo' });
    expect(parseVolumeListQuery({ name: 'vol' }, '3.34', member, options).filters).toEqual({ display_name: 'vol' });
    expect(() => parseVolumeListQuery({ name: 'vol' }, '3.33', member, options)).toThrow(
      badRequest('Invalid filters name are found in query options.'),
    );
  });

  it('turn consumes_quota into a boolean use_quota', () => {
    expect(parseVolumeListQuery({ consumes_quota: 'false' }, '3.65', member).filters).toEqual({ use_quota: false });
  });

  it('drop filters older microversions did not know, before 3.31', () => {
    expect(parseVolumeListQuery({ group_id: 'g', glance_metadata: 'x' }, '3.3', admin).filters).toEqual({});
    expect(parseVolumeListQuery({ group_id: 'g' }, '3.10', admin).filters).toEqual({ group_id: 'g' });
  });

  it('refuse non-ASCII filter names from 3.31, admins included', () => {
    expect(() => parseVolumeListQuery({ 'nämé': 'x' }, '3.31', admin)).toThrow(
      badRequest('Filter keys can only contain ASCII characters.'),
    );
  });

  it('are checked before sort keys', () => {
    expect(() => parseVolumeListQuery({ host: 'h', sort: 'bogus' }, '3.70', member)).toThrow(
      badRequest('Invalid filters host are found in query options.'),
    );
  });
});

describe('all_tenants', () => {
  it('widens the list for admins', () => {
    const query = parseVolumeListQuery({ all_tenants: '1' }, '3.70', admin);
    expect(query.allTenants).toBe(true);
    expect(query.filters).toEqual({});
  });

  it('is never an invalid filter but does nothing for non-admins', () => {
    const query = parseVolumeListQuery({ all_tenants: 'true' }, '3.70', member);
    expect(query.allTenants).toBe(false);
    expect(query.filters).toEqual({});
  });

  it('must be boolean-ish', () => {
    expect(() => parseVolumeListQuery({ all_tenants: 'maybe' }, '3.70', admin)).toThrow(
      badRequest("Value 'maybe' for 'all_tenants' is not a boolean."),
    );
  });
});
