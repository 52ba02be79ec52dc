import { Batcher } from './batcher';

/** A batcher whose runs are recorded, each held until the test lets it finish. */
function recording(maxBatch?: number) {
  const runs: { inputs: number[]; finish: (err?: Error) => void }[] = [];
  const batcher = new Batcher<number, string>(
    (inputs) =>
      new Promise((resolve, reject) => {
        runs.push({ inputs, finish: (err) => (err ? reject(err) : resolve(inputs.map((i) => `out-${i}`))) });
      }),
    maxBatch,
  );
  return { batcher, runs };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('Batcher', () => {
  it('when calls arrive in one turn of the event loop, then one run takes them all and each gets its own outcome', async () => {
    const { batcher, runs } = recording();
    const outs = [1, 2, 3].map((i) => batcher.submit(i));
    await turn();
    expect(runs.map((r) => r.inputs)).toEqual([[1, 2, 3]]);
    runs[0].finish();
    expect(await Promise.all(outs)).toEqual(['out-1', 'out-2', 'out-3']);
  });

  it('when a call arrives while a run is under way, then it waits for the next run, never joins the one already sent', async () => {
    const { batcher, runs } = recording();
    const first = batcher.submit(1);
    await turn();
    const late = [batcher.submit(2), batcher.submit(3)];
    await turn();
    expect(runs.map((r) => r.inputs)).toEqual([[1]]);
    runs[0].finish();
    await first;
    await turn();
    expect(runs.map((r) => r.inputs)).toEqual([[1], [2, 3]]);
    runs[1].finish();
    expect(await Promise.all(late)).toEqual(['out-2', 'out-3']);
  });

  it('when a run fails, then only its calls are rejected, and the next run goes on', async () => {
    const { batcher, runs } = recording();
    const failed = batcher.submit(1);
    await turn();
    const next = batcher.submit(2);
    runs[0].finish(new Error('database away'));
    await expect(failed).rejects.toThrow('database away');
    await turn();
    runs[1].finish();
    expect(await next).toBe('out-2');
  });

  it('when more calls wait than a run takes, then they go in runs of at most maxBatch, in order', async () => {
    const { batcher, runs } = recording(2);
    const outs = [1, 2, 3, 4, 5].map((i) => batcher.submit(i));
    for (let i = 0; i < 3; i++) {
      await turn();
      runs[i].finish();
    }
    expect({ runs: runs.map((r) => r.inputs), outs: await Promise.all(outs) }).toEqual({
      runs: [[1, 2], [3, 4], [5]],
      outs: ['out-1', 'out-2', 'out-3', 'out-4', 'out-5'],
    });
  });
});
