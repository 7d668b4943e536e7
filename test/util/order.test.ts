import { orderByKey } from "../../src/util/order";

/** What orderByKey must give: the positions sorted by key, then rank, then position. */
function expected(keys: number[], rank?: number[]): number[] {
  return keys.map((_, i) => i).sort((a, b) => keys[a] - keys[b] || (rank ? rank[a] - rank[b] : 0) || a - b);
}

describe("orderByKey", () => {
  it("leaves ordered keys alone and orders nothing", () => {
    expect([...orderByKey([1, 2, 2, 5])]).toEqual([0, 1, 2, 3]);
    expect([...orderByKey([])]).toEqual([]);
    expect([...orderByKey([7])]).toEqual([0]);
  });

  it("merges a walk's runs: segments in order, VirtualAlloc'd blocks after them at lower and higher addresses", () => {
    const keys = [0x1000, 0x2000, 0x3000, 0x9000, 0xa000, 0x500, 0x20000, 0x4000];
    expect([...orderByKey(keys)]).toEqual([5, 0, 1, 2, 7, 3, 4, 6]);
  });

  it("puts lower ranks first at one key, and keeps position order among full ties", () => {
    // A page heap's light block (rank 1) and the NormalHeap block holding it (rank 0) share a start.
    const keys = [0x100, 0x200, 0x200, 0x200, 0x150];
    const rank = [0, 1, 0, 0, 0];
    expect([...orderByKey(keys, rank)]).toEqual([0, 4, 2, 3, 1]);
  });

  it("equals a full sort on random keys with many runs and ties", () => {
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
    for (let round = 0; round < 50; round++) {
      const n = next() % 300;
      const keys = Array.from({ length: n }, () => (next() % 40) * 0x1000);
      const rank = Array.from({ length: n }, () => next() % 2);
      expect([...orderByKey(keys, rank)]).toEqual(expected(keys, rank));
      expect([...orderByKey(keys)]).toEqual(expected(keys));
    }
  });
});
