import { isLoopbackAddress } from './listen-address';

describe('isLoopbackAddress', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST'])('when the address is %s, then it stays on this machine', (host) => {
    expect(isLoopbackAddress(host)).toBe(true);
  });

  it.each(['0.0.0.0', '::', '10.0.0.5', '128.0.0.1', '::ffff:10.0.0.1', 'fe80::1', 'volume-api', 'localhost.example.com', ''])(
    'when the address is %j, then other machines may reach it',
    (host) => {
      expect(isLoopbackAddress(host)).toBe(false);
    },
  );
});
