// The fuzzer's only source of randomness: a seeded PRNG per case, derived from (run seed, case
// number) alone, so that `npm run fuzz -- --seed S --case K` rebuilds case K exactly, whatever
// ran before it and in whichever worker.
import { Random } from "../writers/random";

/** The writers' PRNG, with the helpers the fuzzer draws from. */
export class Rng extends Random {
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
