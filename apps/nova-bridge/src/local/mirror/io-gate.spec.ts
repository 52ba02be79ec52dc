import { IoGate } from './io-gate';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('IoGate', () => {
  it('when draining, then the drain waits for the operations inside, and new ones wait for the undrain', async () => {
    const gate = new IoGate();
    const inside = deferred();
    const log: string[] = [];
    const first = gate.run(async () => {
      await inside.promise;
      log.push('first done');
    });
    const drained = gate.drain().then(() => log.push('drained'));
    const second = gate.run(async () => {
      log.push('second ran');
    });
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual([]);
    inside.resolve();
    await Promise.all([first, drained]);
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['first done', 'drained']);
    gate.undrain();
    await second;
    expect(log).toEqual(['first done', 'drained', 'second ran']);
  });

  it('when drains nest, then the gate opens only after the last undrain', async () => {
    const gate = new IoGate();
    await gate.drain();
    await gate.drain();
    let ran = false;
    const op = gate.run(async () => {
      ran = true;
    });
    gate.undrain();
    await new Promise((r) => setImmediate(r));
    expect(ran).toBe(false);
    gate.undrain();
    await op;
    expect(ran).toBe(true);
    expect(() => gate.undrain()).toThrow();
  });
});
