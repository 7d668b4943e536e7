import { sizeStatistics } from "../../src/analysis/stat";
import { sampleWalkX86 } from "./heap-fixtures";

const TOTAL = 0x30 * 2 + 0x18 * 2 + 0x24 + 0x100000;

describe("sizeStatistics", () => {
  it("groups busy user sizes, LFH and VirtualAlloc blocks included, containers excluded", () => {
    const stats = sizeStatistics(sampleWalkX86(), "S", 20);
    expect(stats.totalBusyBytes).toBe(TOTAL);
    expect(stats.totalBusyBlocks).toBe(6);
    expect(stats.distinctSizes).toBe(4);
    expect(stats.rows.map((r) => [r.size, r.count, r.total])).toEqual([
      [0x100000, 1, 0x100000],
      [0x30, 2, 0x60],
      [0x18, 2, 0x30],
      [0x24, 1, 0x24],
    ]);
    expect(stats.rows[0].percent).toBeCloseTo((0x100000 * 100) / TOTAL, 10);
    expect(stats.rows.reduce((sum, r) => sum + r.percent, 0)).toBeCloseTo(100, 10);
  });

  it("orders by block count (B), ties by the larger size", () => {
    const rows = sizeStatistics(sampleWalkX86(), "B", 20).rows;
    expect(rows.map((r) => r.size)).toEqual([0x30, 0x18, 0x100000, 0x24]);
  });

  it("orders by allocation size (A)", () => {
    const rows = sizeStatistics(sampleWalkX86(), "A", 20).rows;
    expect(rows.map((r) => r.size)).toEqual([0x100000, 0x30, 0x24, 0x18]);
  });

  it("cuts to maxRows but keeps the totals of all rows", () => {
    const stats = sizeStatistics(sampleWalkX86(), "S", 2);
    expect(stats.rows.map((r) => r.size)).toEqual([0x100000, 0x30]);
    expect(stats.distinctSizes).toBe(4);
    expect(stats.totalBusyBytes).toBe(TOTAL);
    expect(sizeStatistics(sampleWalkX86(), "S", 0).rows).toEqual([]);
  });
});
