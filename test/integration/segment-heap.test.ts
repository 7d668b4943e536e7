// The segment-heap walk against the writer's truth, block by block and segment by segment, on every
// image with a segment heap (x64 17763, 19041, 22000, 26100 and x86 19041), each with its large
// block tree stored plain and encoded; its counters against the truth's summary numbers; and damaged
// heaps (a bad segment signature, a VS chunk header that fails, an LFH subsegment with an absurd
// block count, a looping large-block tree, dropped pages) that each end in a finding and a partial
// walk, never an exception.
import { buildImage } from "../writers/images";
import { ProcessImageBuilder } from "../writers/process";
import { writeSegmentHeap } from "../writers/segment-heap";
import { AddressSpace, BlockTruth, HeapTruth, Layout } from "../writers/types";
import { IsfField, IsfTypes } from "../../nodehost/formats/isf";
import { TargetData } from "../../nodehost/target";
import { HeapWalk } from "../../src/heap/records";
import { UnreadableMemoryError } from "../../src/host/memory-types";
import { TypeSource } from "../../src/host/symbols";
import { NtdllView } from "../../src/host/target";
import { resolveNtHeapLayout } from "../../src/layouts/ntheap";
import { walkSegmentHeap } from "../../src/walkers/segment/heap";
import { big, blockOf, load, targetOf } from "./harness";

const IMAGES: ["x86" | "x64", number, boolean][] = [];
for (const [arch, build] of [["x64", 17763], ["x64", 19041], ["x64", 22000], ["x64", 26100], ["x86", 19041]] as const) {
  for (const encodedLargeTree of [false, true]) IMAGES.push([arch, build, encodedLargeTree]);
}

function segmentsOf(heap: any) {
  return [...heap.Segments].map((s: any) => ({
    address: big(s.Address),
    baseAddress: big(s.BaseAddress),
    firstEntry: big(s.FirstEntry),
    lastValidEntry: big(s.LastValidEntry),
    committedBytes: Number(s.CommittedBytes),
    uncommittedRanges: [...s.UncommittedRanges].map((r: any) => ({ address: big(r.Address), size: Number(r.Size) })),
  }));
}

const core = (b: BlockTruth): BlockTruth => ({ address: b.address, userAddress: b.userAddress, size: b.size, userSize: b.userSize, state: b.state, kind: b.kind });

describe.each(IMAGES)("%s build %d, large tree encoded: %s", (arch, build, encodedLargeTree) => {
  const image = buildImage(arch, build, { encodedLargeTree });
  const truth = image.truth.heaps.find((h) => h.type === "Segment")!;
  const session = load(image);
  const heap = [...session.process.Heaps].find((h: any) => h.Type === "Segment");

  it("has a segment heap worth testing: both contexts, VS, LFH, page ranges of every state, large blocks", () => {
    expect(truth).toBeDefined();
    const kinds = (kind: string, state?: string) => truth.blocks.filter((b) => b.kind === kind && (!state || b.state === state)).length;
    expect(kinds("VS", "Busy")).toBeGreaterThan(0);
    expect(kinds("VS", "Free")).toBeGreaterThan(0);
    expect(kinds("LFH", "Busy")).toBeGreaterThan(0);
    expect(kinds("LFH", "Free")).toBeGreaterThan(0);
    expect(kinds("PageRange", "Busy")).toBeGreaterThan(0);
    expect(kinds("PageRange", "Free")).toBeGreaterThan(0);
    expect(kinds("Large")).toBeGreaterThan(1);
    // Context 0's segments have 4 KiB units (1 MiB), context 1's 64 KiB ones (16 MiB).
    const sizes = new Set(truth.segments.map((s) => Number(s.lastValidEntry - s.baseAddress)));
    expect([...sizes].sort((a, b) => a - b)).toEqual([0x100000, 0x1000000]);
    expect(truth.segments.some((s) => s.uncommittedRanges.length > 0)).toBe(true);
  });

  it("walks the segment heap exactly as the writer placed it, in the writer's order, with no finding", () => {
    expect(heap).toBeDefined();
    expect(big(heap.Address)).toBe(truth.address);
    expect(Number(heap.Flags)).toBe(truth.flags);
    expect([...heap.Findings].map((f: any) => `${f.Kind}: ${f.Message}`)).toEqual([]);
    expect(segmentsOf(heap)).toEqual(truth.segments);
    const walked: BlockTruth[] = [...heap.Blocks].map(blockOf);
    const expected = truth.blocks.map(core);
    expect(walked.length).toBe(expected.length);
    for (let i = 0; i < expected.length; i++) expect(walked[i]).toEqual(expected[i]);
  });

  it("gives the counters of the truth's summary", () => {
    const walk = directWalk(image, truth.address);
    expect(walk.findings).toEqual([]);
    const c = walk.segmentHeap!;
    const s = truth.segmentHeap!;
    expect({
      reservedBytes: c.reservedBytes,
      committedBytes: c.committedBytes,
      freeCommittedBytes: c.freeCommittedBytes,
      lfhFreeCommittedBytes: c.lfhFreeCommittedBytes,
      vsFreeCommittedBytes: c.vsFreeCommittedBytes,
      largeReservedBytes: c.largeReservedBytes,
      largeCommittedBytes: c.largeCommittedBytes,
    }).toEqual(s);
    expect(walk.virtualBlockCount).toBe(truth.blocks.filter((b) => b.kind === "Large").length);
    expect(c.segmentsPerContext.reduce((a, b) => a + b, 0)).toBe(truth.segments.length);
  });

  it("reads memory per structure, never per block, and creates no typed object", () => {
    const fresh = load(image);
    const segmentHeap = [...fresh.process.Heaps].find((h: any) => h.Type === "Segment");
    fresh.resetCounters();
    let blocks = 0;
    for (const _ of segmentHeap.Blocks) blocks++;
    expect(blocks).toBe(truth.blocks.length);
    const containers = truth.blocks.filter((b) => b.kind === "PageRange" && b.state === "Internal").length;
    const large = truth.blocks.filter((b) => b.kind === "Large").length;
    // A few reads for the heap, its keys and each list; per segment its list entry and
    // descriptors; per subsegment a window or two; per large block its tree node.
    const bound = 12 + 3 * truth.segments.length + 2 * containers + large;
    expect(fresh.counters.memoryReads).toBeLessThanOrEqual(bound);
    expect(fresh.counters.typedObjectsCreated).toBeLessThanOrEqual(2);
  });
});

// --- The walk in-process, for what dx does not show (the counters) -----------------------------

/** The extension's walker on a view over the image's dump and ntdll ISF, without the host. */
function directWalk(image: { dump: Uint8Array; ntdllIsf: object }, heap: bigint): HeapWalk {
  const target = targetOf(image);
  const ntdll = target.modules.find((m) => /ntdll/i.test(m.name))!;
  const types = typeSource(IsfTypes.parse(image.ntdllIsf), Number(ntdll.base));
  const memory = {
    pointerSize: target.pointerSize,
    read(address: number, length: number) {
      const bytes = readPrefix(target, address, length);
      if (bytes.length < length) throw new UnreadableMemoryError(address + bytes.length, length - bytes.length);
      return bytes;
    },
    readPrefix: (address: number, length: number) => readPrefix(target, address, length),
    readRuns: () => [],
  };
  const view = { arch: target.arch, memory, layout: resolveNtHeapLayout(types), peb: Number(target.peb), lfhKey: undefined, symbols: types };
  return walkSegmentHeap(view as unknown as NtdllView, Number(heap), 0);
}

function typeSource(isf: IsfTypes, base: number): TypeSource {
  return {
    fieldOffset(type: string, path: string) {
      let current: string | undefined = type;
      let offset = 0;
      for (const part of path.split(".")) {
        const field: IsfField | undefined = current ? isf.userType(current)?.fields.find((f) => f.name === part) : undefined;
        if (!field) return undefined;
        offset += field.offset;
        current = field.type.kind === "struct" || field.type.kind === "union" ? (field.type as { name: string }).name : undefined;
      }
      return offset;
    },
    typeSize: (type: string) => isf.userType(type)?.size,
    symbolAddress(name: string) {
      const rva = isf.symbolRva(name);
      return rva === undefined ? undefined : base + rva;
    },
  };
}

function readPrefix(target: TargetData, address: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const at = BigInt(address + done);
    const region = target.regions.find((r) => r.base <= at && at < r.base + BigInt(r.bytes.length));
    if (!region) break;
    const offset = Number(at - region.base);
    const n = Math.min(length - done, region.bytes.length - offset);
    out.set(region.bytes.subarray(offset, offset + n), done);
    done += n;
  }
  return out.subarray(0, done);
}

// --- Damaged heaps -------------------------------------------------------------------------------

interface Damaged {
  image: { dump: Uint8Array; ntdllIsf: object };
  heap: HeapTruth;
}

/** One process with one segment heap, damaged by `damage` before the dump is written. */
function damagedImage(arch: "x86" | "x64", build: number, encodedLargeTree: boolean, damage: (space: AddressSpace, layout: Layout, heap: HeapTruth) => void): Damaged {
  const keys = arch === "x64" ? { heapKey: 0x5a17c3e98d2b4f61n, lfhKey: 0x2c6e9a5bd1f3084en } : { heapKey: 0x8d2b4f61n, lfhKey: 0xd1f3084en };
  const process = new ProcessImageBuilder({ arch, build, globals: { lfhKey: 0x3c5a96e1, segmentHeapKey: keys.heapKey, segmentLfhKey: keys.lfhKey } });
  const heap = writeSegmentHeap(process.space, process.layout, keys, { seed: 11, encodedLargeTree });
  damage(process.space, process.layout, heap);
  process.addHeap(heap.address, ["PEB"]);
  return { image: process.build(), heap };
}

function walked(damaged: Damaged) {
  const session = load(damaged.image);
  const heap = [...session.process.Heaps].find((h: any) => big(h.Address) === damaged.heap.address);
  return {
    blocks: [...heap.Blocks].map(blockOf),
    findings: [...heap.Findings].map((f: any) => ({ kind: String(f.Kind), address: big(f.Address), message: String(f.Message) })),
    summaryText: session.alias("heaps").output,
  };
}

/** The rows of a container (an Internal page range) in the truth: its own blocks follow it. */
function containerOf(heap: HeapTruth, kind: "VS" | "LFH"): { range: BlockTruth; members: BlockTruth[] } {
  for (let i = 0; i < heap.blocks.length; i++) {
    const range = heap.blocks[i];
    if (range.kind !== "PageRange" || range.state !== "Internal") continue;
    const members: BlockTruth[] = [];
    for (let k = i + 1; k < heap.blocks.length && heap.blocks[k].kind === kind; k++) members.push(heap.blocks[k]);
    if (members.length >= 3) return { range, members };
  }
  throw new Error(`no ${kind} subsegment with three blocks: the image changed`);
}

const without = (heap: HeapTruth, drop: (b: BlockTruth) => boolean) => heap.blocks.filter((b) => !drop(b)).map(core);
const inRange = (b: BlockTruth, start: bigint, end: bigint) => b.address >= start && b.address < end;

describe.each([["x64", 22000], ["x64", 26100], ["x86", 19041]] as const)("damaged %s %d segment heap", (arch, build) => {
  it("a page segment whose signature fails is not walked; the other segments and the large blocks are", () => {
    let segment = 0n;
    const damaged = damagedImage(arch, build, false, (space, layout, heap) => {
      segment = heap.segments[0].address;
      const at = segment + BigInt(layout.off("_HEAP_PAGE_SEGMENT", "Signature"));
      space.u32(at, space.readU32(at) ^ 0x40);
    });
    const result = walked(damaged);
    const end = damaged.heap.segments[0].lastValidEntry;
    expect(result.findings.map((f) => [f.kind, f.address])).toEqual([["Corruption", segment]]);
    expect(result.findings[0].message).toContain("signature");
    expect(result.blocks).toEqual(without(damaged.heap, (b) => inRange(b, segment, end)));
    expect(result.blocks.some((b) => b.kind === "Large")).toBe(true);
    expect(result.summaryText).toContain(`WARNING: Corruption: page segment 0x${segment.toString(16)}`);
  });

  it("a VS chunk header that fails ends its subsegment's walk there", () => {
    let chunk: BlockTruth | undefined;
    let range: BlockTruth | undefined;
    const damaged = damagedImage(arch, build, false, (space, _layout, heap) => {
      const found = containerOf(heap, "VS");
      range = found.range;
      chunk = found.members[1];
      // The encoded size and previous-size bits (§2.5 step 3).
      space.u16(chunk.address + 2n, space.read(chunk.address + 2n, 2)[0] ^ 0x5a);
    });
    const result = walked(damaged);
    expect(result.findings.map((f) => [f.kind, f.address])).toEqual([["Corruption", chunk!.address]]);
    const end = range!.address + BigInt(range!.size);
    expect(result.blocks).toEqual(without(damaged.heap, (b) => b.kind === "VS" && b.address >= chunk!.address && b.address < end));
  });

  it("an LFH subsegment with an absurd block count lists none of its blocks", () => {
    let range: BlockTruth | undefined;
    const damaged = damagedImage(arch, build, false, (space, layout, heap) => {
      range = containerOf(heap, "LFH").range;
      space.u16(range.address + BigInt(layout.off("_HEAP_LFH_SUBSEGMENT", "BlockCount")), 0xffff);
    });
    const result = walked(damaged);
    expect(result.findings.map((f) => [f.kind, f.address])).toEqual([["Corruption", range!.address]]);
    const end = range!.address + BigInt(range!.size);
    expect(result.blocks).toEqual(without(damaged.heap, (b) => b.kind === "LFH" && inRange(b, range!.address, end)));
  });

  it("a large-block tree that loops back is cut and reported; every block before the loop is listed", () => {
    let loopAt = 0n;
    const damaged = damagedImage(arch, build, false, (space, layout, heap) => {
      // Plain tree (§2.5 step 5): find a leaf and make its left child the root.
      const tree = heap.address + BigInt(layout.off("_SEGMENT_HEAP", "LargeAllocMetadata"));
      const root = space.readPtr(tree + BigInt(layout.off("_RTL_RB_TREE", "Root")));
      const left = BigInt(layout.off("_RTL_BALANCED_NODE", "Left"));
      const right = BigInt(layout.off("_RTL_BALANCED_NODE", "Right"));
      let node = root;
      for (;;) {
        const next = space.readPtr(node + left) || space.readPtr(node + right);
        if (!next) break;
        node = next;
      }
      expect(node).not.toBe(root);
      space.ptr(node + left, root);
      loopAt = root;
    });
    const result = walked(damaged);
    expect(result.findings.map((f) => [f.kind, f.address])).toEqual([["Corruption", loopAt]]);
    expect(result.findings[0].message).toContain("loops");
    expect(result.blocks).toEqual(without(damaged.heap, () => false));
  });

  it("a large-block node whose block would overlap the heap's own header and segments is not listed, and a search does not read through them", () => {
    let node = 0n;
    let moved: BlockTruth | undefined;
    const damaged = damagedImage(arch, build, false, (space, layout, heap) => {
      // The root node (plain tree, §2.5 step 5) made to claim 2^28 pages from the _SEGMENT_HEAP on.
      const tree = heap.address + BigInt(layout.off("_SEGMENT_HEAP", "LargeAllocMetadata"));
      node = space.readPtr(tree + BigInt(layout.off("_RTL_RB_TREE", "Root"))) - BigInt(layout.off("_HEAP_LARGE_ALLOC_DATA", "TreeNode"));
      const va = node + BigInt(layout.off("_HEAP_LARGE_ALLOC_DATA", "VirtualAddress"));
      moved = heap.blocks.find((b) => b.kind === "Large" && b.address === (space.readPtr(va) & ~0xffffn));
      space.ptr(va, heap.address);
      const pages = node + BigInt(layout.off("_HEAP_LARGE_ALLOC_DATA", "AllocatedPages"));
      space.u32(pages, (space.readU32(pages) & 0xfff) | (0x10000 << 12));
      if (arch === "x64") space.u32(pages + 4n, 0x100);
    });
    const result = walked(damaged);
    expect(result.findings.map((f) => [f.kind, f.address])).toEqual([["Corruption", node]]);
    expect(result.findings[0].message).toContain(`overlaps the heap's own 0x${damaged.heap.address.toString(16)}`);
    expect(result.blocks).toEqual(without(damaged.heap, (b) => b === moved));
    const session = load(damaged.image);
    session.alias("heaps");
    session.resetCounters();
    session.alias("heapsearch", 0, 1);
    expect(session.counters.memoryReads).toBeLessThanOrEqual(100);
  });

  it("a dropped page of a VS subsegment ends its walk with an Unreadable finding naming the page", () => {
    let page = 0n;
    let range: BlockTruth | undefined;
    const damaged = damagedImage(arch, build, false, (space, _layout, heap) => {
      const found = containerOf(heap, "VS");
      range = found.range;
      // The page of the last chunk's header (never the subsegment's first page).
      const last = found.members[found.members.length - 1];
      page = last.address & ~0xfffn;
      if (page === range.address) throw new Error("the VS subsegment has one page: the image changed");
      space.drop(page, 0x1000);
    });
    const result = walked(damaged);
    expect(result.findings.map((f) => f.kind)).toEqual(["Unreadable"]);
    expect(result.findings[0].address).toBe(page);
    const end = range!.address + BigInt(range!.size);
    // Gone: every chunk from the first one the dropped page touches (a free chunk needs only its header).
    const cut = damaged.heap.blocks.find((b) => b.kind === "VS" && inRange(b, range!.address, end) &&
      b.address + BigInt(b.state === "Busy" ? b.size : arch === "x64" ? 16 : 8) > page)!;
    expect(result.blocks).toEqual(without(damaged.heap, (b) => b.kind === "VS" && b.address >= cut.address && b.address < end));
  });

  it("a dropped descriptor page leaves its segment out with an Unreadable finding; the rest is walked", () => {
    let segment = 0n;
    const damaged = damagedImage(arch, build, false, (space, _layout, heap) => {
      segment = heap.segments[heap.segments.length - 1].address;
      space.drop(segment, 0x1000);
    });
    const result = walked(damaged);
    expect(result.findings.map((f) => [f.kind, f.address])).toEqual([["Unreadable", segment]]);
    const last = damaged.heap.segments[damaged.heap.segments.length - 1];
    expect(result.blocks).toEqual(without(damaged.heap, (b) => inRange(b, segment, last.lastValidEntry)));
  });
});

describe("randomly damaged segment heaps", () => {
  it("never throw: every walk ends, each finding names an address, and the blocks stay within bounds", () => {
    let random = 0x2545f491;
    const next = (n: number) => {
      random = (Math.imul(random, 1103515245) + 12345) >>> 0;
      return (random >>> 8) % n;
    };
    let withFindings = 0;
    for (let c = 0; c < 40; c++) {
      const [arch, build] = c % 4 === 3 ? ["x86", 19041] as const : c % 4 === 2 ? ["x64", 26100] as const : ["x64", 22000] as const;
      const sites: string[] = [];
      const damaged = damagedImage(arch, build, c % 2 === 0, (space, layout, heap) => {
        for (let m = 0; m <= next(3); m++) {
          const containers = heap.blocks.filter((b) => b.kind === "PageRange" && b.state === "Internal" && b.userSize === b.size);
          const chunks = heap.blocks.filter((b) => b.kind === "VS");
          const segment = heap.segments[next(heap.segments.length)];
          const choices: [string, bigint, number][] = [
            ["descriptors", segment.address, layout.size("_HEAP_PAGE_SEGMENT")],
            ["subsegment header", containers[next(containers.length)].address, 0x48],
            ["VS chunk header", chunks[next(chunks.length)].address, arch === "x64" ? 16 : 8],
            ["segment contexts", heap.address + BigInt(layout.off("_SEGMENT_HEAP", "SegContexts")), 2 * layout.size("_HEAP_SEG_CONTEXT")],
            ["large tree", heap.address + BigInt(layout.off("_SEGMENT_HEAP", "LargeAllocMetadata")), layout.size("_RTL_RB_TREE")],
          ];
          const [what, base, span] = choices[next(choices.length)];
          const at = base + BigInt(next(span));
          space.u8(at, space.read(at, 1)[0] ^ (1 + next(255)));
          sites.push(`${what} @0x${at.toString(16)}`);
        }
      });
      let result: ReturnType<typeof walked>;
      try {
        result = walked(damaged);
      } catch (e) {
        throw new Error(`case ${c} (${arch} ${build}: ${sites.join(", ")}) threw: ${(e as Error).message}`);
      }
      if (result.findings.length > 0) withFindings++;
      for (const f of result.findings) expect(f.message.length).toBeGreaterThan(0);
      const reserved = damaged.heap.segments.reduce((n, s) => n + Number(s.lastValidEntry - s.baseAddress), 0);
      expect(result.blocks.length).toBeLessThanOrEqual(reserved / 8 + 64);
    }
    expect(withFindings).toBeGreaterThan(20);
  });
});
