/**
 * Runs calls in batches: the calls that arrive while a batch runs go together in the next one, so
 * that under a burst a statement's round trip (and a write's locks and commit) is paid once a
 * batch, not once a call (a burst of 200 creates had queued on the project's quota usage one
 * transaction after another, and taken every connection of the pool meanwhile). A call alone waits
 * for one turn of the event loop, no more. One batch at a time per instance: it holds one connection.
 */
export class Batcher<In, Out> {
  private readonly waiting: { input: In; resolve: (out: Out) => void; reject: (err: unknown) => void }[] = [];
  private draining = false;

  /**
   * @param run runs a batch and answers one outcome per input, in their order; a rejection
   *   rejects every call of the batch.
   * @param maxBatch the most calls one batch takes; more wait for the next.
   */
  constructor(
    private readonly run: (inputs: In[]) => Promise<Out[]>,
    private readonly maxBatch = 100,
  ) {}

  submit(input: In): Promise<Out> {
    const outcome = new Promise<Out>((resolve, reject) => this.waiting.push({ input, resolve, reject }));
    void this.drain();
    return outcome;
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      // The calls of this turn of the event loop (a burst's requests parsed together) go in one batch.
      await new Promise((resolve) => setImmediate(resolve));
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.maxBatch);
        try {
          const outs = await this.run(batch.map((w) => w.input));
          batch.forEach((w, i) => w.resolve(outs[i]));
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
