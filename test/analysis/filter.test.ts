import { filterBySize } from "../../src/analysis/filter";
import { sampleWalkX86 } from "./heap-fixtures";

describe("filterBySize", () => {
  const walk = sampleWalkX86();

  it("finds one size (-flt s): [size, size + 1)", () => {
    expect(filterBySize(walk, 0x30, 0x31)).toEqual([0, 8]);
    expect(filterBySize(walk, 0x100000, 0x100001)).toEqual([10]);
  });

  it("treats the upper bound of a range (-flt r) as exclusive", () => {
    expect(filterBySize(walk, 0x18, 0x30)).toEqual([3, 5, 6]);
    expect(filterBySize(walk, 0x18, 0x31)).toEqual([0, 3, 5, 6, 8]);
  });

  it("never returns free or internal blocks", () => {
    expect(filterBySize(walk, 0, 0x1)).toEqual([]); // free blocks have userSize 0
    expect(filterBySize(walk, 0x3f8, 0x3f9)).toEqual([]); // the UserBlocks container
  });
});
