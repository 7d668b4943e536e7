// The !heap text renderers against the real outputs quoted in docs/seeds.md ("seed 000" etc.) and
// public transcripts; "§" is docs/heap-structures.md.
import { HeapSummary, virtualAddressFragmentationPercent } from "../../src/analysis/summary";
import { SizeStatistics } from "../../src/analysis/stat";
import {
  formatBlockRows,
  formatFoundBlock,
  formatHeapSummaryTable,
  formatSearchHits,
  formatSizeStatistics,
  formatStackGroup,
} from "../../src/commands/format";
import { KIND_LFH, KIND_VIRTUAL_ALLOC, STATE_INTERNAL } from "../../src/heap/records";
import { makeWalk, segment } from "./heap-fixtures";

const K = 1024;
const BANNER = [
  "",
  "",
  "*".repeat(120),
  "                                              NT HEAP STATS BELOW",
  "*".repeat(120),
];

/** A summary row as !heap -s prints it: sizes in KiB, lock contention as a number. */
function row(
  heap: number,
  flags: number,
  [reservK, commitK, virtK, freeK]: number[],
  [list, ucr, virtBlocks, lock]: number[],
  fast: "LFH" | "",
  externalFragmentation = 0,
): HeapSummary {
  return {
    heapAddress: heap,
    flags,
    reservedBytes: reservK * K,
    committedBytes: commitK * K,
    virtualBytes: virtK * K,
    freeBytes: freeK * K,
    freeBlockCount: list,
    largestFreeBlock: 0,
    uncommittedRangeCount: ucr,
    virtualBlockCount: virtBlocks,
    lockContention: lock,
    fastHeap: fast,
    externalFragmentation,
    virtualAddressFragmentation: virtualAddressFragmentationPercent(commitK * K, reservK * K),
    busyBlockCount: 0,
    busyUserBytes: 0,
  };
}

describe("formatHeapSummaryTable", () => {
  it("prints seed 001's x86 table (all but the Termination line, which it cannot know)", () => {
    const summaries = [
      row(0x00d40000, 0x2, [78796, 62424, 78584, 4750], [1123, 74, 2, 0x5a], "LFH"),
      row(0x00d10000, 0x1002, [1292, 404, 1080, 26], [22, 2, 0, 0], "LFH"),
      row(0x028a0000, 0x1002, [750640, 749024, 750428, 1574], [2353, 249, 6, 0x565c], "LFH"),
      row(0x04260000, 0x1002, [60, 20, 60, 5], [1, 1, 0, 0], ""),
      row(0x25490000, 0x1002, [272, 64, 60, 20], [8, 1, 0, 0x25], "LFH"),
    ];
    expect(formatHeapSummaryTable(summaries, { pointerSize: 4, lfhKey: 0xc029131e })).toBe(
      [
        ...BANNER,
        "LFH Key                   : 0xc029131e",
        "  Heap     Flags   Reserv  Commit  Virt   Free  List   UCR  Virt  Lock  Fast ",
        "                    (k)     (k)    (k)     (k) length      blocks cont. heap ",
        "-----------------------------------------------------------------------------",
        "00d40000 00000002   78796  62424  78584   4750  1123    74    2     5a   LFH",
        "00d10000 00001002    1292    404   1080     26    22     2    0      0   LFH",
        "028a0000 00001002  750640 749024 750428   1574  2353   249    6   565c   LFH",
        "04260000 00001002      60     20     60      5     1     1    0      0      ",
        "25490000 00001002     272     64     60     20     8     1    0     25   LFH",
        "-----------------------------------------------------------------------------",
        "",
      ].join("\n"),
    );
  });

  it("prints the fragmentation lines of seed 000 under their rows", () => {
    const summaries = [
      row(0x013e0000, 0x2, [16472, 14712, 16364, 2051], [488, 12, 0, 0x3b], "LFH", 13),
      row(0x01c20000, 0x1002, [128828, 84980, 128720, 4359], [835, 180, 5, 6], "LFH", 3),
      row(0x01370000, 0x1002, [3232, 1264, 3124, 189], [27, 3, 0, 1], "LFH", 15),
    ];
    const lines = formatHeapSummaryTable(summaries, { pointerSize: 4 }).split("\n");
    expect(lines.slice(5, 8)).toEqual([
      "  Heap     Flags   Reserv  Commit  Virt   Free  List   UCR  Virt  Lock  Fast ",
      "                    (k)     (k)    (k)     (k) length      blocks cont. heap ",
      "-".repeat(77),
    ]);
    expect(lines.slice(8, 14)).toEqual([
      "013e0000 00000002   16472  14712  16364   2051   488    12    0     3b   LFH",
      "    External fragmentation  13 % (488 free blocks)",
      "01c20000 00001002  128828  84980 128720   4359   835   180    5      6   LFH",
      "    Virtual address fragmentation  34 % (180 uncommited ranges)",
      "01370000 00001002    3232   1264   3124    189    27     3    0      1   LFH",
      "    External fragmentation  15 % (27 free blocks)",
    ]);
  });

  it("widens the x64 table by 8 columns (public x64 transcript)", () => {
    const summaries = [
      row(0x0000015d85bb0000, 0x08000002, [8376, 6816, 8176, 254], [97, 5, 1, 3], "LFH"),
      row(0x0000015d84290000, 0x08008000, [64, 4, 64, 2], [1, 1, 0, 0], ""),
    ];
    expect(formatHeapSummaryTable(summaries, { pointerSize: 8, lfhKey: { high: 0x64ecab35, low: 0x6b9e5983 } })).toBe(
      [
        ...BANNER,
        "LFH Key                   : 0x64ecab356b9e5983",
        "          Heap     Flags   Reserv  Commit  Virt   Free  List   UCR  Virt  Lock  Fast ",
        "                            (k)     (k)    (k)     (k) length      blocks cont. heap ",
        "-".repeat(85),
        "0000015d85bb0000 08000002    8376   6816   8176    254    97     5    1      3   LFH",
        "0000015d84290000 08008000      64      4     64      2     1     1    0      0      ",
        "-".repeat(85),
        "",
      ].join("\n"),
    );
  });
});

describe("formatSizeStatistics", () => {
  it("prints seed 001's -stat table, percentages rounded to 2 decimals", () => {
    const seedRows: [number, number][] = [
      [0x40000, 0x1], [0x44, 0xa95], [0x50, 0x358], [0xf000, 0x1], [0x1000, 0xd],
      [0x30, 0x455], [0x18, 0x87a], [0x24, 0x568], [0x6004, 0x2], [0x2c, 0x3d4],
      [0x80, 0x120], [0xcc, 0xb1], [0xa0, 0xc9], [0x300, 0x20], [0x14, 0x496],
      [0x220, 0x29], [0x214, 0x26], [0x3c, 0x12a], [0x10, 0x437], [0x4020, 0x1],
    ];
    const totalBusyBytes = 1444700; // a total every printed percentage of the seed agrees with
    const stats: SizeStatistics = {
      rows: seedRows.map(([size, count]) => ({ size, count, total: size * count, percent: (size * count * 100) / totalBusyBytes })),
      distinctSizes: 20,
      totalBusyBlocks: 0,
      totalBusyBytes,
    };
    expect(formatSizeStatistics(0x028a0000, "S", 20, stats, 4)).toBe(
      [
        " heap @ 028a0000",
        "group-by: TOTSIZE max-display: 20",
        "    size     #blocks     total     ( %) (percent of total busy bytes)",
        "    40000 1 - 40000  (18.15)",
        "    44 a95 - 2cf94  (12.75)",
        "    50 358 - 10b80  (4.74)",
        "    f000 1 - f000  (4.25)",
        "    1000 d - d000  (3.69)",
        "    30 455 - cff0  (3.68)",
        "    18 87a - cb70  (3.60)",
        "    24 568 - c2a0  (3.45)",
        "    6004 2 - c008  (3.40)",
        "    2c 3d4 - a870  (2.98)",
        "    80 120 - 9000  (2.55)",
        "    cc b1 - 8d0c  (2.50)",
        "    a0 c9 - 7da0  (2.23)",
        "    300 20 - 6000  (1.70)",
        "    14 496 - 5bb8  (1.63)",
        "    220 29 - 5720  (1.54)",
        "    214 26 - 4ef8  (1.40)",
        "    3c 12a - 45d8  (1.24)",
        "    10 437 - 4370  (1.19)",
        "    4020 1 - 4020  (1.14)",
        "",
      ].join("\n"),
    );
  });

  it("names the other groupings and pads the x64 heap address", () => {
    const stats: SizeStatistics = {
      rows: [{ size: 0x28, count: 0x14b40, total: 0x33c200, percent: 38.6 }],
      distinctSizes: 1,
      totalBusyBlocks: 0x14b40,
      totalBusyBytes: 0x33c200,
    };
    expect(formatSizeStatistics(0x0000015d85bb0000, "B", 5, stats, 8)).toBe(
      " heap @ 0000015d85bb0000\ngroup-by: BLOCKCOUNT max-display: 5\n" +
        "    size     #blocks     total     ( %) (percent of total busy bytes)\n" +
        "    28 14b40 - 33c200  (38.60)\n",
    );
    expect(formatSizeStatistics(0x1000, "A", 5, { ...stats, rows: [] }, 4).split("\n")[1]).toBe(
      "group-by: ALLOCATIONSIZE max-display: 5",
    );
  });
});

describe("formatBlockRows (-flt)", () => {
  it("prints seed 001's x86 row, Size/Prev in granules", () => {
    const walk = makeWalk({
      address: 0x028a0000,
      rows: [{ address: 0x029d1b78, userAddress: 0x029d1b80, size: 0x8001 * 8, userSize: 0x40000, flags: 0x01 }],
    });
    expect(formatBlockRows(walk, [0], 4)).toBe(
      "    _HEAP @ 28a0000\n" +
        "      HEAP_ENTRY Size Prev Flags    UserPtr UserSize - state\n" +
        "        029d1b78 8001 0000  [00]   029d1b80    40000 - (busy)\n",
    );
  });

  it("prints only the heap line when nothing matched", () => {
    expect(formatBlockRows(makeWalk({ address: 0x00d40000, rows: [] }), [], 4)).toBe("    _HEAP @ d40000\n");
  });

  it("marks VirtualAlloc blocks as in seed 000 and LFH blocks by choice", () => {
    const walk = makeWalk({
      address: 0x01c20000,
      rows: [
        { address: 0x1190b018, userAddress: 0x1190b020, size: 0x80200 * 8, userSize: 0x400000, kind: KIND_VIRTUAL_ALLOC, flags: 0x09, segment: -1 },
        { address: 0x01c30010, userAddress: 0x01c30018, size: 0x10, userSize: 0x8, kind: KIND_LFH, flags: 0x01 },
      ],
    });
    const lines = formatBlockRows(walk, [0, 1], 4).split("\n");
    // seed 000 shows this row with its whitespace collapsed
    expect(lines[2].trim().replace(/ +/g, " ")).toBe("1190b018 80200 0000 [00] 1190b020 400000 - (busy VirtualAlloc)");
    expect(lines[3]).toBe("        01c30010 0002 0000  [00]   01c30018    00008 - (busy LFH)");
  });

  it("uses x64 widths (public x64 transcript, granularity 16)", () => {
    const walk = makeWalk({
      address: 0x15d85bb0000,
      granularity: 16,
      rows: [
        { address: 0x15d85bbb830, userAddress: 0x15d85bbb860, size: 0x50, userSize: 0x28, flags: 0x01 },
        { address: 0x15d85bc79e0, userAddress: 0x15d85bc7a10, size: 0x50, userSize: 0x28, previousSize: 0x50, flags: 0x01 },
      ],
    });
    expect(formatBlockRows(walk, [0, 1], 8)).toBe(
      "    _HEAP @ 15d85bb0000\n" +
        "              HEAP_ENTRY Size Prev Flags            UserPtr UserSize - state\n" +
        "        0000015d85bbb830 0005 0000  [00]   0000015d85bbb860    00028 - (busy)\n" +
        "        0000015d85bc79e0 0005 0005  [00]   0000015d85bc7a10    00028 - (busy)\n",
    );
  });
});

describe("formatFoundBlock (-x)", () => {
  const X86_HEADER = "Entry     User      Heap      Segment       Size  PrevSize  Unused    Flags";
  const X64_HEADER =
    "Entry             User              Heap              Segment               Size  PrevSize  Unused    Flags";

  it("prints the x86 layout of a public transcript, and -v's search line with no hit", () => {
    const walk = makeWalk({
      address: 0x00150000,
      segments: [segment(0x00150640, 0x100000, 0x100000, 0)],
      rows: [{ address: 0x00246c40, userAddress: 0x00246c48, size: 0x200, userSize: 0x1f4, previousSize: 0x200, flags: 0x01 }],
    });
    expect(formatFoundBlock(walk, 0, 4, [])).toBe(
      [
        X86_HEADER,
        "-".repeat(77),
        "00246c40  00246c48  00150000  00150640       200       200         c  busy ",
        "",
        "Search VM for address range 00246c40 - 00246e3f : ",
        "",
      ].join("\n"),
    );
  });

  it("prints -v's hits as seeds 003/004 do", () => {
    const walk = makeWalk({
      address: 0x00170000,
      segments: [segment(0x00170640, 0x100000, 0x100000, 0)],
      rows: [{ address: 0x002057a8, userAddress: 0x002057b0, size: 0x58, userSize: 0x48, previousSize: 0x58, flags: 0x03 }],
    });
    const lines = formatFoundBlock(walk, 0, 4, [{ location: 0x00205990, value: 0x002057d0 }]).split("\n");
    expect(lines[2]).toBe("002057a8  002057b0  00170000  00170640        58        58        10  busy extra ");
    expect(lines[4]).toBe("Search VM for address range 002057a8 - 002057ff : 00205990 (002057d0),");
    expect(formatFoundBlock(walk, 0, 4).split("\n").length).toBe(4); // without -v: header, rule, row, ""
  });

  it("prints an internal block the way a public transcript does", () => {
    const walk = makeWalk({
      address: 0x01070000,
      segments: [segment(0x01070000, 0x100000, 0x100000, 0)],
      rows: [
        {
          address: 0x010704a8, userAddress: 0x010704b0, size: 0x118, userSize: 0x117, previousSize: 0x4a8,
          state: STATE_INTERNAL, flags: 0x0f,
        },
      ],
    });
    expect(formatFoundBlock(walk, 0, 4).split("\n")[2]).toBe(
      "010704a8  010704b0  01070000  01070000       118       4a8         1  busy extra fill  internal ",
    );
  });

  it("prints x64 backend and LFH rows of public transcripts", () => {
    const walk = makeWalk({
      address: 0x00000234c1450000,
      granularity: 16,
      segments: [segment(0x00000234c1450000, 0x100000, 0x100000, 0)],
      rows: [
        // The UserBlocks container (its user data is the UserBlocks the Segment column shows), then the block.
        { address: 0x00000234c1a5e860, userAddress: 0x00000234c1a5e870, size: 0x10000, userSize: 0xfff0, state: STATE_INTERNAL, flags: 0x09 },
        {
          address: 0x00000234c1b1a9a0, userAddress: 0x00000234c1b1a9b0, size: 0x2c0, userSize: 0x2b1,
          kind: KIND_LFH, flags: 0x01, container: 0,
        },
      ],
    });
    expect(formatFoundBlock(walk, 1, 8)).toBe(
      [
        X64_HEADER,
        "-".repeat(109),
        "00000234c1b1a9a0  00000234c1b1a9b0  00000234c1450000  00000234c1a5e870       2c0      -            f  LFH;busy ",
        "",
      ].join("\n"),
    );
    const backend = makeWalk({
      address: 0x640000,
      granularity: 16,
      segments: [segment(0x640000, 0x100000, 0x100000, 0), segment(0x2ee0000, 0x400000, 0x400000, 0)],
      rows: [
        { address: 0x3075810, userAddress: 0x3075820, size: 0x8010, userSize: 0x8010 - 0x31, previousSize: 0x20, flags: 0x07, segment: 1 },
      ],
    });
    expect(formatFoundBlock(backend, 0, 8).split("\n")[2]).toBe(
      "0000000003075810  0000000003075820  0000000000640000  0000000002ee0000      8010        20        31  busy extra fill ",
    );
  });

  it("names VirtualAlloc and free blocks", () => {
    const walk = makeWalk({
      address: 0x01c20000,
      segments: [segment(0x01c20000, 0x100000, 0x100000, 0)],
      rows: [
        { address: 0x1190b018, userAddress: 0x1190b020, size: 0x401000, userSize: 0x400000, kind: KIND_VIRTUAL_ALLOC, flags: 0x09, segment: -1 },
        { address: 0x01c20600, userAddress: 0x01c20608, size: 0x80, previousSize: 0x40, state: 1 },
      ],
    });
    expect(formatFoundBlock(walk, 0, 4).split("\n")[2]).toBe(
      "1190b018  1190b020  01c20000  00000000    401000         0      1000  busy VirtualAlloc ",
    );
    expect(formatFoundBlock(walk, 1, 4).split("\n")[2]).toBe(
      "01c20600  01c20608  01c20000  01c20000        80        40         0  free ",
    );
  });
});

describe("formatSearchHits (-srch)", () => {
  it("prints seed 004's layout, except the Flags column (see entryFlagsColumn)", () => {
    const walk = makeWalk({
      address: 0x00090000,
      rows: [
        { address: 0x00099a48, userAddress: 0x00099a50, size: 0x18 * 8, userSize: 0xb8, previousSize: 5 * 8, flags: 0x01 },
        { address: 0x00099b58, userAddress: 0x00099b60, size: 0x18 * 8, userSize: 0xb8, previousSize: 5 * 8, flags: 0x01 },
      ],
    });
    const hits = [
      { row: 0, location: 0x00099a50 },
      { row: 1, location: 0x00099b60 },
    ];
    const symbol = "ole32!CALLFRAME_CACHE<INTERFACE_HELPER_CLSID>::`vftable'";
    expect(formatSearchHits(walk, hits, 4, symbol)).toBe(
      [
        "    _HEAP @ 00090000",
        "   in HEAP_ENTRY: Size : Prev Flags - UserPtr UserSize - state",
        // seed 004 prints [01] here: an XP-era sample (see entryFlagsColumn)
        "        00099A48: 0018 : 0005 [00] - 00099A50 (000000B8) - (busy)",
        "          " + symbol,
        "    _HEAP @ 00090000",
        "   in HEAP_ENTRY: Size : Prev Flags - UserPtr UserSize - state",
        "        00099B58: 0018 : 0005 [00] - 00099B60 (000000B8) - (busy)",
        "          " + symbol,
        "",
      ].join("\n"),
    );
  });

  it("prints x64 widths and nothing for no hits", () => {
    const walk = makeWalk({
      address: 0x1d5a3c40000,
      granularity: 16,
      rows: [{ address: 0x1d5a3c4d0a0, userAddress: 0x1d5a3c4d0b0, size: 0x90, userSize: 0x80, previousSize: 0x30, flags: 0x03 }],
    });
    expect(formatSearchHits(walk, [{ row: 0, location: 0x1d5a3c4d0b8 }], 8)).toBe(
      "    _HEAP @ 000001D5A3C40000\n" +
        "   in HEAP_ENTRY: Size : Prev Flags - UserPtr UserSize - state\n" +
        "        000001D5A3C4D0A0: 0009 : 0003 [02] - 000001D5A3C4D0B0 (0000000000000080) - (busy)\n",
    );
    expect(formatSearchHits(walk, [], 8)).toBe("");
  });
});

describe("formatStackGroup (!heapstacks)", () => {
  it("ends each group with a newline, whether its stack is several frames, one frame or a reason", () => {
    const frames = "        7ffb58f652d2 ntdll!RtlpAllocateHeapInternal+0x4b2\n        7ff64b3a3120 leaky+0x3120\n";
    expect(formatStackGroup(0x7d0, 0x2af80, [0x58], frames) + formatStackGroup(1, 0x10, [0x10], "        7ff64b3a3120 leaky+0x3120\n") + formatStackGroup(1, 0x400000, [0x400000], "no stack (VirtualAllocNoTrace)")).toBe(
      "0x7d0 blocks, 0x2af80 bytes (sizes 0x58):\n" + frames +
        "0x1 blocks, 0x10 bytes (sizes 0x10):\n        7ff64b3a3120 leaky+0x3120\n" +
        "0x1 blocks, 0x400000 bytes (sizes 0x400000): no stack (VirtualAllocNoTrace)\n",
    );
  });
});
