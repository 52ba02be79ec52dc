import { operationWeights } from './actor';
import { SeededRandom } from './seeded-random';
import { SoakModel } from './soak-model';

const draws = (rng: SeededRandom) => Array.from({ length: 20 }, () => rng.int(0, 1_000_000));

describe('seeded random streams', () => {
  it('when a seed is replayed, then each stream draws the same sequence', () => {
    expect(draws(SeededRandom.stream(42, 3))).toEqual(draws(SeededRandom.stream(42, 3)));
  });

  it('when streams or seeds differ, then so do their sequences', () => {
    expect(draws(SeededRandom.stream(42, 1))).not.toEqual(draws(SeededRandom.stream(42, 2)));
    expect(draws(SeededRandom.stream(42, 1))).not.toEqual(draws(SeededRandom.stream(43, 1)));
  });

  it('when drawing with weights, then a key of weight 0 never comes and every positive one does', () => {
    const rng = new SeededRandom(7);
    const seen = new Set(Array.from({ length: 500 }, () => rng.weighted({ a: 1, b: 0, c: 3 })));
    expect(seen).toEqual(new Set(['a', 'c']));
    expect(rng.weighted({ a: 0 })).toBeNull();
  });
});

describe('what an actor may choose', () => {
  it('when there is no volume, then only creating is possible', () => {
    const w = operationWeights(new SoakModel(), 8);
    expect(Object.entries(w).filter(([, n]) => (n ?? 0) > 0)).toEqual([['create', 6]]);
  });

  it('when the population is full, then nothing is created; a failed volume is deleted first', () => {
    const model = new SoakModel();
    for (let i = 0; i < 3; i++) {
      const v = model.add(`v${i}`);
      v.busy = false;
      v.state = i === 0 ? 'error' : 'available';
    }
    const w = operationWeights(model, 3);
    expect(w.create).toBe(0);
    expect(w.delete).toBe(3);
    expect(w['migrate-attached']).toBe(0);
  });
});
