import { searchPattern } from "../../src/analysis/search";
import { ArrayMemory, sampleWalkX86 } from "./heap-fixtures";

const VTABLE = [0x34, 0x69, 0x17, 0x77]; // 0x77176934, little-endian

function sampleMemory(): ArrayMemory {
  return new ArrayMemory(4, [{ start: 0x01000000, end: 0x01001000 }]) // segment 1 is unreadable
    .addArea(0x00500000, 0x2000)
    .addArea(0x01000000, 0x1000)
    .addArea(0x02000000, 0x101000);
}

describe("searchPattern", () => {
  it("reports aligned hits in busy user data only", () => {
    const memory = sampleMemory()
      .write(0x00500608, VTABLE) // row 0, first dword: hit
      .write(0x00500612, VTABLE) // row 0, not 4-aligned
      .write(0x00500648, VTABLE) // free block (row 1)
      .write(0x0050076c, VTABLE) // LFH row 3 (inside the container): hit, reported as row 3
      .write(0x00500788, VTABLE) // free LFH slot (row 4)
      .write(0x005007d0, VTABLE) // container bytes outside any LFH block
      .write(0x00500b68, VTABLE) // row 6: last dword of its 0x24 user bytes: hit
      .write(0x00500b6c, VTABLE) // row 6: past userSize
      .write(0x01000048, VTABLE) // row 8: in the unreadable segment
      .write(0x020ffffc, VTABLE) // VirtualAlloc row 10, just below a 1 MiB boundary: hit
      .write(0x02100024, VTABLE); // row 10, its last dword: hit
    expect([...searchPattern(memory, sampleWalkX86(), Uint8Array.from(VTABLE))]).toEqual([
      { row: 0, location: 0x00500608 },
      { row: 3, location: 0x0050076c },
      { row: 6, location: 0x00500b68 },
      { row: 10, location: 0x020ffffc },
      { row: 10, location: 0x02100024 },
    ]);
  });

  it("reads neighbouring blocks together", () => {
    const memory = sampleMemory();
    [...searchPattern(memory, sampleWalkX86(), Uint8Array.from(VTABLE))];
    // rows 0-6 in one read, row 8 in one, row 10 in two (it crosses a 1 MiB boundary)
    expect(memory.readRunsCalls).toBe(4);
  });

  it("aligns to the pattern width", () => {
    const memory = sampleMemory().write(0x00500609, [0x34, 0x12]).write(0x0050060c, [0x34, 0x12]);
    const walk = sampleWalkX86();
    expect([...searchPattern(memory, walk, Uint8Array.from([0x34, 0x12]))]).toEqual([{ row: 0, location: 0x0050060c }]);
    expect([...searchPattern(memory, walk, Uint8Array.from([0x12]))].map((h) => h.location)).toEqual([0x0050060a, 0x0050060d]);
  });

  it("rejects widths other than 1, 2, 4 and 8", () => {
    expect(() => [...searchPattern(sampleMemory(), sampleWalkX86(), Uint8Array.from([1, 2, 3]))]).toThrow(RangeError);
  });
});
