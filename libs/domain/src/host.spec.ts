import { ErrorCode } from './errors';
import { appendHost, DEFAULT_POOL_NAME, extractHost } from './host';
import { refusal } from '../test/refusal';

describe('extractHost is Cinder volume_utils.extract_host', () => {
  const host = 'host-a@file#pool1';

  it('extracts each level of host@backend#pool', () => {
    expect(extractHost(host, 'host')).toBe('host-a');
    expect(extractHost(host, 'backend')).toBe('host-a@file');
    expect(extractHost(host)).toBe('host-a@file');
    expect(extractHost(host, 'pool')).toBe('pool1');
  });

  it('has no pool for a backend string unless the default pool is asked for', () => {
    expect(extractHost('host-a@file', 'pool')).toBeNull();
    expect(extractHost('host-a@file', 'pool', true)).toBe(DEFAULT_POOL_NAME);
    expect(extractHost('host-a', 'host')).toBe('host-a');
  });

  it('finds no pool when there is more than one #', () => {
    expect(extractHost('h@b#p#q', 'pool')).toBeNull();
    expect(extractHost('h@b#p#q', 'backend')).toBe('h@b');
  });

  it('refuses a volume without host', () => {
    expect(() => extractHost(null)).toThrow(refusal(ErrorCode.InvalidVolume, 'Invalid volume: volume is not assigned to a host'));
  });
});

describe('appendHost is Cinder volume_utils.append_host', () => {
  it('appends the pool', () => {
    expect(appendHost('host-a@file', 'pool1')).toBe('host-a@file#pool1');
  });

  it('leaves the host alone without a pool or without a host', () => {
    expect(appendHost('host-a@file', null)).toBe('host-a@file');
    expect(appendHost('host-a@file', '')).toBe('host-a@file');
    expect(appendHost('', 'pool1')).toBe('');
  });
});
