import pino from 'pino';
import { untilDatabaseAnswers } from './database-retry';

const log = pino({ level: 'silent' });
const fast = { initialMs: 1, maxMs: 2, factor: 2 };

function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
}

describe('untilDatabaseAnswers', () => {
  it('when the database is down for many attempts (an outage of minutes), then the step is retried until it answers', async () => {
    let calls = 0;
    const result = await untilDatabaseAnswers(
      'the row swap',
      async () => {
        if (++calls <= 30) throw refused();
        return 'swapped';
      },
      { log, policy: fast },
    );
    expect([result, calls]).toEqual(['swapped', 31]);
  });

  it('when a step fails for another reason, then it is thrown at once', async () => {
    let calls = 0;
    const step = untilDatabaseAnswers(
      'the row swap',
      async () => {
        calls++;
        throw new Error('duplicate key value violates unique constraint');
      },
      { log, policy: fast },
    );
    await expect(step).rejects.toThrow('duplicate key');
    expect(calls).toBe(1);
  });
});
