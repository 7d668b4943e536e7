// Self-consistency of the segment-heap writer, checked by a small decoder written here from
// docs/heap-structures.md ("§" below: §1.9 tables, §2.5 walk) — not from the writer, not from
// src/. It reads the dump's memory (committed pages only), so uncommitted ranges are really absent.
import { IsfTypes } from "../../nodehost/formats/isf";
import { targetFromDump } from "../../nodehost/load";
import { SparseAddressSpace } from "./address-space";
import { buildImage } from "./images";
import { layoutFor, symbolRva } from "./layout";
import { SEARCH_PATTERN_U32, SEARCH_PATTERN_U64 } from "./ntheap";
import { route, writeSegmentHeap, type SegmentHeapKeys, type SegmentHeapSpec } from "./segment-heap";
import type { Arch, BlockTruth, HeapTruth, Layout, SegmentTruth } from "./types";

const KEYS: Record<Arch, SegmentHeapKeys> = {
  x64: { heapKey: 0x3f1c55e2a9b04d17n, lfhKey: 0x6e0b8d2c71a4f359n },
  x86: { heapKey: 0xa9b04d17n, lfhKey: 0x71a4f359n },
};

class DumpMemory {
  constructor(private readonly ranges: { start: bigint; data: Uint8Array }[]) {}
  read(address: bigint, length: number): Uint8Array {
    const range = this.ranges.find((r) => r.start <= address && address + BigInt(length) <= r.start + BigInt(r.data.length));
    if (!range) throw new Error(`${address.toString(16)}+${length} is not in the dump`);
    const offset = Number(address - range.start);
    return range.data.subarray(offset, offset + length);
  }
  readable(address: bigint, length: number): boolean {
    return this.ranges.some((r) => r.start <= address && address + BigInt(length) <= r.start + BigInt(r.data.length));
  }
  uint(address: bigint, size: number): bigint {
    const bytes = this.read(address, size);
    let value = 0n;
    for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
    return value;
  }
  u8 = (a: bigint) => Number(this.uint(a, 1));
  u16 = (a: bigint) => Number(this.uint(a, 2));
  u32 = (a: bigint) => Number(this.uint(a, 4));
}

/** §1.9 descriptor fields per variant: x64 17763-22000, the newer x64 one (the images' 26100), x86. */
function descriptorFields(layout: Layout) {
  if (layout.arch === "x86") return { unusedBytes: [4, 4], rangeFlags: 0x0c, flagsMask: 0x1f, unitSize: 0x0f, committed: [0x0d, 2] } as const;
  if (layout.build >= 26100) return { unusedBytes: [6, 2], rangeFlags: 0x18, flagsMask: 0xff, unitSize: 0x1b, committed: [0x1a, 1] } as const;
  return { unusedBytes: [4, 4], rangeFlags: 0x18, flagsMask: 0xff, unitSize: 0x1f, committed: [0x1c, 2] } as const;
}

interface Range {
  address: bigint;
  bytes: number;
  descriptor: bigint;
  kind: "backend" | "lfh" | "vs" | "free";
  committedPages: number;
}

/** The decoder: §2.5 steps 1-5, the RB trees, and the counters. */
class Decoder {
  readonly x64: boolean;
  readonly ptrSize: number;
  readonly heapKey: bigint;
  readonly lfhKey: number;
  constructor(
    readonly memory: DumpMemory,
    readonly layout: Layout,
    readonly heap: bigint,
    keys: SegmentHeapKeys,
  ) {
    this.x64 = layout.arch === "x64";
    this.ptrSize = this.x64 ? 8 : 4;
    this.heapKey = keys.heapKey & (this.x64 ? 0xffffffffffffffffn : 0xffffffffn);
    this.lfhKey = Number(keys.lfhKey & 0xffffffffn);
  }
  ptr = (address: bigint) => this.memory.uint(address, this.ptrSize);
  field = (base: bigint, type: string, path: string) => base + BigInt(this.layout.off(type, path));
  heapField = (path: string) => this.field(this.heap, "_SEGMENT_HEAP", path);

  context(i: number): bigint {
    return this.heapField("SegContexts") + BigInt(i * this.layout.size("_HEAP_SEG_CONTEXT"));
  }

  list(head: bigint): bigint[] {
    const entries: bigint[] = [];
    let previous = head;
    for (let node = this.ptr(head); node !== head; node = this.ptr(node)) {
      expect(this.ptr(node + BigInt(this.ptrSize))).toBe(previous);
      entries.push(node);
      previous = node;
      if (entries.length > 1000) throw new Error("list does not close");
    }
    expect(this.ptr(head + BigInt(this.ptrSize))).toBe(previous);
    return entries;
  }

  /**
   * An RB tree's nodes in order. Encoded (bit 0 of Min): Root ^ &tree and child ^ &node, a null
   * link being 0 (§2.5 step 5, UNVERIFIED; the writer's reading). Checks parents, Min and the
   * red-black rules.
   */
  rbTree(tree: bigint): { nodes: bigint[]; encoded: boolean } {
    const minValue = this.ptr(tree + BigInt(this.ptrSize));
    const encoded = (minValue & 1n) === 1n;
    const decode = (holder: bigint, value: bigint) => {
      // A null link is stored as 0, never as 0 ^ &holder (the writer's reading).
      if (value !== 0n && encoded) expect(value).not.toBe(holder);
      return value === 0n || !encoded ? value : value ^ holder;
    };
    const nodes: bigint[] = [];
    const blackHeights = new Set<number>();
    const visit = (node: bigint, parent: bigint, parentRed: boolean, blacks: number): void => {
      if (node === 0n) {
        blackHeights.add(blacks);
        return;
      }
      if (nodes.length > 10000) throw new Error("tree does not end");
      const parentValue = this.ptr(node + BigInt(2 * this.ptrSize));
      expect(parentValue & ~3n).toBe(parent);
      const red = (parentValue & 1n) === 1n;
      expect(red && (parentRed || parent === 0n)).toBe(false);
      visit(decode(node, this.ptr(node)), node, red, blacks + (red ? 0 : 1));
      nodes.push(node);
      visit(decode(node, this.ptr(node + BigInt(this.ptrSize))), node, red, blacks + (red ? 0 : 1));
    };
    visit(decode(tree, this.ptr(tree)), 0n, false, 0);
    expect(blackHeights.size).toBe(1);
    expect(minValue & ~1n).toBe(nodes[0] ?? 0n);
    return { nodes, encoded };
  }

  /** §2.5 step 1: both contexts' segment lists, each segment's signature and mask. */
  segments(i: number): bigint[] {
    const ctx = this.context(i);
    const segments = this.list(this.field(ctx, "_HEAP_SEG_CONTEXT", "SegmentListHead"));
    expect(Number(this.ptr(this.field(ctx, "_HEAP_SEG_CONTEXT", "SegmentCount")))).toBe(segments.length);
    expect(this.ptr(this.field(ctx, "_HEAP_SEG_CONTEXT", "Heap"))).toBe(this.heap);
    const mask = this.ptr(this.field(ctx, "_HEAP_SEG_CONTEXT", "SegmentMask"));
    const constant = this.layout.build >= 26100 ? 0n : this.x64 ? 0xa2e64eada2e64eadn : 0xa2e64eadn;
    for (const segment of segments) {
      const signature = this.ptr(segment + (this.x64 ? 0x10n : 0x08n));
      expect(signature ^ segment ^ this.heapKey ^ constant).toBe(ctx);
      expect(segment & mask).toBe(segment);
    }
    return segments;
  }

  /** §2.5 step 2: the ranges of a segment, from FirstDescriptorIndex to the last unit. */
  ranges(segment: bigint, ctx: bigint): Range[] {
    const { memory } = this;
    const unitShift = memory.u8(this.field(ctx, "_HEAP_SEG_CONTEXT", "UnitShift"));
    const first = memory.u8(this.field(ctx, "_HEAP_SEG_CONTEXT", "FirstDescriptorIndex"));
    expect(memory.u8(this.field(ctx, "_HEAP_SEG_CONTEXT", "PagesPerUnitShift"))).toBe(unitShift - 12);
    const size = this.x64 ? 0x20 : 0x10;
    const f = descriptorFields(this.layout);
    const ranges: Range[] = [];
    let i = first;
    while (i < 256) {
      const descriptor = segment + BigInt(i * size);
      const flags = memory.u8(descriptor + BigInt(f.rangeFlags)) & f.flagsMask;
      const units = memory.u8(descriptor + BigInt(f.unitSize));
      expect(units).toBeGreaterThan(0);
      for (let k = 1; k < units; k++) expect(memory.u8(descriptor + BigInt(k * size + f.unitSize))).toBe(k); // UnitOffset
      const address = segment + (BigInt(i) << BigInt(unitShift));
      const bytes = units << unitShift;
      if ((flags & 3) === 3) {
        const kind = ({ 0x00: "backend", 0x08: "lfh", 0x0c: "vs" } as const)[flags & 0x1c as 0 | 8 | 0xc];
        expect(kind).toBeDefined();
        ranges.push({ address, bytes, descriptor, kind: kind!, committedPages: bytes >> 12 });
      } else {
        const [at, width] = f.committed;
        const encoded = Number(memory.uint(descriptor + BigInt(at), width));
        ranges.push({ address, bytes, descriptor, kind: "free", committedPages: ~encoded & ((1 << (8 * width)) - 1) });
      }
      i += units;
    }
    expect(i).toBe(256);
    return ranges;
  }

  /** §2.5 step 3: the VS subsegment at a range, its chunks to the range's end. */
  vsChunks(sub: bigint, bytes: number): BlockTruth[] {
    const { memory, x64 } = this;
    const size = memory.u16(sub + (x64 ? 0x20n : 0x14n));
    expect(memory.u16(sub + (x64 ? 0x22n : 0x16n)) & 0x7fff).toBe((size ^ 0x2bed) & 0x7fff);
    const header = x64 ? 0x10 : 8;
    const chunks: BlockTruth[] = [];
    let previous = 0;
    for (let c = sub + (x64 ? 0x30n : 0x18n); c < sub + BigInt(bytes); ) {
      let chunkBytes: number;
      let prevBytes: number;
      let allocated: boolean;
      if (x64) {
        const hb = memory.uint(c, 8) ^ c ^ this.heapKey;
        chunkBytes = Number((hb >> 16n) & 0xffffn) * 16;
        prevBytes = Number((hb >> 32n) & 0xffffn) * 16;
        allocated = ((hb >> 48n) & 1n) === 1n;
      } else {
        const hb = Number((memory.uint(c, 4) ^ c ^ this.heapKey) & 0xffffffffn);
        chunkBytes = ((hb >>> 1) & 0x7fff) * 8;
        prevBytes = ((hb >>> 16) & 0x7fff) * 8;
        allocated = hb >>> 31 === 1;
      }
      expect(chunkBytes).toBeGreaterThan(0);
      expect(prevBytes).toBe(previous);
      // The writer keeps chunks below 0xFF0 inside a page (§2.5 step 3's page-crossing case).
      if (chunkBytes < 0xff0) expect((c + BigInt(chunkBytes) - 1n) >> 12n).toBe(c >> 12n);
      let userSize = 0;
      if (allocated) {
        const hasUnused = (memory.u32(c + BigInt(header / 2)) >>> 8) & 1;
        let unused = 0;
        if (hasUnused) {
          const info = memory.u16(c + BigInt(chunkBytes - 2));
          unused = info & 0x8000 ? 1 : info & 0x1fff;
          if (!(info & 0x8000)) expect(info & 0x6000).toBe(0);
          expect(unused).toBeGreaterThan(0);
        }
        userSize = chunkBytes - header - unused;
      } else {
        expect(chunks[chunks.length - 1]?.state).not.toBe("Free"); // coalesced
      }
      chunks.push({ address: c, userAddress: c + BigInt(header), size: chunkBytes, userSize, kind: "VS", state: allocated ? "Busy" : "Free" });
      previous = chunkBytes;
      c += BigInt(chunkBytes);
      expect(c <= sub + BigInt(bytes)).toBe(true);
    }
    return chunks;
  }

  /** §2.5 step 4: the LFH subsegment at a range. */
  lfhBlocks(sub: bigint): BlockTruth[] {
    const { memory, x64 } = this;
    const shift = this.layout.build >= 26100 ? Number((sub >> 12n) & 0xffffffffn) : Number(sub & 0xffffffffn) >>> 12;
    const e = (memory.u32(sub + (x64 ? 0x28n : 0x18n)) ^ this.lfhKey ^ shift) >>> 0;
    const blockSize = e & 0xffff;
    const firstOffset = e >>> 16;
    const count = memory.u16(sub + (x64 ? 0x22n : 0x12n));
    const bitmap = sub + (x64 ? (this.layout.build >= 26100 ? 0x40n : 0x30n) : 0x20n);
    expect(firstOffset).toBeGreaterThanOrEqual(Number(bitmap - sub) + Math.ceil((2 * count) / 8));
    const blocks: BlockTruth[] = [];
    for (let i = 0; i < count; i++) {
      const block = sub + BigInt(firstOffset + i * blockSize);
      const bits = (memory.u8(bitmap + BigInt((2 * i) >> 3)) >> ((2 * i) & 7)) & 3;
      expect(bits).not.toBe(2); // unused-bytes info on a free block
      let userSize = 0;
      if (bits & 1) {
        let unused = 0;
        if (bits & 2) {
          const info = memory.u16(block + BigInt(blockSize - 2));
          unused = info & 0x8000 ? 1 : info & 0x3fff;
          expect(unused).toBeGreaterThan(0);
        }
        userSize = blockSize - unused;
      }
      blocks.push({ address: block, userAddress: block, size: blockSize, userSize, kind: "LFH", state: bits & 1 ? "Busy" : "Free" });
    }
    expect(blocks[blocks.length - 1].address + BigInt(blockSize)).toBeLessThanOrEqual((sub & ~0xfffn) + 0x100000n);
    expect(memory.u16(sub + (x64 ? 0x20n : 0x10n))).toBe(blocks.filter((b) => b.state === "Free").length); // FreeCount
    return blocks;
  }

  /** §2.5 step 5: the Large blocks, in tree (address) order. */
  large(): { blocks: BlockTruth[]; encoded: boolean } {
    const { memory, x64 } = this;
    const { nodes, encoded } = this.rbTree(this.heapField("LargeAllocMetadata"));
    const blocks = nodes.map((node): BlockTruth => {
      const va = x64 ? memory.uint(node + 0x18n, 8) : BigInt(memory.u32(node + 0x0cn));
      const pages = x64 ? Number(memory.uint(node + 0x20n, 8) >> 12n) : memory.u32(node + 0x10n) >>> 12;
      const address = va & ~0xffffn;
      const size = pages * 0x1000;
      return { address, userAddress: address, size, userSize: size - Number(va & 0xffffn), kind: "Large", state: "Busy" };
    });
    return { blocks, encoded };
  }

  private walked?: ReturnType<Decoder["walkOnce"]>;
  /** Everything a correct walk returns, and what the checks below need (walked once). */
  walk() {
    return (this.walked ??= this.walkOnce());
  }

  private walkOnce() {
    const segments: SegmentTruth[] = [];
    const blocks: BlockTruth[] = [];
    const ranges: (Range & { context: number })[] = [];
    for (const i of [0, 1]) {
      const ctx = this.context(i);
      const unitShift = this.memory.u8(this.field(ctx, "_HEAP_SEG_CONTEXT", "UnitShift"));
      const first = this.memory.u8(this.field(ctx, "_HEAP_SEG_CONTEXT", "FirstDescriptorIndex"));
      for (const segment of this.segments(i)) {
        const header = first << unitShift;
        blocks.push({ address: segment, userAddress: segment, size: header, userSize: header, kind: "PageRange", state: "Internal" });
        const segmentRanges = this.ranges(segment, ctx);
        segmentRanges.forEach((range, k) => {
          const { address, bytes } = range;
          ranges.push({ ...range, context: i });
          const pageRange = (state: BlockTruth["state"], userSize: number): BlockTruth => ({ address, userAddress: address, size: bytes, userSize, kind: "PageRange", state });
          if (range.kind === "free") {
            expect(segmentRanges[k - 1]?.kind).not.toBe("free"); // coalesced
            expect([0, bytes >> 12]).toContain(range.committedPages);
            expect(this.memory.readable(address, bytes)).toBe(range.committedPages > 0);
            blocks.push(pageRange("Free", 0));
            return;
          }
          expect(this.memory.readable(address, bytes)).toBe(true);
          if (range.kind === "backend") {
            const [at, width] = descriptorFields(this.layout).unusedBytes;
            blocks.push(pageRange("Busy", bytes - Number(this.memory.uint(range.descriptor + BigInt(at), width))));
          } else {
            blocks.push(pageRange("Internal", bytes), ...(range.kind === "vs" ? this.vsChunks(address, bytes) : this.lfhBlocks(address)));
          }
        });
        const uncommittedRanges = segmentRanges.filter((r) => r.kind === "free" && r.committedPages === 0).map((r) => ({ address: r.address, size: r.bytes }));
        const end = segment + (256n << BigInt(unitShift));
        segments.push({
          address: segment,
          baseAddress: segment,
          firstEntry: segment + BigInt(header),
          lastValidEntry: end,
          committedBytes: Number(end - segment) - uncommittedRanges.reduce((n, r) => n + r.size, 0),
          uncommittedRanges,
        });
      }
    }
    const large = this.large();
    blocks.push(...large.blocks);
    return { segments, blocks, ranges, largeEncoded: large.encoded };
  }
}

const LAYOUTS: [Arch, number][] = [
  ["x64", 17763],
  ["x64", 19041],
  ["x64", 22000],
  ["x64", 26100],
  ["x86", 19041],
];

function build(arch: Arch, buildNumber: number, spec: SegmentHeapSpec) {
  const layout = layoutFor(arch, buildNumber);
  const space = new SparseAddressSpace(arch);
  const truth = writeSegmentHeap(space, layout, KEYS[arch], spec);
  const decoder = new Decoder(new DumpMemory(space.toMemoryRanges()), layout, truth.address, KEYS[arch]);
  return { layout, space, truth, decoder };
}

// §1.9 tables (x64 offsets of 22000, 19041 in brackets where they differ; the newer descriptor
// and LFH subsegment on the images' 26100; x86). The decoder reads the rest by these names.
const X64_COMMON = {
  _SEGMENT_HEAP: { Signature: 0x10, GlobalFlags: 0x14, LargeAllocMetadata: 0x48, LargeReservedPages: 0x58, LargeCommittedPages: 0x60, MemStats: 0x80 },
  _HEAP_SEG_CONTEXT: { SegmentMask: 0, UnitShift: 8, PagesPerUnitShift: 9, FirstDescriptorIndex: 0xa, Heap: 0x38, SegmentListHead: 0x48, SegmentCount: 0x58, FreePageRanges: 0x60, size: 0xc0 },
  _HEAP_RUNTIME_MEMORY_STATS: { TotalReservedPages: 0, TotalCommittedPages: 8, FreeCommittedPages: 0x10, LfhFreeCommittedPages: 0x18 },
  _HEAP_PAGE_SEGMENT: { ListEntry: 0, Signature: 0x10, size: 0x2000 },
  _HEAP_VS_CONTEXT: { FreeChunkTree: 0x10, SubsegmentList: 0x20, TotalCommittedUnits: 0x30, FreeCommittedUnits: 0x38 },
  _HEAP_VS_SUBSEGMENT: { Size: 0x20, Signature: 0x22, size: 0x28 },
  _HEAP_VS_CHUNK_HEADER: { AllocatedChunkBits: 8, size: 0x10 },
  _HEAP_VS_CHUNK_FREE_HEADER: { Node: 8, size: 0x20 },
  _HEAP_LARGE_ALLOC_DATA: { TreeNode: 0, VirtualAddress: 0x18, AllocatedPages: 0x20, size: 0x28 },
  _RTL_RB_TREE: { Root: 0, Min: 8 },
  _RTL_BALANCED_NODE: { Left: 0, Right: 8, ParentValue: 0x10 },
};
const X64_DESCRIPTOR_17763_22000 = {
  _HEAP_PAGE_RANGE_DESCRIPTOR: { TreeNode: 0, UnusedBytes: 4, RangeFlags: 0x18, Key: 0x1c, UnitOffset: 0x1f, UnitSize: 0x1f, size: 0x20 },
  _HEAP_LFH_SUBSEGMENT: { FreeCount: 0x20, BlockCount: 0x22, BlockOffsets: 0x28, BlockBitmap: 0x30, size: 0x38 },
};
const EXPECTED_LAYOUT: Record<string, Record<string, Record<string, number>>[]> = {
  "x64 17763": [X64_COMMON, X64_DESCRIPTOR_17763_22000, { _SEGMENT_HEAP: { SegContexts: 0x100, VsContext: 0x280, size: 0x800 } }],
  "x64 19041": [X64_COMMON, X64_DESCRIPTOR_17763_22000, { _SEGMENT_HEAP: { SegContexts: 0x100, VsContext: 0x280, size: 0x800 } }],
  "x64 22000": [X64_COMMON, X64_DESCRIPTOR_17763_22000, { _SEGMENT_HEAP: { SegContexts: 0x140, VsContext: 0x2c0, size: 0x840 } }],
  "x64 26100": [
    X64_COMMON,
    {
      _SEGMENT_HEAP: { SegContexts: 0x140, VsContext: 0x2c0, size: 0x840 },
      _HEAP_PAGE_RANGE_DESCRIPTOR: { UnusedBytes: 6, RangeFlags: 0x18, Key: 0x1a, "Key.EncodedCommitCount": 0x1a, "Key.PageCount": 0x1b, UnitSize: 0x1b, size: 0x20 },
      _HEAP_LFH_SUBSEGMENT: { FreeCount: 0x20, BlockCount: 0x22, BlockOffsets: 0x28, BlockBitmap: 0x40, size: 0x48 },
    },
  ],
  "x86 19041": [
    {
      _SEGMENT_HEAP: { Signature: 8, GlobalFlags: 0xc, LargeAllocMetadata: 0x44, LargeReservedPages: 0x4c, LargeCommittedPages: 0x50, MemStats: 0x80, SegContexts: 0x100, VsContext: 0x200, size: 0x580 },
      _HEAP_SEG_CONTEXT: { SegmentMask: 0, UnitShift: 4, PagesPerUnitShift: 5, FirstDescriptorIndex: 6, Heap: 0x24, SegmentListHead: 0x44, SegmentCount: 0x4c, FreePageRanges: 0x50, size: 0x80 },
      _HEAP_RUNTIME_MEMORY_STATS: { TotalReservedPages: 0, TotalCommittedPages: 4, FreeCommittedPages: 8, LfhFreeCommittedPages: 0xc, size: 0x2c },
      _HEAP_PAGE_SEGMENT: { ListEntry: 0, Signature: 8, size: 0x1000 },
      _HEAP_PAGE_RANGE_DESCRIPTOR: { TreeNode: 0, UnusedBytes: 4, RangeFlags: 0xc, Key: 0xc, UnitOffset: 0xf, UnitSize: 0xf, size: 0x10 },
      _HEAP_VS_CONTEXT: { FreeChunkTree: 8, SubsegmentList: 0x10, TotalCommittedUnits: 0x18, FreeCommittedUnits: 0x1c, size: 0xc0 },
      _HEAP_VS_SUBSEGMENT: { Size: 0x14, Signature: 0x16, size: 0x18 },
      _HEAP_VS_CHUNK_HEADER: { AllocatedChunkBits: 4, size: 8 },
      _HEAP_VS_CHUNK_FREE_HEADER: { Node: 4, size: 0x10 },
      _HEAP_LFH_SUBSEGMENT: { FreeCount: 0x10, BlockCount: 0x12, BlockOffsets: 0x18, BlockBitmap: 0x20, size: 0x24 },
      _HEAP_LARGE_ALLOC_DATA: { TreeNode: 0, VirtualAddress: 0xc, AllocatedPages: 0x10, size: 0x14 },
      _RTL_RB_TREE: { Root: 0, Min: 4, size: 8 },
      _RTL_BALANCED_NODE: { Left: 0, Right: 4, ParentValue: 8, size: 0xc },
    },
  ],
};

describe.each(LAYOUTS)("segment heap writer, %s %i", (arch, buildNumber) => {
  const plain = build(arch, buildNumber, { seed: 21, encodedLargeTree: false });
  const encoded = build(arch, buildNumber, { seed: 22, encodedLargeTree: true });

  test("the layout has the §1.9 offsets", () => {
    const layout = layoutFor(arch, buildNumber);
    for (const expected of EXPECTED_LAYOUT[`${arch} ${buildNumber}`]) {
      for (const [type, fields] of Object.entries(expected)) {
        for (const [field, value] of Object.entries(fields)) {
          const actual = field === "size" ? layout.size(type) : layout.off(type, field);
          expect([type, field, actual]).toEqual([type, field, value]);
        }
      }
    }
  });

  test.each([
    ["plain", plain],
    ["encoded", encoded],
  ] as const)("the walk of the %s-tree image reproduces the truth block by block", (variant, { truth, decoder }) => {
    expect(decoder.memory.u32(decoder.heapField("Signature"))).toBe(0xddeeddee);
    expect(decoder.memory.u32(decoder.heapField("GlobalFlags"))).toBe(truth.flags);
    const walked = decoder.walk();
    expect(walked.segments).toEqual(truth.segments);
    expect(walked.blocks.length).toBe(truth.blocks.length);
    walked.blocks.forEach((block, i) => expect(block).toEqual(truth.blocks[i]));
    expect(walked.largeEncoded).toBe(variant === "encoded");
    expect(truth.type).toBe("Segment");
    expect(truth.granularity).toBe(arch === "x64" ? 16 : 8);
  });

  test("both contexts have page segments, context 0 several, with different unit sizes", () => {
    const { decoder } = plain;
    const counts = [0, 1].map((i) => decoder.segments(i).length);
    expect(counts[0]).toBeGreaterThanOrEqual(3);
    expect(counts[1]).toBeGreaterThanOrEqual(2);
    const shifts = [0, 1].map((i) => decoder.memory.u8(decoder.field(decoder.context(i), "_HEAP_SEG_CONTEXT", "UnitShift")));
    expect(shifts).toEqual([12, 16]);
  });

  test("every kind of range, chunk and block occurs, with and without unused-bytes info", () => {
    const { truth, decoder } = plain;
    const { ranges } = decoder.walk();
    for (const kind of ["backend", "lfh", "vs", "free"]) expect(ranges.some((r) => r.kind === kind)).toBe(true);
    expect(ranges.some((r) => r.kind === "free" && r.committedPages > 0)).toBe(true);
    expect(ranges.some((r) => r.kind === "free" && r.committedPages === 0 && r !== ranges[ranges.length - 1])).toBe(true);
    expect(ranges.some((r) => r.kind === "backend" && r.context === 1)).toBe(true);
    const of = (kind: BlockTruth["kind"], state: BlockTruth["state"]) => truth.blocks.filter((b) => b.kind === kind && b.state === state);
    for (const kind of ["VS", "LFH"] as const) {
      expect(of(kind, "Free").length).toBeGreaterThan(2);
      const busy = of(kind, "Busy");
      const header = kind === "VS" ? (arch === "x64" ? 16 : 8) : 0;
      const unused = busy.map((b) => b.size - header - b.userSize);
      expect(unused.filter((u) => u === 0).length).toBeGreaterThan(0);
      expect(unused.filter((u) => u === 1).length).toBeGreaterThan(0);
      // One unused byte: the 0x8000 bit alone, in the last byte (§2.5 steps 3-4).
      busy.filter((b, i) => unused[i] === 1).forEach((b) => expect(decoder.memory.u8(b.address + BigInt(b.size - 1))).toBe(0x80));
      expect(unused.filter((u) => u > 1).length).toBeGreaterThan(3);
    }
    // VS chunks over a page long, crossing page boundaries.
    expect(of("VS", "Busy").some((b) => b.size >= 0xff0 && (b.address >> 12n) !== ((b.address + BigInt(b.size) - 1n) >> 12n))).toBe(true);
    expect(new Set(of("LFH", "Busy").map((b) => b.size)).size).toBeGreaterThanOrEqual(4);
    expect(of("Large", "Busy").length).toBe(2);
  });

  test("segment signatures use the build's constant, LFH offsets its shift (§2.5 steps 1, 4)", () => {
    const { decoder, truth } = plain;
    const withConstant = buildNumber < 26100;
    const constant = arch === "x64" ? 0xa2e64eada2e64eadn : 0xa2e64eadn;
    const segment = decoder.segments(0)[0];
    const signature = decoder.ptr(segment + (arch === "x64" ? 0x10n : 0x08n));
    expect(signature ^ segment ^ decoder.heapKey ^ (withConstant ? 0n : constant)).not.toBe(decoder.context(0));
    // On x64 the subsegments lie above 4 GiB, so the two shifts differ and only the build's decodes.
    const container = truth.blocks.find((b) => b.kind === "PageRange" && b.state === "Internal" && truth.blocks[truth.blocks.indexOf(b) + 1]?.kind === "LFH")!;
    const sub = container.address;
    const other = withConstant ? Number((sub >> 12n) & 0xffffffffn) : Number(sub & 0xffffffffn) >>> 12;
    const own = withConstant ? Number(sub & 0xffffffffn) >>> 12 : Number((sub >> 12n) & 0xffffffffn);
    if (arch === "x64") expect(other).not.toBe(own);
    else expect(other).toBe(own);
  });

  test("free page ranges and free VS chunks are in their RB trees, by size", () => {
    const { decoder, truth } = plain;
    const { ranges } = decoder.walk();
    for (const i of [0, 1]) {
      const tree = decoder.rbTree(decoder.field(decoder.context(i), "_HEAP_SEG_CONTEXT", "FreePageRanges"));
      expect(tree.encoded).toBe(false);
      const free = ranges.filter((r) => r.kind === "free" && r.context === i);
      expect([...tree.nodes].sort()).toEqual(free.map((r) => r.descriptor).sort());
      const sizes = tree.nodes.map((node) => free.find((r) => r.descriptor === node)!.bytes);
      expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    }
    const chunkTree = decoder.rbTree(decoder.field(decoder.heapField("VsContext"), "_HEAP_VS_CONTEXT", "FreeChunkTree"));
    const node = arch === "x64" ? 8n : 4n;
    const freeChunks = truth.blocks.filter((b) => b.kind === "VS" && b.state === "Free");
    expect(chunkTree.nodes.map((n) => n - node).sort()).toEqual(freeChunks.map((b) => b.address).sort());
    const sizes = chunkTree.nodes.map((n) => freeChunks.find((b) => b.address === n - node)!.size);
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
  });

  test("the VS context lists its subsegments; MemStats, VS units and Large counters match the blocks", () => {
    const { decoder, truth } = plain;
    const { ranges } = decoder.walk();
    const vsRanges = ranges.filter((r) => r.kind === "vs");
    const vs = decoder.heapField("VsContext");
    expect(decoder.list(decoder.field(vs, "_HEAP_VS_CONTEXT", "SubsegmentList"))).toEqual(vsRanges.map((r) => r.address));
    const gran = arch === "x64" ? 16 : 8;
    const ptr = (type: string, base: bigint, path: string) => Number(decoder.ptr(decoder.field(base, type, path)));
    expect(ptr("_HEAP_VS_CONTEXT", vs, "TotalCommittedUnits") * gran).toBe(vsRanges.reduce((n, r) => n + r.bytes, 0));
    const freeVs = truth.blocks.filter((b) => b.kind === "VS" && b.state === "Free").reduce((n, b) => n + b.size, 0);
    expect(ptr("_HEAP_VS_CONTEXT", vs, "FreeCommittedUnits") * gran).toBe(freeVs);

    const stats = decoder.heapField("MemStats");
    const pages = (path: string) => ptr("_HEAP_RUNTIME_MEMORY_STATS", stats, path) * 0x1000;
    const reserved = truth.segments.reduce((n, s) => n + Number(s.lastValidEntry - s.baseAddress), 0);
    const committed = truth.segments.reduce((n, s) => n + s.committedBytes, 0);
    const freeCommitted = ranges.filter((r) => r.kind === "free").reduce((n, r) => n + r.committedPages * 0x1000, 0);
    const large = truth.blocks.filter((b) => b.kind === "Large");
    const largeCommitted = large.reduce((n, b) => n + b.size, 0);
    const largeReserved = Number(decoder.ptr(decoder.heapField("LargeReservedPages"))) * 0x1000;
    expect(largeReserved).toBe(large.reduce((n, b) => n + Math.ceil(b.size / 0x10000) * 0x10000, 0));
    expect(truth.segmentHeap).toEqual({
      reservedBytes: pages("TotalReservedPages"),
      committedBytes: pages("TotalCommittedPages"),
      freeCommittedBytes: pages("FreeCommittedPages"),
      lfhFreeCommittedBytes: pages("LfhFreeCommittedPages"),
      vsFreeCommittedBytes: freeVs,
      largeReservedBytes: largeReserved,
      largeCommittedBytes: Number(decoder.ptr(decoder.heapField("LargeCommittedPages"))) * 0x1000,
    });
    expect([truth.segmentHeap!.reservedBytes, truth.segmentHeap!.committedBytes, truth.segmentHeap!.freeCommittedBytes]).toEqual([reserved, committed, freeCommitted]);
    expect(truth.segmentHeap!.largeCommittedBytes).toBe(largeCommitted);
    expect(freeCommitted).toBeGreaterThan(0);
  });

  test("search patterns sit aligned in busy user data, and nowhere else in it", () => {
    const { truth, decoder } = plain;
    const pattern32 = [0x34, 0x69, 0x17, 0x77];
    const pattern64 = [...Array(8)].map((_, i) => Number((SEARCH_PATTERN_U64 >> BigInt(8 * i)) & 0xffn));
    expect(new Uint32Array(new Uint8Array(pattern32).buffer)[0]).toBe(SEARCH_PATTERN_U32);
    let hits32 = 0;
    let hits64 = 0;
    for (const b of truth.blocks.filter((x) => x.state === "Busy")) {
      const data = decoder.memory.read(b.userAddress, b.userSize);
      for (let i = 0; i + 4 <= data.length; i++) {
        if (pattern32.every((v, j) => data[i + j] === v)) {
          expect((b.userAddress + BigInt(i)) % 4n).toBe(0n);
          hits32++;
        }
        if (i + 8 <= data.length && pattern64.every((v, j) => data[i + j] === v)) {
          expect((b.userAddress + BigInt(i)) % 8n).toBe(0n);
          hits64++;
        }
      }
    }
    expect(hits32).toBeGreaterThan(5);
    expect(hits64).toBeGreaterThan(3);
  });

  test("the image stays small: a few hundred KiB besides the Large blocks", () => {
    const { space, truth } = plain;
    const bytes = space.toMemoryRanges().reduce((sum, r) => sum + r.data.length, 0);
    const largeBytes = truth.blocks.filter((b) => b.kind === "Large").reduce((sum, b) => sum + b.size, 0);
    expect(bytes - largeBytes).toBeLessThan(512 * 1024);
    expect(largeBytes).toBeLessThan(512 * 1024);
  });
});

describe("segment heap writer: leaks, determinism, variants", () => {
  const LEAKS: [string, number, number][] = [
    ["LFH", 0x208, 600],
    ["VS", 0x5d0, 40],
    ["Context0", 0x6400, 3],
    ["Context1", 0x1c000, 2],
    ["Large", 0x24000, 2],
  ];
  test.each(LEAKS.flatMap(([where, request, count]) => (["x64", "x86"] as const).map((arch) => [arch, where, request, count] as const)))(
    "%s: a leak of %s-sized blocks lands there, and the walk finds it",
    (arch, where, request, count) => {
      expect(route(request)).toBe(where);
      const { truth, decoder } = build(arch, 19041, { seed: 5, encodedLargeTree: arch === "x64", leak: { request, count } });
      const kind = { LFH: "LFH", VS: "VS", Context0: "PageRange", Context1: "PageRange", Large: "Large" }[where];
      const leaked = truth.blocks.filter((b) => b.state === "Busy" && b.userSize === request);
      expect(leaked.length).toBeGreaterThanOrEqual(count);
      expect(new Set(leaked.map((b) => b.kind))).toEqual(new Set([kind]));
      expect(decoder.walk().blocks).toEqual(truth.blocks);
    },
  );

  test("the same seed writes the same bytes; another seed does not", () => {
    const bytesOf = (space: SparseAddressSpace) => space.toMemoryRanges().map((r) => [r.start, Buffer.from(r.data).toString("hex")]);
    const spec: SegmentHeapSpec = { seed: 3, encodedLargeTree: true };
    expect(bytesOf(build("x64", 22000, spec).space)).toEqual(bytesOf(build("x64", 22000, spec).space));
    expect(bytesOf(build("x64", 22000, { ...spec, seed: 4 }).space)).not.toEqual(bytesOf(build("x64", 22000, spec).space));
  });

  test("the image catalog has both segment-signature constants, both LFH shifts and both Large-tree readings", () => {
    const seen = { constant: new Set<boolean>(), lfhShift: new Set<string>(), encoded: new Set<boolean>() };
    for (const [arch, buildNumber] of LAYOUTS) {
      const image = buildImage(arch, buildNumber);
      const heap = image.truth.heaps.find((h): h is HeapTruth => h.type === "Segment")!;
      const layout = layoutFor(arch, buildNumber);
      // The keys as the dump holds them in ntdll!RtlpHpHeapGlobals (HeapKey +0, LfhKey +8 / +4).
      const target = targetFromDump(image.dump, { ntdll: IsfTypes.parse(image.ntdllIsf) });
      const memory = new DumpMemory(target.regions.map((r) => ({ start: r.base, data: r.bytes })));
      const globals = target.modules.find((m) => /ntdll/i.test(m.name))!.base + BigInt(symbolRva(layout, "RtlpHpHeapGlobals"));
      const keys = { heapKey: memory.uint(globals, layout.pointerSize), lfhKey: BigInt(memory.u32(globals + BigInt(layout.pointerSize))) };
      const decoder = new Decoder(memory, layout, heap.address, keys);
      const walked = decoder.walk();
      expect(walked.blocks).toEqual(heap.blocks);
      seen.constant.add(buildNumber < 26100);
      const sub = heap.blocks.find((b) => b.kind === "LFH")!.address & ~0xfffn;
      if (arch === "x64" && (Number(sub & 0xffffffffn) >>> 12) !== Number((sub >> 12n) & 0xffffffffn)) seen.lfhShift.add(buildNumber >= 26100 ? "(u32)(sub >> 12)" : "(u32)sub >> 12");
      seen.encoded.add(walked.largeEncoded);
    }
    expect(seen.constant).toEqual(new Set([true, false]));
    expect(seen.lfhShift).toEqual(new Set(["(u32)(sub >> 12)", "(u32)sub >> 12"]));
    expect(seen.encoded).toEqual(new Set([true, false]));
  });
});
