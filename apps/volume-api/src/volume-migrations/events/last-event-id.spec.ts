import { parseLastEventId } from './last-event-id';

describe('Last-Event-ID', () => {
  it.each([
    ['42', 42],
    [' 42 ', 42],
    ['0', 0],
    [['7', '7'], 7],
  ] as const)('when it is %j, then the stream resumes after %d', (raw, id) => {
    expect(parseLastEventId(raw as string | string[])).toBe(id);
  });

  it.each([undefined, '', 'abc', '-1', '4.2', '1e3', '99999999999999999', ['1', '2']])('when it is %j, then there is none (the stream starts afresh)', (raw) => {
    expect(parseLastEventId(raw as string | string[] | undefined)).toBeNull();
  });
});
