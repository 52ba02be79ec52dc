import { RandomGenerator, unsafeUniformIntDistribution, xoroshiro128plus } from 'pure-rand';

/**
 * One stream of random choices from pure-rand's xoroshiro128+. Each actor and the fault injector
 * draw from a stream of their own (`SeededRandom.stream(seed, n)`), so that one's choices do not
 * depend on how many the others made meanwhile: a seed replays each stream's sequence.
 */
export class SeededRandom {
  private readonly rng: RandomGenerator;

  constructor(seed: number) {
    this.rng = xoroshiro128plus(seed);
  }

  /** Stream `n` of a run's seed. */
  static stream(seed: number, n: number): SeededRandom {
    // Distinct 32-bit seeds per stream; xoroshiro's own seeding spreads them.
    return new SeededRandom((seed ^ Math.imul(n + 1, 0x9e3779b1)) | 0);
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return unsafeUniformIntDistribution(min, max, this.rng);
  }

  /** A number in [min, max), in steps of a thousandth of the range. */
  between(min: number, max: number): number {
    return min + ((max - min) * this.int(0, 999)) / 1000;
  }

  chance(probability: number): boolean {
    return this.int(0, 9999) < probability * 10_000;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(0, items.length - 1)];
  }

  /** A key drawn with the given weights (only positive weights count); null when none is positive. */
  weighted<K extends string>(weights: Partial<Record<K, number>>): K | null {
    const entries = (Object.entries(weights) as [K, number][]).filter(([, w]) => w > 0);
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    if (total === 0) return null;
    let at = this.between(0, total);
    for (const [key, w] of entries) {
      if (at < w) return key;
      at -= w;
    }
    return entries[entries.length - 1][0];
  }
}
