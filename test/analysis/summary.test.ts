import {
  externalFragmentationPercent,
  summarizeHeap,
  virtualAddressFragmentationPercent,
} from "../../src/analysis/summary";
import { makeWalk, sampleWalkX86, segment } from "./heap-fixtures";

describe("summarizeHeap", () => {
  it("adds up segments, backend free blocks and busy user blocks", () => {
    expect(summarizeHeap(sampleWalkX86())).toEqual({
      heapAddress: 0x00500000,
      flags: 0x1002,
      reservedBytes: 0x300000,
      committedBytes: 0x50000,
      virtualBytes: 0x300000 - 0x1b000,
      // rows 1, 7 and 9; the LFH free slot (row 4) is not a backend free block
      freeBytes: 0x1300,
      freeBlockCount: 3,
      largestFreeBlock: 0x1000,
      uncommittedRangeCount: 3,
      virtualBlockCount: 1,
      lockContention: 0x5a,
      fastHeap: "LFH",
      externalFragmentation: 15, // 1 - 0x1000/0x1300 = 15.8 %
      virtualAddressFragmentation: 89, // 1 - 0x50000/0x300000 = 89.6 %
      // rows 0, 3, 5, 6, 8, 10: LFH blocks one by one, the VirtualAlloc block, not the container
      busyBlockCount: 6,
      busyUserBytes: 0x30 + 0x18 + 0x18 + 0x24 + 0x30 + 0x100000,
    });
  });

  it("reports an empty heap without dividing by zero", () => {
    const summary = summarizeHeap(makeWalk({ address: 0x1000, rows: [], segments: [segment(0x1000, 0x10000, 0x10000, 0)] }));
    expect(summary.externalFragmentation).toBe(0);
    expect(summary.virtualAddressFragmentation).toBe(0);
    expect(summary.fastHeap).toBe("");
    expect(summary.busyBlockCount).toBe(0);
  });
});

describe("fragmentation percentages", () => {
  it("floors 1 - largest / total free", () => {
    expect(externalFragmentationPercent(0x1000, 0x1300)).toBe(15);
    expect(externalFragmentationPercent(100, 100)).toBe(0);
    expect(externalFragmentationPercent(0, 0)).toBe(0);
  });

  it("reproduces the printed virtual address fragmentation of docs/seeds.md seed 000 and docs/heap-structures.md §3.1", () => {
    const k = 1024;
    expect(virtualAddressFragmentationPercent(84980 * k, 128828 * k)).toBe(34); // seed 000, heap 01c20000
    expect(virtualAddressFragmentationPercent(118128 * k, 776448 * k)).toBe(84); // §3.1 sample
  });

  it("is 0 when more is committed than reserved", () => {
    expect(virtualAddressFragmentationPercent(64, 60)).toBe(0);
  });
});
