// The segment-heap walker on a small heap laid out by hand from docs/heap-structures.md §2.5, on the
// real x64 22000 layout, placed above 4 GiB so that the two LFH offset encodings differ (§2.5 step
// 4): one segment with a VS subsegment, an LFH subsegment, a backend range and a free uncommitted
// range, and two large blocks in a tree stored plain or encoded. The written test images
// (test/integration/segment-heap.test.ts) are the main check; this one pins the encodings the
// images may not reach (addresses above 4 GiB, every tree decoding).
import { join } from "path";
import { IsfField, IsfTypes } from "../../nodehost/formats/isf";
import { KIND_LARGE, KIND_LFH, KIND_PAGE_RANGE, KIND_VS, STATE_BUSY, STATE_FREE, STATE_INTERNAL, HeapWalk } from "../../src/heap/records";
import { UnreadableMemoryError } from "../../src/host/memory-types";
import { TypeSource } from "../../src/host/symbols";
import { NtdllView } from "../../src/host/target";
import { resolveNtHeapLayout } from "../../src/layouts/ntheap";
import { walkSegmentHeap } from "../../src/walkers/segment/heap";

const ISF = IsfTypes.load(join(__dirname, "..", "fixtures", "layouts", "x64-10.0.22000.2538.isf.json"));
const GLOBALS = 0x7ffe0000;
const PEB = 0x7ffd0000;
// Where x64 processes have their heaps: the two LFH shifts differ in FirstBlockOffset by 0x1d3 << 4.
const HEAP = 0x1d200000000;
const SEGMENT = 0x1d300100000;
const METADATA = HEAP + 0x1000;
const LARGE = [0x1d400000000, 0x1d400100000];
const HEAP_KEY = 0x1122334455667788n;
const LFH_KEY = 0x9abcdef0;

function types(): TypeSource {
  return {
    fieldOffset(type: string, path: string) {
      let current: string | undefined = type;
      let offset = 0;
      for (const part of path.split(".")) {
        const field: IsfField | undefined = current ? ISF.userType(current)?.fields.find((f) => f.name === part) : undefined;
        if (!field) return undefined;
        offset += field.offset;
        current = field.type.kind === "struct" || field.type.kind === "union" ? (field.type as { name: string }).name : undefined;
      }
      return offset;
    },
    typeSize: (type: string) => ISF.userType(type)?.size,
    symbolAddress: (name: string) => (name === "RtlpHpHeapGlobals" ? GLOBALS : undefined),
  };
}

class Pages {
  readonly pages = new Map<number, Uint8Array>();
  commit(address: number, size: number) {
    for (let p = Math.floor(address / 4096); p < Math.ceil((address + size) / 4096); p++) if (!this.pages.has(p)) this.pages.set(p, new Uint8Array(4096));
  }
  drop(address: number) {
    this.pages.delete(Math.floor(address / 4096));
  }
  private byte(address: number): number | undefined {
    const page = this.pages.get(Math.floor(address / 4096));
    return page ? page[address % 4096] : undefined;
  }
  set(address: number, value: bigint, bytes: number) {
    for (let i = 0; i < bytes; i++) this.pages.get(Math.floor((address + i) / 4096))![(address + i) % 4096] = Number((value >> BigInt(8 * i)) & 0xffn);
  }
  readPrefix(address: number, length: number): Uint8Array {
    const out: number[] = [];
    for (let i = 0; i < length; i++) {
      const b = this.byte(address + i);
      if (b === undefined) break;
      out.push(b);
    }
    return Uint8Array.from(out);
  }
  read(address: number, length: number): Uint8Array {
    const bytes = this.readPrefix(address, length);
    if (bytes.length < length) throw new UnreadableMemoryError(address + bytes.length, length - bytes.length);
    return bytes;
  }
}

interface Options {
  build: number;
  tree: "plain" | "node" | "tree";
}

/** Writes the heap; returns the memory, the offsets used, and the blocks expected, in walk order. */
function write(options: Options) {
  const t = types();
  const off = (type: string, path: string) => t.fieldOffset(type, path)!;
  const m = new Pages();
  const B = BigInt;
  m.commit(GLOBALS, 0x40);
  m.set(GLOBALS, HEAP_KEY, 8);
  m.set(GLOBALS + 8, B(LFH_KEY), 8);
  m.commit(PEB, 0x1000);
  m.set(PEB + off("_PEB", "OSBuildNumber"), B(options.build), 2);
  m.commit(HEAP, 0x2000);
  m.set(HEAP + off("_SEGMENT_HEAP", "Signature"), 0xddeeddeen, 4);
  const ctx0 = HEAP + off("_SEGMENT_HEAP", "SegContexts");
  const ctx1 = ctx0 + ISF.userType("_HEAP_SEG_CONTEXT")!.size;
  m.set(ctx0 + off("_HEAP_SEG_CONTEXT", "SegmentMask"), 0xfffffffffff00000n, 8);
  m.set(ctx0 + off("_HEAP_SEG_CONTEXT", "UnitShift"), 12n, 1);
  m.set(ctx0 + off("_HEAP_SEG_CONTEXT", "FirstDescriptorIndex"), 2n, 1);
  const head0 = ctx0 + off("_HEAP_SEG_CONTEXT", "SegmentListHead");
  m.set(head0, B(SEGMENT), 8);
  m.set(head0 + 8, B(SEGMENT), 8);
  const head1 = ctx1 + off("_HEAP_SEG_CONTEXT", "SegmentListHead");
  m.set(head1, B(head1), 8);
  m.set(head1 + 8, B(head1), 8);

  // The segment: its descriptors in two header pages; ranges at units 2 (VS, 4 units), 6 (LFH, 2),
  // 8 (backend, 3) and 11 (free, uncommitted, 245).
  m.commit(SEGMENT, 11 * 4096);
  m.set(SEGMENT, B(head0), 8);
  m.set(SEGMENT + 8, B(head0), 8);
  const C = options.build >= 26100 ? 0n : 0xa2e64eada2e64eadn;
  m.set(SEGMENT + off("_HEAP_PAGE_SEGMENT", "Signature"), B(SEGMENT) ^ HEAP_KEY ^ C ^ B(ctx0), 8);
  const D = "_HEAP_PAGE_RANGE_DESCRIPTOR";
  const descriptor = (index: number, flags: number, units: number, unused = 0, key = 0) => {
    const d = SEGMENT + index * 0x20;
    m.set(d + off(D, "RangeFlags"), B(flags), 1);
    m.set(d + off(D, "UnusedBytes"), B(unused), 4);
    m.set(d + off(D, "Key"), B(key), 4);
    m.set(d + off(D, "UnitSize"), B(units), 1);
    for (let i = 1; i < units; i++) m.set(SEGMENT + (index + i) * 0x20 + off(D, "UnitOffset"), B(i), 1);
  };
  descriptor(2, 0x0f, 4);
  descriptor(6, 0x0b, 2);
  descriptor(8, 0x03, 3, 0x123);
  descriptor(11, 0x00, 245, 0, 0xffff); // ~0xffff: no committed page

  // VS subsegment at unit 2: Size in 16-byte units, Signature = Size ^ 0x2BED; chunks from +0x30.
  const vs = SEGMENT + 0x2000;
  const vsUnits = 0x4000 / 16;
  m.set(vs + off("_HEAP_VS_SUBSEGMENT", "Size"), B(vsUnits), 2);
  m.set(vs + off("_HEAP_VS_SUBSEGMENT", "Signature"), B(vsUnits ^ 0x2bed), 2);
  const chunk = (at: number, bytes: number, previous: number, allocated: boolean, unused?: number) => {
    const bits = (B(allocated ? 1 : 0) << 48n) | (B(previous / 16) << 32n) | (B(bytes / 16) << 16n);
    m.set(at, bits ^ B(at) ^ HEAP_KEY, 8);
    if (unused !== undefined) {
      m.set(at + 8, 0x100n, 4);
      m.set(at + bytes - 2, B(unused === 1 ? 0x8000 : unused), 2);
    }
  };
  const c1 = vs + 0x30, c2 = c1 + 0x100, c3 = c2 + 0x200;
  chunk(c1, 0x100, 0, true, 5);
  chunk(c2, 0x200, 0x100, false);
  chunk(c3, vs + 0x4000 - c3, 0x200, true);

  // LFH subsegment at unit 6: 126 blocks of 0x40 from +0x60 (after a 32-byte bitmap), filling it;
  // blocks 0, 2 (one unused byte) and 5 (0x10 unused) busy.
  const lfh = SEGMENT + 0x6000;
  const S = "_HEAP_LFH_SUBSEGMENT";
  m.set(lfh + off(S, "BlockCount"), 126n, 2);
  const shift = options.build >= 26100 ? Math.floor(lfh / 4096) % 2 ** 32 : (lfh % 2 ** 32) >>> 12;
  m.set(lfh + off(S, "BlockOffsets"), B(((0x40 | (0x60 << 16)) ^ LFH_KEY ^ shift) >>> 0), 4);
  const bitmap = (1 << 0) | (3 << 4) | (3 << 10);
  m.set(lfh + off(S, "BlockBitmap"), B(bitmap), 8);
  m.set(lfh + 0x60 + 2 * 0x40 + 0x3e, 0x8000n, 2);
  m.set(lfh + 0x60 + 5 * 0x40 + 0x3e, 0x10n, 2);

  // Large blocks: node 0 is the root, node 1 its right child.
  const tree = HEAP + off("_SEGMENT_HEAP", "LargeAllocMetadata");
  const nodes = [METADATA, METADATA + 0x40];
  const encode = (pointer: number, node: number) =>
    options.tree === "plain" ? B(pointer) : options.tree === "node" ? B(pointer) ^ B(node) : B(pointer) ^ B(tree);
  m.set(tree, encode(nodes[0], tree), 8);
  m.set(tree + 8, options.tree === "plain" ? B(nodes[0]) : B(nodes[0]) | 1n, 8);
  m.set(nodes[0] + 8, encode(nodes[1], nodes[0]), 8);
  const A = "_HEAP_LARGE_ALLOC_DATA";
  m.set(nodes[0] + off(A, "VirtualAddress"), B(LARGE[0]) | 0x80n, 8);
  m.set(nodes[0] + off(A, "AllocatedPages"), 0x20n << 12n, 8);
  m.set(nodes[1] + off(A, "VirtualAddress"), B(LARGE[1]), 8);
  m.set(nodes[1] + off(A, "AllocatedPages"), 0x100n << 12n, 8);

  const expected: [number, number, number, number, number, number][] = [
    // address, userAddress, size, userSize, state, kind
    [SEGMENT, SEGMENT, 0x2000, 0x2000, STATE_INTERNAL, KIND_PAGE_RANGE],
    [vs, vs, 0x4000, 0x4000, STATE_INTERNAL, KIND_PAGE_RANGE],
    [c1, c1 + 0x10, 0x100, 0x100 - 0x10 - 5, STATE_BUSY, KIND_VS],
    [c2, c2 + 0x10, 0x200, 0, STATE_FREE, KIND_VS],
    [c3, c3 + 0x10, vs + 0x4000 - c3, vs + 0x4000 - c3 - 0x10, STATE_BUSY, KIND_VS],
    [lfh, lfh, 0x2000, 0x2000, STATE_INTERNAL, KIND_PAGE_RANGE],
  ];
  for (let i = 0; i < 126; i++) {
    const block = lfh + 0x60 + i * 0x40;
    const userSize = i === 0 ? 0x40 : i === 2 ? 0x3f : i === 5 ? 0x30 : 0;
    expected.push([block, block, 0x40, userSize, userSize ? STATE_BUSY : STATE_FREE, KIND_LFH]);
  }
  expected.push([SEGMENT + 0x8000, SEGMENT + 0x8000, 0x3000, 0x3000 - 0x123, STATE_BUSY, KIND_PAGE_RANGE]);
  expected.push([SEGMENT + 0xb000, SEGMENT + 0xb000, 245 * 0x1000, 0, STATE_FREE, KIND_PAGE_RANGE]);
  expected.push([LARGE[0], LARGE[0], 0x20000, 0x20000 - 0x80, STATE_BUSY, KIND_LARGE]);
  expected.push([LARGE[1], LARGE[1], 0x100000, 0x100000, STATE_BUSY, KIND_LARGE]);
  return { m, t, expected, vs, lfh, nodes, tree, c2 };
}

function walk(m: Pages, t: TypeSource): HeapWalk {
  const memory = { pointerSize: 8 as const, read: m.read.bind(m), readPrefix: m.readPrefix.bind(m), readRuns: () => [] };
  const view = { arch: "x64", memory, layout: resolveNtHeapLayout(t), peb: PEB, lfhKey: undefined, symbols: t } as unknown as NtdllView;
  return walkSegmentHeap(view, HEAP, 0);
}

function rows(w: HeapWalk): [number, number, number, number, number, number][] {
  const b = w.blocks;
  const out: [number, number, number, number, number, number][] = [];
  for (let i = 0; i < b.count; i++) out.push([b.address[i], b.userAddress[i], b.size[i], b.userSize[i], b.state[i], b.kind[i]]);
  return out;
}

describe.each([
  [19041, "plain"],
  [22000, "node"],
  [22000, "tree"],
  [26100, "node"],
  [26100, "plain"],
] as const)("build %d, large tree %s", (build, tree) => {
  it("walks every component as laid out", () => {
    const { m, t, expected } = write({ build, tree });
    const w = walk(m, t);
    expect(w.findings).toEqual([]);
    expect(rows(w)).toEqual(expected);
    expect(w.segments).toEqual([{
      address: SEGMENT, baseAddress: SEGMENT, firstEntry: SEGMENT + 0x2000, lastValidEntry: SEGMENT + 0x100000,
      reservedBytes: 0x100000, committedBytes: 11 * 0x1000, uncommittedRanges: [{ address: SEGMENT + 0xb000, size: 245 * 0x1000 }],
    }]);
    expect(w.virtualBlockCount).toBe(2);
    // Containers: the VS chunks and LFH blocks point at their range's row.
    expect(Array.from(w.blocks.container)).toEqual([-1, -1, 1, 1, 1, -1, ...Array(126).fill(5), -1, -1, -1, -1]);
    expect(Array.from(w.blocks.segment)).toEqual([...Array(134).fill(0), -1, -1]);
  });

  it("the build's LFH shift is preferred, the other accepted when the build's does not fit", () => {
    const other = build >= 26100 ? 19041 : 26100;
    const { m, t, expected } = write({ build, tree });
    m.set(PEB + 0x120, BigInt(other), 2); // the process claims another build
    const w = walk(m, t);
    expect(w.findings).toEqual([]);
    expect(rows(w)).toEqual(expected);
  });
});

describe("damage ends in a finding and a partial walk", () => {
  it("a free VS chunk whose header fails: the rest of the subsegment is cut", () => {
    const { m, t, expected, c2 } = write({ build: 22000, tree: "node" });
    m.set(c2 + 2, 0x7777n, 2);
    const w = walk(m, t);
    expect(w.findings.map((f) => [f.kind, f.address])).toEqual([["Corruption", c2]]);
    expect(rows(w)).toEqual(expected.filter((r) => !(r[5] === KIND_VS && r[0] >= c2)));
  });

  it("an LFH subsegment with an absurd block count lists no block", () => {
    const { m, t, expected, lfh } = write({ build: 22000, tree: "node" });
    m.set(lfh + 0x22, 0xffffn, 2);
    const w = walk(m, t);
    expect(w.findings.map((f) => [f.kind, f.address])).toEqual([["Corruption", lfh]]);
    expect(rows(w)).toEqual(expected.filter((r) => r[5] !== KIND_LFH));
  });

  it("a looping tree is cut", () => {
    const { m, t, expected, nodes } = write({ build: 22000, tree: "plain" });
    m.set(nodes[1], BigInt(nodes[0]), 8);
    const w = walk(m, t);
    expect(w.findings.map((f) => [f.kind, f.address])).toEqual([["Corruption", nodes[0]]]);
    expect(rows(w)).toEqual(expected);
  });

  it("an unreadable page of the VS subsegment", () => {
    const { m, t, expected, vs } = write({ build: 22000, tree: "node" });
    m.drop(vs + 0x3000);
    const w = walk(m, t);
    expect(w.findings.map((f) => [f.kind, f.address])).toEqual([["Unreadable", vs + 0x3000]]);
    expect(rows(w).length).toBe(expected.length - 1);
  });
});
