// The segment-heap kind: one or two small NT heaps and a segment heap (writeSegmentHeap: page
// segments of both contexts, VS and LFH subsegments, backend and free page ranges, Large blocks),
// the catalogue of its structures, and the mutations aimed at them. Where each structure is comes
// from the writer's truth (segments, ranges, chunks, blocks) and the layout's ISF; the encodings
// are the ones docs/heap-structures.md §2.5 gives.
import { writeNtHeap } from "../writers/ntheap";
import { writeSegmentHeap } from "../writers/segment-heap";
import type { Arch, BlockTruth, HeapTruth } from "../writers/types";
import { builtDump, describeHeaps, drawNtHeapSpec, drawProcess, listHeaps, processSide, type FuzzImage, type NtSide } from "./image";
import {
  dropDrawn,
  fieldInfo,
  hex,
  integerValue,
  mutateField,
  pageOf,
  readValue,
  writeValue,
  type DropChoice,
  type Mutation,
  type Scope,
} from "./mutations";
import type { Rng } from "./random";

export interface SegmentHeapTarget {
  /** The side whose ntdll made it (the process's; in a WOW64 process the 32-bit or the 64-bit one). */
  side: NtSide;
  heap: HeapTruth;
  /** RtlpHpHeapGlobals.HeapKey, pointer-sized. */
  heapKey: bigint;
  /** ntdll!RtlpHpHeapGlobals. */
  globals: bigint;
  /** _SEGMENT_HEAP.SegContexts[0] and [1]. */
  contexts: bigint[];
  segments: { address: bigint; unitShift: number }[];
  /** Every page range after a segment's header: its first descriptor and its truth. */
  ranges: { segment: bigint; descriptor: bigint; units: number; block: BlockTruth }[];
  vsSubsegments: { address: bigint; chunks: BlockTruth[] }[];
  lfhSubsegments: { address: bigint; blocks: BlockTruth[] }[];
  /** The _HEAP_LARGE_ALLOC_DATA of each Large block. */
  largeNodes: { node: bigint; block: BlockTruth }[];
  structures: number;
}

/** The requests a planted leak may have: routes to LFH, VS and context 0 (the writer's ROUTES). */
const LEAK_REQUESTS: readonly (readonly [(rng: Rng) => number, number])[] = [
  [(rng) => rng.int(0x10, 0x400), 2],
  [(rng) => rng.int(0x401, 0x2000), 2],
  [(rng) => rng.int(0x2001, 0x8000), 1],
];

/** One or two NT heaps and a segment heap, the process heap one time in four. */
export function buildSegmentHeapImage(rng: Rng, arch: Arch, build: number): FuzzImage {
  const { builder, globals } = drawProcess(rng, arch, build, { segmentKeys: true });
  const { space, layout } = builder;
  const ntHeaps = Array.from({ length: rng.weighted([[1, 3], [2, 2]] as const) }, (_, i) => drawNtHeapSpec(rng, i === 0)).map((spec) =>
    writeNtHeap(space, layout, { lfhKey: globals.lfhKey }, spec),
  );
  const encodedLargeTree = rng.chance(0.5);
  const leak = rng.chance(0.2) ? { request: rng.weighted(LEAK_REQUESTS)(rng), count: rng.int(2, 12) } : undefined;
  const heap = writeSegmentHeap(space, layout, { heapKey: globals.segmentHeapKey, lfhKey: globals.segmentLfhKey }, { seed: rng.u32(), encodedLargeTree, leak });
  const heaps = rng.chance(0.25) ? [heap, ...ntHeaps] : [...ntHeaps, heap];
  listHeaps(builder, heaps);
  const side = processSide(builder, ntHeaps);
  const segmentHeap = segmentHeapTarget(side, heap, globals.segmentHeapKey, builder.ntdllSymbol("RtlpHpHeapGlobals"), encodedLargeTree);
  const large = heap.blocks.filter((b) => b.kind === "Large").length;
  return {
    kind: "segment",
    arch,
    build,
    sides: [side],
    heaps,
    segmentHeaps: [segmentHeap],
    granularity: layout.granularity,
    structures: side.structures + segmentHeap.structures,
    description:
      `${arch} ${build}: ${describeHeaps(ntHeaps)}; segment heap 0x${heap.address.toString(16)}` +
      ` (${heap.segments.length} seg, ${heap.blocks.length} blocks, ${large} Large${encodedLargeTree ? " encoded" : ""}${leak ? `, leak ${leak.count} x 0x${leak.request.toString(16)}` : ""})`,
    write: () => builtDump(builder),
  };
}

/** The segment heap's structures, from its truth and, for the Large blocks' tree, the image's bytes before any damage. */
export function segmentHeapTarget(side: NtSide, heap: HeapTruth, heapKey: bigint, globals: bigint, encodedLargeTree: boolean): SegmentHeapTarget {
  const { layout, space } = side;
  const off = (type: string, path: string) => BigInt(layout.off(type, path));
  const contextSize = BigInt(layout.size("_HEAP_SEG_CONTEXT"));
  const contexts = [0n, 1n].map((i) => heap.address + off("_SEGMENT_HEAP", "SegContexts") + i * contextSize);
  // A segment is 256 units (DescArray[256], §1.9): its size gives its unit.
  const segments = heap.segments.map((s) => ({ address: s.address, unitShift: (s.lastValidEntry - s.baseAddress).toString(2).length - 1 - 8, end: s.lastValidEntry }));
  const descriptorSize = BigInt(layout.size("_HEAP_PAGE_RANGE_DESCRIPTOR"));
  const descArray = off("_HEAP_PAGE_SEGMENT", "DescArray");
  const ranges: SegmentHeapTarget["ranges"] = [];
  for (const block of heap.blocks) {
    const segment = segments.find((s) => s.address <= block.address && block.address < s.end);
    if (block.kind !== "PageRange" || !segment || block.address === segment.address) continue;
    const index = (block.address - segment.address) >> BigInt(segment.unitShift);
    ranges.push({ segment: segment.address, descriptor: segment.address + descArray + index * descriptorSize, units: block.size >> segment.unitShift, block });
  }
  const inside = (range: BlockTruth, kind: BlockTruth["kind"]) => heap.blocks.filter((b) => b.kind === kind && b.address >= range.address && b.address < range.address + BigInt(range.size));
  const vsSubsegments = ranges.map((r) => ({ address: r.block.address, chunks: inside(r.block, "VS") })).filter((s) => s.chunks.length > 0);
  const lfhSubsegments = ranges.map((r) => ({ address: r.block.address, blocks: inside(r.block, "LFH") })).filter((s) => s.blocks.length > 0);

  // LargeAllocMetadata's nodes (TreeNode first); encoded links are root ^ &tree, child ^ &node (§2.5 step 5).
  const tree = heap.address + off("_SEGMENT_HEAP", "LargeAllocMetadata");
  const left = off("_RTL_BALANCED_NODE", "Left");
  const right = off("_RTL_BALANCED_NODE", "Right");
  const decode = (holder: bigint, stored: bigint) => (stored !== 0n && encodedLargeTree ? stored ^ holder : stored);
  const large = heap.blocks.filter((b) => b.kind === "Large");
  const largeNodes: SegmentHeapTarget["largeNodes"] = [];
  const virtualAddress = off("_HEAP_LARGE_ALLOC_DATA", "VirtualAddress");
  const visit = (node: bigint) => {
    if (node === 0n || largeNodes.length > large.length) return;
    const va = space.readPtr(node + virtualAddress) & ~0xffffn;
    const block = large.find((b) => b.address === va);
    if (block) largeNodes.push({ node, block });
    visit(decode(node, space.readPtr(node + left)));
    visit(decode(node, space.readPtr(node + right)));
  };
  visit(decode(tree, space.readPtr(tree + off("_RTL_RB_TREE", "Root"))));
  if (largeNodes.length !== large.length) throw new Error(`the Large blocks' tree of 0x${heap.address.toString(16)} has ${largeNodes.length} nodes for ${large.length} blocks`);

  return {
    side,
    heap,
    heapKey,
    globals,
    contexts,
    segments: segments.map(({ address, unitShift }) => ({ address, unitShift })),
    ranges,
    vsSubsegments,
    lfhSubsegments,
    largeNodes,
    structures: 1 + heap.segments.length + heap.blocks.length + vsSubsegments.length + lfhSubsegments.length,
  };
}

// ---------------------------------------------------------------------------------------------
// The mutations.

type Mutator = (image: FuzzImage, rng: Rng) => Mutation | undefined;

/** The values' scope: the segment heap's side, its segment heap among the heaps. */
function scopeOf(target: SegmentHeapTarget): Scope {
  const { side } = target;
  return { arch: side.arch, layout: side.layout, space: side.space, heaps: [...side.heaps, target.heap] };
}

/** Runs `mutate` on one of the image's segment heaps (a segment image has one, a WOW64 one up to one per side), if it has any. */
function onSegmentHeap(mutate: (scope: Scope, target: SegmentHeapTarget, rng: Rng) => Mutation | undefined): Mutator {
  return (image, rng) => {
    const targets = image.segmentHeaps ?? [];
    if (targets.length === 0) return undefined;
    // One segment heap draws nothing: a segment case replays as it did before WOW64 images had them.
    const target = targets.length === 1 ? targets[0] : rng.pick(targets);
    return mutate(scopeOf(target), target, rng);
  };
}

/** Writes one of `values` (or a value of the usual kinds) into an integer field. */
function writeChoice(scope: Scope, rng: Rng, kind: string, type: string, struct: bigint, path: string, values: readonly number[], label = type): Mutation | undefined {
  const info = fieldInfo(scope.layout, type, path);
  if (!info) return undefined;
  const field = struct + BigInt(info.offset);
  const old = readValue(scope.space, field, info.size);
  if (old === undefined || rng.chance(0.4)) return mutateField(scope, rng, kind, type, struct, path, undefined, label);
  const value = BigInt(rng.pick(values));
  if (value === old) return undefined;
  return writeValue(scope.space, kind, `${label}@${hex(struct)}.${path}`, field, info.size, value, `0x${value.toString(16)}`);
}

const LINKS = (list: string) => [`${list}.Flink`, `${list}.Blink`];

const SEGMENT_HEAP_FIELDS = [
  "Signature",
  "Signature",
  "GlobalFlags",
  "LargeAllocMetadata.Root",
  "LargeAllocMetadata.Root",
  "LargeAllocMetadata.Min",
  "LargeReservedPages",
  "LargeCommittedPages",
  "MemStats.TotalReservedPages",
  "MemStats.TotalCommittedPages",
  "MemStats.FreeCommittedPages",
  "VsContext.FreeChunkTree.Root",
  ...LINKS("VsContext.SubsegmentList"),
  "VsContext.TotalCommittedUnits",
  "VsContext.FreeCommittedUnits",
];

const SEG_CONTEXT_FIELDS = [
  "SegmentMask",
  "SegmentMask",
  "UnitShift",
  "UnitShift",
  "PagesPerUnitShift",
  "FirstDescriptorIndex",
  "FirstDescriptorIndex",
  "Heap",
  ...LINKS("SegmentListHead"),
  "SegmentListHead.Flink",
  "SegmentCount",
  "FreePageRanges.Root",
];

/** _SEGMENT_HEAP, a _HEAP_SEG_CONTEXT, or RtlpHpHeapGlobals' keys. */
const segmentHeapField = onSegmentHeap((scope, target, rng) => {
  const draw = rng.int(0, 9);
  if (draw === 9) return mutateField(scope, rng, "segment-heap", "_RTLP_HP_HEAP_GLOBALS", target.globals, rng.pick(["HeapKey", "LfhKey"]), undefined, "ntdll!RtlpHpHeapGlobals");
  if (draw >= 5) {
    const context = rng.int(0, 1);
    return mutateField(scope, rng, "segment-heap", "_HEAP_SEG_CONTEXT", target.contexts[context], rng.pick(SEG_CONTEXT_FIELDS), target.heap, `SegContexts[${context}]: _HEAP_SEG_CONTEXT`);
  }
  return mutateField(scope, rng, "segment-heap", "_SEGMENT_HEAP", target.heap.address, rng.pick(SEGMENT_HEAP_FIELDS), target.heap);
});

/** A page segment's header: Signature (checked against the heap key, §2.5 step 1), its list links. */
const pageSegment = onSegmentHeap((scope, target, rng) => {
  const segment = rng.pick(target.segments);
  const path = rng.pick(["Signature", "Signature", "Signature", ...LINKS("ListEntry"), "SegmentCommitState"]);
  return mutateField(scope, rng, "page-segment", "_HEAP_PAGE_SEGMENT", segment.address, path, target.heap);
});

/** RangeFlags worth trying (§2.5 step 2): free, back end, LFH, VS, and nonsense. */
const RANGE_FLAGS = [0x00, 0x01, 0x03, 0x07, 0x0b, 0x0f, 0x13, 0x1f, 0xff];

/** A range's first descriptor (RangeFlags, UnitSize, UnusedBytes, a free range's Key and tree links) or a later one's UnitOffset. */
const pageRange = onSegmentHeap((scope, target, rng) => {
  const range = rng.pick(target.ranges);
  const type = "_HEAP_PAGE_RANGE_DESCRIPTOR";
  const size = BigInt(scope.layout.size(type));
  if (range.units > 1 && rng.chance(0.2)) {
    const k = rng.int(1, range.units - 1);
    return writeChoice(scope, rng, "page-range", type, range.descriptor + BigInt(k) * size, "UnitOffset", [0, k + 1, k - 1, 0xff], `descriptor ${k} of the range@${hex(range.block.address)}: ${type}`);
  }
  const label = `first descriptor of the ${range.block.state} range@${hex(range.block.address)}: ${type}`;
  const free = range.block.state === "Free";
  const path = rng.pick(["RangeFlags", "RangeFlags", "UnitSize", "UnitSize", "UnusedBytes", ...(free ? ["Key.EncodedCommittedPageCount", "Key.EncodedCommitCount", "TreeNode.Left", "TreeNode.Right", "TreeNode.ParentValue"] : [])]);
  if (path === "RangeFlags") return writeChoice(scope, rng, "page-range", type, range.descriptor, path, RANGE_FLAGS, label);
  if (path === "UnitSize") return writeChoice(scope, rng, "page-range", type, range.descriptor, path, [0, 1, range.units - 1, range.units + 1, 2 * range.units, 0xff], label);
  return mutateField(scope, rng, "page-range", type, range.descriptor, path, target.heap, label);
});

/**
 * A VS chunk: its encoded header's bytes flipped, or one clear field rewritten with the encoding
 * kept (header ^ chunk ^ HeapKey, §2.5 step 3); AllocatedChunkBits; a busy chunk's unused-bytes
 * info; a free chunk's tree links.
 */
const vsChunk = onSegmentHeap((scope, target, rng) => {
  if (target.vsSubsegments.length === 0) return undefined;
  const { layout, space } = scope;
  const chunk = rng.pick(rng.pick(target.vsSubsegments).chunks);
  const label = `${chunk.state} VS chunk@${hex(chunk.address)}`;
  const op = rng.weighted([["flip", 3], ["size", 3], ["prev", 2], ["allocated", 2], ["bits", 2], ["unused", 2], ["node", 2]] as const);
  if (op === "bits") return mutateField(scope, rng, "vs-chunk", "_HEAP_VS_CHUNK_HEADER", chunk.address, "AllocatedChunkBits", target.heap, `${label}: _HEAP_VS_CHUNK_HEADER`);
  if (op === "node") {
    if (chunk.state !== "Free") return undefined;
    const path = rng.pick(["Node.Left", "Node.Right", "Node.ParentValue"]);
    return mutateField(scope, rng, "vs-chunk", "_HEAP_VS_CHUNK_FREE_HEADER", chunk.address, path, target.heap, `${label}: _HEAP_VS_CHUNK_FREE_HEADER`);
  }
  if (op === "unused") return unusedBytesInfo(scope, rng, "vs-chunk", chunk, label);
  const bytes = layout.size("_HEAP_VS_CHUNK_HEADER_SIZE");
  const encoded = readValue(space, chunk.address, bytes);
  if (encoded === undefined) return undefined;
  const width = BigInt(8 * bytes);
  if (op === "flip") {
    let value = encoded;
    for (let n = rng.int(1, 3); n > 0; n--) value ^= BigInt(rng.int(1, 255)) << BigInt(8 * rng.int(0, bytes - 1));
    return writeValue(space, "vs-chunk", `${label} header (encoded)`, chunk.address, bytes, value, "bytes flipped");
  }
  const key = BigInt.asUintN(Number(width), chunk.address ^ target.heapKey);
  const clear = encoded ^ key;
  const field = { size: "UnsafeSize", prev: "UnsafePrevSize", allocated: "Allocated" }[op];
  const bits = fieldInfo(layout, "_HEAP_VS_CHUNK_HEADER_SIZE", field)?.bits;
  if (!bits) return undefined;
  const mask = (1n << BigInt(bits.length)) - 1n;
  const old = (clear >> BigInt(bits.position)) & mask;
  const granules = BigInt(chunk.size / layout.granularity);
  const choices: readonly (readonly [bigint, number])[] =
    op === "allocated" ? [[old ^ 1n, 3], [mask, 1]] : [[0n, 3], [1n, 2], [mask, 3], [old + 1n, 2], [old - 1n, 2], [old * 2n, 1], [op === "size" ? granules * 4n : 0n, 1], [BigInt(rng.int(0, Number(mask))), 2]];
  const value = rng.weighted(choices) & mask;
  if (value === old) return undefined;
  const rewritten = (clear & ~(mask << BigInt(bits.position))) | (value << BigInt(bits.position));
  return writeValue(space, "vs-chunk", `${label} header (clear)`, chunk.address, bytes, rewritten ^ key, `${field} 0x${value.toString(16)}, encoding kept`);
});

/** The u16 unused-bytes info in a busy VS chunk's or LFH block's last 2 bytes (§2.5 steps 3-4). */
function unusedBytesInfo(scope: Scope, rng: Rng, kind: string, block: BlockTruth, label: string): Mutation | undefined {
  if (block.state !== "Busy" || block.size < 2) return undefined;
  const at = block.address + BigInt(block.size - 2);
  const value = BigInt(rng.pick([0, 0x8000, 0x4000, 0x3fff, 0x1fff, 0xffff, block.size, block.size + 1, rng.int(0, 0xffff)]));
  const old = readValue(scope.space, at, 2);
  if (old === undefined || old === value) return undefined;
  return writeValue(scope.space, kind, `${label} unused-bytes info`, at, 2, value, `0x${value.toString(16)}`);
}

/** _HEAP_VS_SUBSEGMENT: Size and its Signature (Size ^ 0x2BED, §2.5 step 3), the list links, CommitBitmap. */
const vsSubsegment = onSegmentHeap((scope, target, rng) => {
  if (target.vsSubsegments.length === 0) return undefined;
  const subsegment = rng.pick(target.vsSubsegments);
  const path = rng.pick(["Size", "Size", "Signature", "Signature", "FullCommit", ...LINKS("ListEntry"), "CommitBitmap"]);
  return mutateField(scope, rng, "vs-subsegment", "_HEAP_VS_SUBSEGMENT", subsegment.address, path, target.heap);
});

/**
 * _HEAP_LFH_SUBSEGMENT: counts, bitmap, links, BlockOffsets' encoded bytes, or BlockSize /
 * FirstBlockOffset rewritten with the encoding kept (the key the truth gives: EncodedData XOR
 * the clear values, §2.5 step 4); an LFH block's unused-bytes info.
 */
const segmentLfh = onSegmentHeap((scope, target, rng) => {
  if (target.lfhSubsegments.length === 0) return undefined;
  const { space, layout } = scope;
  const { address, blocks } = rng.pick(target.lfhSubsegments);
  const type = "_HEAP_LFH_SUBSEGMENT";
  const draw = rng.int(0, 9);
  if (draw <= 1) {
    const block = rng.pick(blocks);
    return unusedBytesInfo(scope, rng, "seg-lfh", block, `${block.state} LFH block@${hex(block.address)}`);
  }
  if (draw <= 5) {
    const path = rng.pick(["BlockCount", "BlockCount", "FreeCount", "BlockBitmap", "BlockBitmap", ...LINKS("ListEntry"), "Owner", "BlockOffsets.EncodedData"]);
    return mutateField(scope, rng, "seg-lfh", type, address, path, target.heap);
  }
  const info = fieldInfo(layout, type, "BlockOffsets.EncodedData");
  if (!info) return undefined;
  const field = address + BigInt(info.offset);
  const encoded = readValue(space, field, 4);
  if (encoded === undefined) return undefined;
  const blockSize = blocks[0].size;
  const first = Number(blocks[0].address - address);
  const key = encoded ^ BigInt((blockSize | (first << 16)) >>> 0);
  const gran = layout.granularity;
  const [size, offset, why] = rng.weighted<[number, number, string]>([
    [[0, first, "BlockSize 0"], 2],
    [[1, first, "BlockSize 1"], 1],
    [[0xffff, first, "BlockSize 0xffff"], 2],
    [[blockSize + rng.pick([-gran, gran]), first, "BlockSize a granule off"], 2],
    [[blockSize * 2, first, "BlockSize doubled"], 1],
    [[blockSize, 0, "FirstBlockOffset 0"], 2],
    [[blockSize, 0xffff, "FirstBlockOffset 0xffff"], 2],
    [[blockSize, first + rng.pick([-gran, gran, 0x1000]), "FirstBlockOffset moved"], 2],
  ]);
  const clear = BigInt(((size & 0xffff) | ((offset & 0xffff) << 16)) >>> 0);
  return writeValue(space, "seg-lfh", `${type}@${hex(address)}.BlockOffsets (clear)`, field, 4, clear ^ key, `${why}, encoding kept`);
});

/** A Large block's _HEAP_LARGE_ALLOC_DATA: tree links, VirtualAddress (its low 16 bits UnusedBytes), AllocatedPages. */
const largeBlock = onSegmentHeap((scope, target, rng) => {
  const { node, block } = rng.pick(target.largeNodes);
  const type = "_HEAP_LARGE_ALLOC_DATA";
  const label = `Large block@${hex(block.address)}: ${type}`;
  const path = rng.pick(["TreeNode.Left", "TreeNode.Right", "TreeNode.ParentValue", "VirtualAddress", "VirtualAddress", "VirtualAddress", "AllocatedPages", "AllocatedPages"]);
  if (path === "AllocatedPages") {
    const info = fieldInfo(scope.layout, type, path);
    if (!info?.bits) return undefined;
    const at = node + BigInt(info.offset);
    const container = readValue(scope.space, at, info.size);
    if (container === undefined) return undefined;
    const mask = (1n << BigInt(info.bits.length)) - 1n;
    const old = (container >> BigInt(info.bits.position)) & mask;
    const [value, why] = integerValue({ image: scope, rng, field: at, struct: node, heap: target.heap, size: 8, old });
    const pages = value & mask;
    if (pages === old) return undefined;
    const rewritten = (container & ~(mask << BigInt(info.bits.position))) | (pages << BigInt(info.bits.position));
    return writeValue(scope.space, "large-block", `${label}@${hex(node)}.AllocatedPages`, at, info.size, rewritten, `0x${pages.toString(16)} pages (${why})`);
  }
  if (path === "VirtualAddress" && rng.chance(0.5)) {
    const size = scope.layout.pointerSize;
    const at = node + BigInt(scope.layout.off(type, path));
    const old = readValue(scope.space, at, size);
    if (old === undefined) return undefined;
    const others = target.largeNodes.filter((n) => n.block !== block);
    const [value, why] = rng.weighted<[bigint, string]>([
      [[old + 0x10000n, "the next 64 KiB"], 2],
      [[old ^ 0xffffn, "UnusedBytes 0xffff - its own"], 2],
      [[(old & ~0xffffn) | BigInt(block.size + 1), "UnusedBytes past the block"], 2],
      [[others.length > 0 ? rng.pick(others).block.address : old, "another Large block"], 1],
      [[target.heap.address, "the _SEGMENT_HEAP"], 1],
    ]);
    if (value === old) return undefined;
    return writeValue(scope.space, "large-block", `${label}@${hex(node)}.VirtualAddress`, at, size, BigInt.asUintN(8 * size, value), why);
  }
  return mutateField(scope, rng, "large-block", type, node, path, target.heap, label);
});

/** Pages of the segment heap left out of the dump. */
const segmentDrop = onSegmentHeap((scope, target, rng) => {
  const segment = rng.pick(target.segments);
  const range = rng.pick(target.ranges);
  const choices: DropChoice[] = [
    [() => [pageOf(target.heap.address), 1, `the first page of _SEGMENT_HEAP@${hex(target.heap.address)}`], 2],
    [() => [segment.address + BigInt(rng.int(0, 1)) * 0x1000n, 1, `a header page (descriptors) of page segment@${hex(segment.address)}`], 3],
    [() => [range.block.address, 1, `the first page of the ${range.block.state} range@${hex(range.block.address)}`], 2],
    [
      () => {
        if (target.vsSubsegments.length + target.lfhSubsegments.length === 0) return undefined;
        const chunk = rng.pick([...target.vsSubsegments.map((s) => s.chunks), ...target.lfhSubsegments.map((s) => s.blocks)].flat());
        return [pageOf(chunk.address), 1, `the page of the ${chunk.kind} block@${hex(chunk.address)}`];
      },
      2,
    ],
    [() => [pageOf(rng.pick(target.largeNodes).node), 1, "the Large blocks' metadata page"], 1],
    [() => [rng.pick(target.largeNodes).block.address, 1, "a Large block's first page"], 1],
    [() => [pageOf(target.globals), 1, "ntdll's data page (RtlpHpHeapGlobals)"], 1],
  ];
  return dropDrawn(scope.space, rng, choices);
});

/** The segment-heap families by name, with their weights (together about the NT families' weight). */
export const SEGMENT_HEAP_MUTATORS: readonly (readonly [string, Mutator, number])[] = [
  ["segment-heap", segmentHeapField, 8],
  ["page-segment", pageSegment, 4],
  ["page-range", pageRange, 8],
  ["vs-chunk", vsChunk, 8],
  ["vs-subsegment", vsSubsegment, 3],
  ["seg-lfh", segmentLfh, 7],
  ["large-block", largeBlock, 5],
  ["segment-drop", segmentDrop, 5],
];
