import { parsePoolHost } from './pool-host';

describe('parsePoolHost', () => {
  it('when the value is host@backend#pool, then the three parts come back', () => {
    expect(parsePoolHost('host-a@file#pool1')).toEqual({ host: 'host-a', backend: 'file', pool: 'pool1' });
  });

  it.each([null, 'host-a', 'host-a@file', 'host-a#pool1', '@file#pool1', 'host-a@file#', 'a@b@c#d', 'a@b#c#d'])(
    'when the value is %j, then it is not a pool host',
    (value) => {
      expect(parsePoolHost(value)).toBeNull();
    },
  );
});
