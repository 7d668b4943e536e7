// Hostile dumps, and healthy ones asked hostile questions: every command is bounded in reads,
// memory and output, and corruption is reported, never silently absorbed. Each case here was a
// failure once; bounds are asserted through host counters, not clocks.
import { buildImage } from "../writers/images";
import { writeNtHeap } from "../writers/ntheap";
import { ProcessImageBuilder } from "../writers/process";
import { AddressSpace, HeapTruth, Layout } from "../writers/types";
import { ScriptSession } from "../../nodehost/session";
import { BUNDLE, big, blockOf, load, targetOf } from "./harness";

const LFH_KEY = 0x2b3c4d5e;

/** One process with one NT heap (3 segments, LFH, two VirtualAlloc'd blocks), damaged before the dump is written. */
function damaged(arch: "x86" | "x64", damage: (space: AddressSpace, layout: Layout, heap: HeapTruth) => void, build = 19041) {
  const process = new ProcessImageBuilder({ arch, build, globals: { lfhKey: LFH_KEY, segmentHeapKey: 0n, segmentLfhKey: 0n } });
  const heap = writeNtHeap(process.space, process.layout, { lfhKey: LFH_KEY }, {
    seed: 5, flags: 0x1002, segments: 3, blocksPerSegment: 40, lfh: true, virtualAllocs: [0x12000, 0x30000], escapes: arch === "x64",
  });
  damage(process.space, process.layout, heap);
  process.addHeap(heap.address, ["PEB"]);
  return { session: load(process.build()), heap, layout: process.layout };
}

function findings(session: ReturnType<typeof load>) {
  const heap = session.process.Heaps.getValueAt(0);
  return [...heap.Findings].map((f: any) => ({ kind: String(f.Kind), address: big(f.Address), message: String(f.Message) }));
}

describe.each(["x64", "x86"] as const)("%s: unbounded results", (arch) => {
  const image = buildImage(arch, 19041);

  it("!heapsearch (0, 1) prints its first 1000 hits (3 lines each) and a count of the rest; its dx result is lazy", () => {
    // Zeroes in a VirtualAlloc'd block's data: hundreds of thousands of one-byte matches.
    const { session } = damaged(arch, (space, _layout, heap) => {
      const big = heap.blocks.filter((b) => b.kind === "VirtualAlloc").sort((a, b) => b.userSize - a.userSize)[0];
      space.write(big.userAddress, new Uint8Array(big.userSize));
    });
    const { value, output } = session.alias("heapsearch", 0, 1);
    const lines = output.split("\n");
    expect(lines.length).toBeLessThan(3 * 1000 + 20);
    const note = lines.find((l) => l.startsWith("... "))!;
    expect(note).toMatch(/^\.\.\. \d+ more matches; use dx @\$heapsearch\(0x0, 1\) to query them all$/);
    const more = Number(/\d+/.exec(note)![0]);
    expect(more).toBeGreaterThan(10000);
    // .Take(10) reads only what ten hits need; the full result is recomputed only when iterated.
    session.resetCounters();
    const ten = [...(value as any).Take(10)];
    expect(ten.length).toBe(10);
    expect(session.counters.bytesRead).toBeLessThanOrEqual(1 << 20);
    expect(String(value)).toBe(`${more + 1000} matches`);
  });

  it("!heapfilter over every size prints at most 2000 rows, its dx result holds them all", () => {
    const session = load(image);
    const { value, output } = session.alias("heapfilter", 0, 0x100000);
    const busy = image.truth.heaps.flatMap((h) => h.blocks).filter((b) => b.state === "Busy" && b.userSize < 0x100000);
    expect((value as any).Count()).toBe(busy.length);
    const rows = output.split("\n").filter((l) => /^ {8}[0-9a-f]{8,16} /.test(l));
    expect(rows.length).toBe(Math.min(2000, busy.length));
  });
});

/** An NT entry header rewritten through the heap's own key (docs/heap-structures.md §2.2): the damage has a valid checksum. */
function rewriteEntry(space: AddressSpace, layout: Layout, heap: bigint, entry: bigint, change: (fields: { size: number; flags: number; previousSize: number }) => void): void {
  const core = layout.off("_HEAP_ENTRY", "Size");
  const key = space.read(heap + BigInt(layout.off("_HEAP", "Encoding") + core), 8);
  const raw = space.read(entry + BigInt(core), 8);
  const plain = raw.map((b, i) => b ^ key[i]);
  const fields = { size: plain[0] | (plain[1] << 8), flags: plain[2], previousSize: plain[4] | (plain[5] << 8) };
  change(fields);
  plain[0] = fields.size & 0xff;
  plain[1] = fields.size >> 8;
  plain[2] = fields.flags;
  plain[3] = plain[0] ^ plain[1] ^ plain[2];
  plain[4] = fields.previousSize & 0xff;
  plain[5] = fields.previousSize >> 8;
  space.write(entry + BigInt(core), plain.map((b, i) => b ^ key[i]));
}

const heapField = (layout: Layout, heap: HeapTruth, field: string) => heap.address + BigInt(layout.off("_HEAP", field));

describe.each(["x64", "x86"] as const)("%s: corruption is a finding, bounded, never a silent change", (arch) => {
  it("a damaged PreviousSize byte of _HEAP.Encoding: every block disagrees, one aggregated finding per segment", () => {
    const { session, heap } = damaged(arch, (space, layout, heap) => {
      const at = heapField(layout, heap, "Encoding") + BigInt(layout.off("_HEAP_ENTRY", "PreviousSize"));
      space.u8(at, space.read(at, 1)[0] ^ 0x5a);
    });
    const seen = findings(session);
    expect(seen.length).toBeLessThanOrEqual(4 * heap.segments.length);
    expect(seen.filter((f) => /^and \d+ more like it \(PreviousSize disagrees/.test(f.message)).length).toBe(heap.segments.length);
    // The checksum does not cover PreviousSize: every block is still listed as written.
    expect([...session.process.Heaps.getValueAt(0).Blocks].length).toBe(heap.blocks.length);
  });

  it("Encoding's UnusedBytes byte set: one finding on the key, and busy blocks stay busy", () => {
    const { session, heap } = damaged(arch, (space, layout, heap) => {
      space.u8(heapField(layout, heap, "Encoding") + BigInt(layout.off("_HEAP_ENTRY", "UnusedBytes")), 0x37);
    });
    const seen = findings(session);
    expect(seen).toEqual([expect.objectContaining({ kind: "Corruption", message: expect.stringMatching(/SegmentOffset\/UnusedBytes key bytes 0x0\/0x37, which are 0 in every real heap/) })]);
    const blocks = [...session.process.Heaps.getValueAt(0).Blocks].map(blockOf);
    expect(blocks.filter((b) => b.state === "Busy").length).toBe(heap.blocks.filter((b) => b.state === "Busy").length);
  });

  it("an Encoding key that decodes no header: said once for the heap, and the walk stops at once", () => {
    const { session, heap } = damaged(arch, (space, layout, heap) => {
      const at = heapField(layout, heap, "Encoding") + BigInt(layout.off("_HEAP_ENTRY", "Size"));
      space.u8(at, space.read(at, 1)[0] ^ 0xff);
    });
    const seen = findings(session);
    expect(seen.map((f) => f.message)).toEqual([expect.stringMatching(`no segment header of heap 0x${heap.address.toString(16)} decodes with its _HEAP.Encoding key`)]);
    expect([...session.process.Heaps.getValueAt(0).Blocks]).toEqual([]);
  });

  it("a VirtualAlloc'd block whose CommitSize says 1 TiB is not believed: not listed, not searched, not found 4 GiB away", () => {
    let entry = 0n;
    const { session } = damaged(arch, (space, layout, heap) => {
      const block = heap.blocks.find((b) => b.kind === "VirtualAlloc")!;
      entry = block.userAddress - BigInt(layout.size("_HEAP_VIRTUAL_ALLOC_ENTRY"));
      space.ptr(entry + BigInt(layout.off("_HEAP_VIRTUAL_ALLOC_ENTRY", "CommitSize")), arch === "x64" ? 1n << 40n : 0xfff00000n);
    });
    expect(findings(session).map((f) => f.message)).toEqual([expect.stringMatching(new RegExp(`VirtualAlloc block at 0x${entry.toString(16)}: CommitSize .* is not within its ReserveSize`))]);
    session.resetCounters();
    session.alias("heapsearch", 0x12345678, 4);
    expect(session.counters.memoryReads).toBeLessThan(200);
    const far = session.alias("heapfind", session.int64(entry + (arch === "x64" ? 0x100000000n : 0x10000000n)));
    expect(far.value).toBeNull();
  });

  it("CommitSize and ReserveSize both damaged: the heap's TotalSizeInVirtualBlocks still bounds the block", () => {
    const { session } = damaged(arch, (space, layout, heap) => {
      const block = heap.blocks.find((b) => b.kind === "VirtualAlloc")!;
      const entry = block.userAddress - BigInt(layout.size("_HEAP_VIRTUAL_ALLOC_ENTRY"));
      for (const field of ["CommitSize", "ReserveSize"]) space.ptr(entry + BigInt(layout.off("_HEAP_VIRTUAL_ALLOC_ENTRY", field)), 0x7f000000n);
    });
    expect(findings(session).map((f) => f.message)).toEqual([expect.stringMatching(/CommitSize 0x7f000000 exceeds the heap's TotalSizeInVirtualBlocks/)]);
  });

  it("a VirtualAlloc list of thousands of self-consistent nodes ends at what the heap's counter allows", () => {
    const { session } = damaged(arch, (space, layout, heap) => {
      const head = heapField(layout, heap, "VirtualAllocdBlocks");
      const p = BigInt(layout.pointerSize);
      const count = 5000;
      const nodes = space.allocate(count * 0x10);
      const node = (i: number) => (i < 0 || i >= count ? head : nodes + BigInt(i * 0x10));
      for (let i = 0; i < count; i++) {
        space.ptr(node(i), node(i + 1));
        space.ptr(node(i) + p, node(i - 1));
      }
      space.ptr(head, node(0));
      space.ptr(head + p, node(count - 1));
    });
    session.resetCounters();
    const seen = findings(session);
    expect(seen.some((f) => /VirtualAlloc list: list longer than \d+ entries/.test(f.message))).toBe(true);
    expect(session.counters.memoryReads).toBeLessThan(300);
  });

  it("an LFH bitmap whose SizeOfBitMap is 0xffffffff is a finding before anything is sized by it", () => {
    const { session } = damaged(arch, (space, layout, heap) => {
      const container = heap.blocks.find((b) => b.kind === "Backend" && b.state === "Internal" && heap.blocks.some((l) => l.kind === "LFH" && l.address > b.address && l.address < b.address + BigInt(b.size)))!;
      space.u32(container.userAddress + BigInt(layout.off("_HEAP_USERDATA_HEADER", "BusyBitmap.SizeOfBitMap")), 0xffffffff);
    });
    expect(findings(session).map((f) => f.message)).toEqual([expect.stringMatching(/4294967295 blocks of .* do not fit the container/)]);
  });

  it("an uncommitted-range descriptor moved over live blocks: reported, and the blocks are still listed", () => {
    let moved = 0n;
    let uncommitted = 0n;
    const { session, heap } = damaged(arch, (space, layout, heap) => {
      const segment = heap.segments.find((s) => s.uncommittedRanges.length > 0)!;
      const victim = heap.blocks.filter((b) => b.kind === "Backend" && b.address > segment.firstEntry && b.address < segment.lastValidEntry)[3];
      // The descriptor whose Address field holds the segment's first uncommitted range.
      const range = segment.uncommittedRanges[0];
      uncommitted = range.address;
      const offset = BigInt(layout.off("_HEAP_UCR_DESCRIPTOR", "Address"));
      for (let at = segment.address; at < segment.firstEntry; at += BigInt(layout.pointerSize)) {
        if (space.readPtr(at + offset) === range.address) {
          space.ptr(at + offset, victim.address);
          moved = victim.address;
          break;
        }
      }
    });
    expect(moved).not.toBe(0n);
    // The range really uncommitted is now described by no descriptor: the walk meets it as unreadable memory, and says so.
    expect(findings(session).map((f) => f.message)).toEqual([
      expect.stringMatching(new RegExp(`uncommitted range 0x${moved.toString(16)}\\+.* is readable memory`)),
      expect.stringMatching(new RegExp(`heap entry at 0x${uncommitted.toString(16)} is not readable`)),
    ]);
    const listed = [...session.process.Heaps.getValueAt(0).Blocks].map(blockOf);
    for (const block of heap.blocks) expect(listed).toContainEqual(block);
  });

  it("a segment whose range overlaps another's is reported and not walked: no block is listed twice", () => {
    const { session, heap } = damaged(arch, (space, layout, heap) => {
      space.ptr(heap.segments[2].address + BigInt(layout.off("_HEAP_SEGMENT", "BaseAddress")), heap.segments[1].baseAddress);
    });
    expect(findings(session).map((f) => f.message)).toEqual([expect.stringMatching(new RegExp(`segment 0x${heap.segments[2].address.toString(16)} .* overlaps segment 0x${heap.segments[1].address.toString(16)}`))]);
    const listed = [...session.process.Heaps.getValueAt(0).Blocks].map(blockOf);
    expect(new Set(listed.map((b) => b.address)).size).toBe(listed.length);
    const third = heap.segments[2];
    expect(listed.some((b) => b.address >= third.baseAddress && b.address < third.lastValidEntry)).toBe(false);
  });

  it("a header with a valid checksum whose size swallows the rest of its run: !heapcheck finds the blocks it hides", () => {
    let swallower = 0n;
    const { session, heap } = damaged(arch, (space, layout, heap) => {
      const segment = heap.segments[1];
      const run = heap.blocks.filter((b) => b.kind === "Backend" && b.state === "Busy" && b.address > segment.firstEntry && b.address < segment.lastValidEntry);
      const victim = run[2];
      // Up to the start of the block before the segment's first uncommitted range (or its end): the run's last blocks vanish.
      const runEnd = segment.uncommittedRanges.length > 0 ? segment.uncommittedRanges[0].address : segment.lastValidEntry;
      const last = heap.blocks.filter((b) => b.kind === "Backend" && b.address > victim.address && b.address + BigInt(b.size) <= runEnd).pop()!;
      swallower = victim.address;
      rewriteEntry(space, layout, heap.address, victim.address, (f) => (f.size = Number(last.address - victim.address) / layout.granularity));
    });
    const walked = [...session.process.Heaps.getValueAt(0).Blocks].length;
    expect(walked).toBeLessThan(heap.blocks.length);
    const report = session.alias("heapcheck").value as any[];
    const messages = [...report[0].Findings].map((f: any) => String(f.Message));
    expect(messages).toContainEqual(expect.stringMatching(new RegExp(`block 0x${swallower.toString(16)} .* holds a valid header .* its Size was damaged`)));
  });

  it("overlapping VirtualAlloc'd blocks: the second is reported and not listed", () => {
    const { session } = damaged(arch, (space, layout, heap) => {
      const [a, b] = heap.blocks.filter((x) => x.kind === "VirtualAlloc").sort((x, y) => (x.address < y.address ? -1 : 1));
      const entryOf = (x: typeof a) => x.userAddress - BigInt(layout.size("_HEAP_VIRTUAL_ALLOC_ENTRY"));
      const reach = entryOf(b) - entryOf(a) + 0x1000n; // a now reaches into b
      for (const field of ["CommitSize", "ReserveSize"]) space.ptr(entryOf(a) + BigInt(layout.off("_HEAP_VIRTUAL_ALLOC_ENTRY", field)), reach);
      const total = heapField(layout, heap, "Counters.TotalSizeInVirtualBlocks");
      space.ptr(total, reach + BigInt(b.size));
    });
    const seen = findings(session).map((f) => f.message);
    expect(seen).toContainEqual(expect.stringMatching(/VirtualAlloc block .* overlaps .* of the same heap: it is not listed/));
    const listed = [...session.process.Heaps.getValueAt(0).Blocks].filter((b: any) => b.Kind === "VirtualAlloc");
    expect(listed.length).toBe(1);
  });
});

describe.each(["x64", "x86"] as const)("%s: a block whose UnusedBytes fits nothing", (arch) => {
  it("an internal block with the LFH marker in UnusedBytes: a finding, no stale user extent, nothing thrown", () => {
    let container = 0n;
    const { session, heap } = damaged(arch, (space, layout, heap) => {
      const block = heap.blocks.find((b) => b.kind === "Backend" && b.state === "Internal" && heap.blocks.some((l) => l.kind === "LFH" && l.address > b.address && l.address < b.address + BigInt(b.size)))!;
      container = block.address;
      space.u8(block.address + BigInt(layout.off("_HEAP_ENTRY", "UnusedBytes")), 0x80); // kept plain by the key (§6c.2)
    });
    const blocks = [...session.process.Heaps.getValueAt(0).Blocks].map(blockOf);
    const damagedBlock = blocks.find((b) => b.address === container)!;
    expect(damagedBlock).toEqual(expect.objectContaining({ userAddress: container + BigInt(heap.granularity), userSize: 0 }));
    for (const b of blocks.filter((x) => x.state === "Busy")) expect(b.userAddress >= b.address && b.userAddress + BigInt(b.userSize) <= b.address + BigInt(b.size) + 8n).toBe(true);
    expect(findings(session).map((f) => f.message)).toContainEqual(`heap entry at 0x${container.toString(16)}: UnusedBytes 0x80 gives no user size that fits the block`);
    expect(session.execute("!heaps").output).not.toMatch(/^Error/m);
  });
});

describe("!heapcheck on healthy heaps", () => {
  it.each([["x64", 7601], ["x64", 19041], ["x86", 19041], ["x64", 22000]] as const)("%s %d: no problem found", (arch, build) => {
    const session = load(buildImage(arch, build));
    const report = session.alias("heapcheck");
    const nt = (report.value as any[]).filter((r: any) => r.Type === "NT");
    expect(nt.length).toBeGreaterThan(0);
    for (const heap of nt) expect([...heap.Findings].map((f: any) => String(f.Message))).toEqual([]);
    expect(report.output).toMatch(/NT heap: no problem found/);
  });
});

describe("messages", () => {
  it("a target without ntdll's types: every command says so in one line of dxheap's, dx shows it without throwing", () => {
    const target = targetOf(buildImage("x64", 19041));
    target.modules.find((m) => /ntdll/i.test(m.name))!.types = undefined;
    const session = ScriptSession.load(BUNDLE, target);
    for (const command of ["!heaps", "!heapstat", "!heapfind 0x1000", "!heapcheck"]) {
      const { output } = session.execute(command);
      expect(output.split("\n")[0]).toBe("Error: heaps".replace("heaps", command.slice(1).split(" ")[0]) + ": " + "ntdll's symbols do not describe _PEB: dxheap needs ntdll's types (check .sympath, then .reload /f ntdll.dll)");
    }
    const heaps = session.process.Heaps;
    expect(String(heaps)).toBe("");
    expect([...heaps]).toEqual([]);
    expect([...heaps.Findings].map((f: any) => `${f.Kind}: ${f.Message}`)).toEqual([
      "Unsupported: ntdll's symbols do not describe _PEB: dxheap needs ntdll's types (check .sympath, then .reload /f ntdll.dll)",
    ]);
  });

  it("a PEB at or above 2^53 (a damaged TEB names it): every command refuses in one line naming it, dx shows it as Unsupported", () => {
    const target = targetOf(buildImage("x64", 19041));
    target.peb = 0x930bc45cb0d38c48n;
    const session = ScriptSession.load(BUNDLE, target);
    const problem = "dxheap needs a user-mode process: the debugger gives the PEB at 0x930bc45cb0d38c48, which is no user-mode address";
    for (const command of ["!heaps", "!heapstat", "!heapfind 0x1000", "!heapcheck"]) {
      const { output, error } = session.execute(command);
      expect(error).toBeUndefined();
      expect(output.split("\n")[0]).toBe(`Error: ${command.slice(1).split(" ")[0]}: ${problem}`);
    }
    const heaps = session.process.Heaps;
    expect([...heaps]).toEqual([]);
    expect([...heaps.Findings].map((f: any) => `${f.Kind}: ${f.Message}`)).toEqual([`Unsupported: ${problem}`]);
  });

  it("pointers at or above 2^53 print as exact hex, never 0xInfinity", () => {
    const { session } = damaged("x64", (space, layout, heap) => {
      space.ptr(heap.segments[1].address + BigInt(layout.off("_HEAP_SEGMENT", "LastValidEntry")), 0xffff800012345678n);
    });
    const messages = findings(session).map((f) => f.message).join("\n");
    expect(messages).toContain("last valid entry 0xffff800012345678");
    expect(messages).not.toMatch(/Infinity|NaN/);
  });
});
