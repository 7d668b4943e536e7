import { findReferences } from "../../src/analysis/find";
import { SCAN_CHUNK_BYTES } from "../../src/host/memory-scan";
import { AddressIndex } from "../../src/heap/address-index";
import { ArrayMemory, makeWalk, sampleWalkX86 } from "./heap-fixtures";

describe("AddressIndex", () => {
  const other = makeWalk({
    address: 0x03000000,
    rows: [{ address: 0x03000600, userAddress: 0x03000608, size: 0x50, userSize: 0x44, flags: 0x01 }],
  });
  const walks = [sampleWalkX86(), other];
  const index = new AddressIndex(walks);
  const find = (address: number) => index.find(address);

  it("prefers the LFH block over the UserBlocks container holding it", () => {
    expect(find(0x0050076a)).toEqual({ walk: 0, row: 3 });
    expect(find(0x00500780)).toEqual({ walk: 0, row: 4 }); // a free LFH slot
  });

  it("falls back to the container outside its LFH blocks", () => {
    expect(find(0x00500748)).toEqual({ walk: 0, row: 2 });
    expect(find(0x00500b3f)).toEqual({ walk: 0, row: 2 });
  });

  it("finds a VirtualAlloc block from its BusyBlock header on", () => {
    expect(find(0x02080000)).toEqual({ walk: 0, row: 10 });
    expect(find(0x02000020)).toEqual({ walk: 0, row: 10 });
    expect(find(0x02000010)).toBeUndefined(); // inside _HEAP_VIRTUAL_ALLOC_ENTRY
  });

  it("uses [entry, entry + size): the header counts, the next byte does not", () => {
    expect(find(0x00500600)).toEqual({ walk: 0, row: 0 });
    expect(find(0x0050063f)).toEqual({ walk: 0, row: 0 });
    expect(find(0x00500640)).toEqual({ walk: 0, row: 1 });
  });

  it("searches every walk and reports an address outside every block as undefined", () => {
    expect(find(0x03000620)).toEqual({ walk: 1, row: 0 });
    expect(find(0x03000650)).toBeUndefined(); // one past its end
    expect(find(0x00400000)).toBeUndefined();
    expect(new AddressIndex([]).find(0x00500608)).toBeUndefined();
  });

  it("answers like a linear scan for every address around every block edge", () => {
    const linear = (address: number) => {
      let found: { walk: number; row: number } | undefined;
      walks.forEach((walk, w) => {
        for (let i = 0; i < walk.blocks.count; i++) {
          const start = walk.blocks.address[i];
          if (address < start || address >= start + walk.blocks.size[i]) continue;
          if (!found || walk.blocks.container[i] === found.row) found = { walk: w, row: i };
        }
      });
      return found;
    };
    for (const walk of walks) {
      for (let i = 0; i < walk.blocks.count; i++) {
        const start = walk.blocks.address[i];
        const end = start + walk.blocks.size[i];
        for (const address of [start - 1, start, start + 1, end - 1, end]) expect(find(address)).toEqual(linear(address));
      }
    }
  });
});

describe("findReferences", () => {
  it("finds aligned x86 pointers across two regions and none in an unreadable hole", () => {
    const memory = new ArrayMemory(4, [{ start: 0x11000, end: 0x11800 }])
      .addArea(0x10000, 0x2000)
      .addArea(0x400000, 0x1000)
      .writeU32(0x10010, 0x002057d0) // inside the block
      .writeU32(0x10020, 0x002057a8) // its first byte
      .writeU32(0x10030, 0x00205800) // one past its end
      .writeU32(0x10042, 0x002057b0) // not aligned
      .writeU32(0x11100, 0x002057b0) // in the hole
      .writeU32(0x11ffc, 0x002057ff) // last dword of the first region
      .writeU32(0x400100, 0x002057c0);
    const references = [...findReferences(
      memory,
      [{ base: 0x10000, size: 0x2000 }, { base: 0x400000, size: 0x1000 }],
      0x002057a8,
      0x00205800,
      4,
    )];
    expect(references).toEqual([
      { location: 0x10010, value: 0x002057d0 },
      { location: 0x10020, value: 0x002057a8 },
      { location: 0x11ffc, value: 0x002057ff },
      { location: 0x400100, value: 0x002057c0 },
    ]);
  });

  it("decodes x64 pointers from dword pairs and keeps 8-byte alignment", () => {
    const block = 0x000001d5a3c40000;
    const memory = new ArrayMemory(8)
      .addArea(0x7ff600000000, 0x1000)
      .writeU64(0x7ff600000008, block + 0x18)
      .writeU64(0x7ff600000014, block + 0x20) // 4-aligned only
      .writeU64(0x7ff600000020, block + 0x100000000) // same low dword, other high dword
      .writeU64(0x7ff600000028, block - 8);
    expect([...findReferences(memory, [{ base: 0x7ff600000000, size: 0x1000 }], block, block + 0x40, 8)]).toEqual([
      { location: 0x7ff600000008, value: block + 0x18 },
    ]);
  });

  it("reads a large region in 1 MiB pieces", () => {
    const memory = new ArrayMemory(4).addArea(0x1000000, 3 * SCAN_CHUNK_BYTES).writeU32(0x1000000 + SCAN_CHUNK_BYTES * 2 + 4, 0x5000);
    const references = [...findReferences(memory, [{ base: 0x1000000, size: 3 * SCAN_CHUNK_BYTES }], 0x5000, 0x5001, 4)];
    expect(references).toEqual([{ location: 0x1000000 + SCAN_CHUNK_BYTES * 2 + 4, value: 0x5000 }]);
    expect(memory.readRunsCalls).toBe(3);
  });

  it("crosses a huge unreadable stretch in a few dozen reads, and finds what lies beyond it", () => {
    // 1 TiB of nothing between two readable pages: what a CommitSize taken from a corrupted header asks for.
    const far = 0x10000000000;
    const memory = new ArrayMemory(8).addArea(0x100000, 0x1000).addArea(0x100000 + far, 0x1000).writeU64(0x100000 + far + 0x10, 0x5008);
    // A range this long says it is (src/host/progress.ts), through the host's debugLog.
    const global = globalThis as { host?: unknown };
    const lines: string[] = [];
    global.host = { diagnostics: { debugLog: (line: string) => lines.push(line) } };
    try {
      const references = [...findReferences(memory, [{ base: 0x100000, size: far + 0x1000 }], 0x5000, 0x5010, 8)];
      expect(references).toEqual([{ location: 0x100000 + far + 0x10, value: 0x5008 }]);
    } finally {
      delete global.host;
    }
    expect(memory.readRunsCalls + memory.probes).toBeLessThan(200);
    expect(lines[0]).toBe("dxheap: searching for pointers into 0x5000: 1024.0 GiB to read\n");
  });
});
