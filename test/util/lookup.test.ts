import { AscendingLookup } from "../../src/util/lookup";

/** What lastAtOrBelow must give: the last index whose value is ≤ x, by a plain scan. */
function expected(values: Float64Array, x: number): number {
  let found = -1;
  for (let i = 0; i < values.length; i++) if (values[i] <= x) found = i;
  return found;
}

/** Every value, one below and one above it, and the midpoints between neighbours. */
function probes(values: Float64Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    out.push(values[i] - 1, values[i], values[i] + 1);
    if (i + 1 < values.length) out.push(Math.floor((values[i] + values[i + 1]) / 2));
  }
  return out;
}

function check(values: number[]): void {
  const array = Float64Array.from(values);
  const lookup = new AscendingLookup(array);
  for (const x of probes(array)) {
    const got = lookup.lastAtOrBelow(x);
    if (got !== expected(array, x)) throw new Error(`lastAtOrBelow(0x${x.toString(16)}) is ${got}, expected ${expected(array, x)} in [${values.map((v) => v.toString(16)).join(", ")}]`);
  }
}

describe("AscendingLookup", () => {
  it("answers -1 below every value and for no values", () => {
    expect(new AscendingLookup(new Float64Array(0)).lastAtOrBelow(0x1000)).toBe(-1);
    expect(new AscendingLookup(Float64Array.from([0x2000, 0x3000])).lastAtOrBelow(0x1fff)).toBe(-1);
  });

  it("finds values in one segment, across bucket edges, with equal values", () => {
    expect(new AscendingLookup(Float64Array.from([0x1000, 0x1ff0, 0x2000, 0x2000, 0x5010])).lastAtOrBelow(0x2000)).toBe(3);
    check([0x10000, 0x10010, 0x10ff0, 0x11000, 0x11000, 0x11008, 0x14000, 0x1fff8]);
  });

  it("keeps clusters apart: segments gigabytes apart and a VirtualAlloc'd block far above", () => {
    const values = [0x1d000000000, 0x1d000000400, 0x1d000003000, 0x1d080000000, 0x1d080001000, 0x7ff000000000];
    const lookup = new AscendingLookup(Float64Array.from(values));
    expect(lookup.lastAtOrBelow(0x1d07fffffff)).toBe(2); // in the gap: the first cluster's last block
    expect(lookup.lastAtOrBelow(0x1d080000fff)).toBe(3);
    expect(lookup.lastAtOrBelow(0x7ffffffff000)).toBe(5);
    check(values);
  });

  it("equals a plain scan on random layouts, dense and sparse", () => {
    let seed = 777;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
    for (let round = 0; round < 60; round++) {
      const values: number[] = [];
      let at = 0x20000000000 + (next() % 0x100) * 0x1000;
      for (let n = next() % 400; n > 0; n--) {
        // Mostly heap blocks (16 bytes to 64 KiB apart), sometimes a gap of megabytes or gigabytes, sometimes equal.
        const kind = next() % 20;
        at += kind === 0 ? (next() % 0x4000) * 0x10000 : kind === 1 ? 0 : 16 * (1 + (next() % 0x1000));
        values.push(at);
      }
      check(values);
    }
  });

  it("falls back to bisection when values are spread too thinly for buckets, and on values that are no number", () => {
    // 0.9 MiB apart: one cluster, 230 buckets per value.
    check(Array.from({ length: 50 }, (_, i) => 0x10000000 + i * 0xe0000));
    const lookup = new AscendingLookup(Float64Array.from([0x1000, 0x2000, NaN]));
    expect(lookup.lastAtOrBelow(0x1800)).toBe(0);
  });
});
