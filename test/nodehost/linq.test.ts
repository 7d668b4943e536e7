import { Collection, Group } from "../../nodehost/datamodel";
import { Int64 } from "../../nodehost/int64";

/** A collection over 0, 1, 2, … (count items) that records how many items were pulled. */
function counting(count: number): { collection: Collection; pulled: () => number } {
  let pulled = 0;
  const collection = new Collection(function* () {
    for (let i = 0; i < count; i++) {
      pulled++;
      yield i;
    }
  });
  return { collection, pulled: () => pulled };
}

describe("LINQ on data-model collections", () => {
  it("Where, Select and Take are lazy: nothing is pulled until iteration, and no more than needed", () => {
    const { collection, pulled } = counting(1_000_000);
    const query = collection.Where((x) => x % 2 === 1).Select((x) => x * 10).Take(3);
    expect(pulled()).toBe(0);
    expect([...query]).toEqual([10, 30, 50]);
    expect(pulled()).toBe(6);
  });

  it("First, Any and Contains stop at the first match", () => {
    const { collection, pulled } = counting(1_000_000);
    expect(collection.First((x) => x > 4)).toBe(5);
    expect(pulled()).toBe(6);
    expect(collection.Any((x) => x === 2)).toBe(true);
    expect(pulled()).toBe(9);
    expect(collection.Contains(Int64.of(3n))).toBe(true);
    expect(pulled()).toBe(13);
  });

  it("GroupBy gives groups in first-seen order, each a collection with its Key", () => {
    const { collection } = counting(10);
    const groups = [...collection.GroupBy((x) => x % 3)] as Group[];
    expect(groups.map((g) => g.Key)).toEqual([0, 1, 2]);
    expect(groups.map((g) => [...g])).toEqual([[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]]);
    expect(groups[1].Count()).toBe(3);
    const ordered = collection.GroupBy((x) => x % 3).OrderByDescending((g: Group) => g.Count()).First() as Group;
    expect(ordered.Key).toBe(0);
  });

  it("GroupBy treats equal Int64 and number keys as one key", () => {
    const items = new Collection(() => [Int64.of(0x10n), 0x10, Int64.of(0x20n)][Symbol.iterator]());
    expect(items.GroupBy((x) => x).Count()).toBe(2);
    expect(items.Distinct().Count()).toBe(2);
  });

  it("orders by keys (numbers, Int64 beyond 2^53, strings), ascending and descending, stably", () => {
    const big = Int64.of(0xffff_ffff_ffff_fff0n);
    const items = new Collection(() => [{ k: 3, n: "a" }, { k: big, n: "b" }, { k: 1, n: "c" }, { k: 3, n: "d" }][Symbol.iterator]());
    expect([...items.OrderBy((x: any) => x.k)].map((x: any) => x.n)).toEqual(["c", "a", "d", "b"]);
    expect([...items.OrderByDescending((x: any) => x.k)].map((x: any) => x.n)).toEqual(["b", "a", "d", "c"]);
    expect([...items.OrderBy((x: any) => x.n, (a: string, b: string) => (a < b ? 1 : a > b ? -1 : 0))].map((x: any) => x.n)).toEqual(["d", "c", "b", "a"]);
  });

  it("aggregates: Count, Sum (exact with Int64), Min, Max, All, Last", () => {
    const { collection } = counting(5);
    expect(collection.Count()).toBe(5);
    expect(collection.Sum()).toBe(10);
    expect(collection.Sum((x) => x * 2)).toBe(20);
    expect(collection.Min()).toBe(0);
    expect(collection.Max((x) => 10 - x)).toBe(10);
    expect(collection.Max()).toBe(4);
    expect(collection.All((x) => x < 5)).toBe(true);
    expect(collection.Last()).toBe(4);
    expect(collection.Last((x) => x < 3)).toBe(2);
    const sizes = new Collection(() => [Int64.of(0x1f_ffff_ffff_ffffn), 1][Symbol.iterator]());
    expect(sizes.Sum()).toBe(Int64.of(0x20_0000_0000_0000n));
  });

  it("Skip, Distinct, SelectMany and Flatten", () => {
    const { collection } = counting(6);
    expect([...collection.Skip(4)]).toEqual([4, 5]);
    expect([...collection.Select((x) => x % 2).Distinct()]).toEqual([0, 1]);
    expect([...collection.Take(3).SelectMany((x) => Array(x).fill(x))]).toEqual([1, 2, 2]);
    const tree = { name: "root", children: [{ name: "a", children: [{ name: "a1", children: [] }] }, { name: "b", children: [] }] };
    const roots = new Collection(() => [tree][Symbol.iterator]());
    expect([...roots.Flatten((n: any) => n.children)].map((n: any) => n.name)).toEqual(["root", "a", "a1", "b"]);
    const nested = new Collection(() => [[1, [2, 3]], [4]][Symbol.iterator]());
    expect([...nested.Flatten()]).toEqual([1, 2, 3, 4]);
  });

  it("First and Last throw on an empty collection", () => {
    const empty = counting(0).collection;
    expect(() => empty.First()).toThrow("empty");
    expect(() => empty.Last()).toThrow("empty");
    expect(() => empty.Min()).toThrow("empty");
  });

  it("a collection has no display string of its own", () => {
    expect(counting(3).collection.ToDisplayString()).toBe("");
  });
});
