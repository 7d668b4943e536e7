// The fuzzer's only source of randomness: a seeded PRNG per case, derived from (run seed, case
// number) alone, so that `npm run fuzz -- --seed S --case K` rebuilds case K exactly, whatever
// ran before it and in whichever worker.

/** mulberry32, with the helpers the fuzzer draws from. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  u32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [min, max] (integers, max - min < 2^32). */
  int(min: number, max: number): number {
    return min + (this.u32() % (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.u32() < probability * 0x1_0000_0000;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[this.int(0, items.length - 1)];
  }

  /** An item drawn with the given relative weights. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((sum, [, weight]) => sum + weight, 0);
    let draw = (this.u32() / 0x1_0000_0000) * total;
    for (const [item, weight] of items) {
      if (draw < weight) return item;
      draw -= weight;
    }
    return items[items.length - 1][0];
  }

  /** A uniformly random value of `bytes` bytes. */
  bits(bytes: number): bigint {
    let value = 0n;
    for (let i = 0; i < bytes; i += 4) value |= BigInt(this.u32()) << BigInt(8 * i);
    return value & ((1n << BigInt(8 * bytes)) - 1n);
  }
}

/** The seed of case `caseNumber` of a run seeded `seed` (a 32-bit mix of both). */
export function caseSeed(seed: number, caseNumber: number): number {
  let h = (seed ^ Math.imul(caseNumber + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
