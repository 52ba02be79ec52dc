import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { LOGGER } from '@volume/platform';

/**
 * The calls volume-api makes after it answered (a create or a migration asked of a scheduler that
 * is restarting, a delete asked of a worker), each retried for up to a minute. At shutdown they stop
 * waiting at once (`signal`), and what each does when it gives up (end the create, the migration)
 * lands before the database pool closes: a SIGTERM is never held up by a peer that is away.
 */
@Injectable()
export class BackgroundCalls implements BeforeApplicationShutdown {
  private readonly stopping = new AbortController();
  private readonly running = new Set<Promise<unknown>>();

  constructor(@Inject(LOGGER) private readonly log: Logger) {}

  /** Aborted when volume-api stops: for the retries' waits. */
  get signal(): AbortSignal {
    return this.stopping.signal;
  }

  /** `work`, which must not reject, awaited at shutdown. */
  run(work: Promise<void>): void {
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.running.size > 0) this.log.info({ calls: this.running.size }, 'stopping the retries of calls still unanswered');
    this.stopping.abort(new Error('volume-api is stopping'));
    await Promise.allSettled([...this.running]);
  }
}
