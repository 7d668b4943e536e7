// The process a fuzz case starts from, and the catalogue of the structures its mutations aim at,
// read from the image before any damage. Four kinds of image (kinds.ts draws one per case):
// - "nt": one to three small NT heaps (back end, uncommitted ranges, free lists, LFH UserBlocks
//   where the draw says so, VirtualAlloc'd blocks) composed with the writers' ProcessImageBuilder
//   and writeNtHeap, listed in the PEB and, where the layout has one, in ntdll's heap descriptor list;
// - "segment": one or two of those and a segment heap (segment-heap.ts);
// - "page": a +hpa process of page heaps (page-heap.ts);
// - "wow64": a WOW64 process's NT heaps on both sides (some +ust, some with a segment heap on
//   either side), seen from either dump (wow64.ts).
// This file has what they share: the image, one ntdll's NT catalogue (NtSide), the NT kind.
import { writeNtHeap, type NtHeapSpec } from "../writers/ntheap";
import { Program, StackTraceDatabase, Tracer } from "../writers/stack-traces";
import { ProcessImageBuilder, type HeapListing, type NtdllGlobals, type ProcessOptions } from "../writers/process";
import type { AddressSpace, Arch, BlockTruth, HeapTruth, Layout } from "../writers/types";
import type { Rng } from "./random";
import type { PageHeapsTarget } from "./page-heap";
import type { SegmentHeapTarget } from "./segment-heap";
import { traceTarget, type TraceTarget } from "./traces";
import type { Wow64Target } from "./wow64";

/** Below _HEAP.VirtualMemoryThreshold's 64 KiB the writer would not make VirtualAlloc'd blocks consistent with it. */
const VIRTUAL_ALLOC_MIN = 0x11000;
const VIRTUAL_ALLOC_MAX = 0x30000;
/** PEB.NtGlobalFlag's FLG_USER_STACK_TRACE_DB (docs/heap-structures.md §2.7). */
export const FLG_USER_STACK_TRACE_DB = 0x1000;
/** The share of nt images with +ust. */
const UST_SHARE = 0.4;

export type ImageKind = "nt" | "segment" | "page" | "wow64";

export interface UcrDescriptorTarget {
  heap: HeapTruth;
  segment: bigint;
  descriptor: bigint;
}

export interface ContainerTarget {
  heap: HeapTruth;
  /** The backend block holding the UserBlocks. */
  block: BlockTruth;
  /** The _HEAP_USERDATA_HEADER. */
  userBlocks: bigint;
  /** The _HEAP_SUBSEGMENT its header names. */
  subsegment: bigint;
  /** The LFH blocks inside it. */
  blocks: BlockTruth[];
}

/** The NT heap targets of one ntdll: the process's, or one side of a WOW64 process. */
export interface NtSide {
  arch: Arch;
  layout: Layout;
  space: AddressSpace;
  /** How the targets name this side's PEB: "PEB", or "PEB32" / "PEB64" in a WOW64 process. */
  pebName: string;
  peb: bigint;
  /** PEB.ProcessHeaps. */
  processHeapsArray: bigint;
  /** Its NT heaps (a page heap's NormalHeap included). */
  heaps: HeapTruth[];
  /** ntdll!RtlpProcessHeaps and the descriptors on it, where the layout has the list. */
  descriptorHead?: bigint;
  descriptors: bigint[];
  /** ntdll!RtlpLFHKey. */
  lfhKeyAddress: bigint;
  ucrDescriptors: UcrDescriptorTarget[];
  containers: ContainerTarget[];
  /** _HEAP.FrontEndHeap of each heap with LFH. */
  lfhHeaps: { heap: HeapTruth; address: bigint }[];
  /** _HEAP_VIRTUAL_ALLOC_ENTRY of each VirtualAlloc'd block. */
  virtualAllocs: { heap: HeapTruth; entry: bigint; block: BlockTruth }[];
  /** Heaps, segments, blocks, uncommitted ranges, LFH containers and heap descriptors. */
  structures: number;
}

export interface FuzzImage {
  kind: ImageKind;
  /** The dump's architecture and build. */
  arch: Arch;
  build: number;
  /** The NT heap targets, one side per ntdll the extension reads (two in a WOW64 process's 64-bit view). */
  sides: NtSide[];
  /** The heaps @$curprocess.Heaps lists, in its order: the commands' arguments come from them. */
  heaps: HeapTruth[];
  /** The segment heaps the view lists (the segment kind's one; a WOW64 image's, at most one per side). */
  segmentHeaps?: SegmentHeapTarget[];
  pageHeaps?: PageHeapsTarget;
  wow64?: Wow64Target;
  /** The +ust trace databases and the blocks naming their records (nt and wow64 images with +ust, page images): one per ntdll the view shows. */
  traces?: TraceTarget[];
  /** The smallest granularity of its heaps: the unit of the unbounded-collection check. */
  granularity: number;
  /** Runs before the commands (".effmach x86"). */
  setup?: string;
  /** What the writers placed, for the read budget (see budget.ts ImageSize). */
  structures: number;
  /** One line about the image's shape. */
  description: string;
  /** The dump and the types files it goes with, by module key ("ntdll", "ntdll_77a60000", "ucrtbase"). */
  write(): { dump: Uint8Array; isfs: Record<string, object> };
}

/** Draws the spec of one small NT heap; the first heap of a process is HEAP_GROWABLE only. */
export function drawNtHeapSpec(rng: Rng, first: boolean): NtHeapSpec {
  const virtualAllocs = Array.from({ length: rng.weighted([[0, 2], [1, 3], [2, 2]] as const) }, () => rng.int(VIRTUAL_ALLOC_MIN, VIRTUAL_ALLOC_MAX) & ~0xf);
  return {
    seed: rng.u32(),
    flags: first ? 0x2 : rng.pick([0x1002, 0x1002, 0x1062, 0x2]),
    segments: rng.weighted([[1, 3], [2, 4], [3, 2]] as const),
    blocksPerSegment: rng.int(4, 20),
    lfh: rng.chance(0.7),
    virtualAllocs,
    // The writer's 0x40 escape works on both architectures, the 0x3F one on x64 only (it decides).
    escapes: rng.chance(0.7),
    leak: rng.chance(0.2) ? { request: rng.int(0x10, 0x300), count: rng.int(2, 24) } : undefined,
  };
}

/** A process of the layout with drawn ntdll keys (pointer-sized segment-heap keys where `segmentKeys`). */
export function drawProcess(rng: Rng, arch: Arch, build: number, options: Pick<ProcessOptions, "ntGlobalFlag"> & { segmentKeys?: boolean } = {}): { builder: ProcessImageBuilder; globals: NtdllGlobals } {
  const lfhKey = rng.u32();
  const key = () => (options.segmentKeys ? rng.bits(arch === "x64" ? 8 : 4) : 0n);
  const globals: NtdllGlobals = { lfhKey, segmentHeapKey: key(), segmentLfhKey: key() };
  return { builder: new ProcessImageBuilder({ arch, build, globals, ntGlobalFlag: options.ntGlobalFlag }), globals };
}

/**
 * Lists the heaps as buildImage does: in the PEB or, with a descriptor list (24H2, docs §2.1),
 * the first heap in the PEB and every heap in the list; the first is the process heap.
 */
export function listHeaps(builder: ProcessImageBuilder, heaps: HeapTruth[]): void {
  const hasDescriptorList = builder.layout.isf.symbols.RtlpProcessHeaps !== undefined;
  heaps.forEach((heap, index) => {
    const listedIn: HeapListing[] = !hasDescriptorList ? ["PEB"] : index === 0 ? ["PEB", "DescriptorList"] : ["DescriptorList"];
    builder.addHeap(heap.address, listedIn);
    heap.listedIn = index === 0 ? ["ProcessHeap", ...listedIn] : listedIn;
  });
}

/**
 * The NT kind: one to three NT heaps; in 40 % of the images a +ust process (NtGlobalFlag 0x1000,
 * §2.7): a trace database, the first heap's first 0–5 busy blocks allocated before tracing began,
 * every later busy block traced (Windows 8+: extended blocks naming their record, LFH 0xC2, no
 * trace on VirtualAlloc'd blocks; Windows 7: _HEAP_ENTRY_EXTRA's index, no LFH), the frame count
 * in Depth or, a quarter of the time, in Index (§2.7 UNVERIFIED).
 */
export function buildNtImage(rng: Rng, arch: Arch, build: number): FuzzImage {
  const ust = rng.chance(UST_SHARE);
  const { builder, globals } = drawProcess(rng, arch, build, ust ? { ntGlobalFlag: FLG_USER_STACK_TRACE_DB } : {});
  const heapCount = rng.weighted([[1, 3], [2, 4], [3, 2]] as const);
  const specs = Array.from({ length: heapCount }, (_, i) => drawNtHeapSpec(rng, i === 0));
  const database = ust ? new StackTraceDatabase(builder, rng.chance(0.75) ? "Depth" : "Index") : undefined;
  if (database) {
    const tracer = new Tracer(database, new Program(builder), rng);
    // The notes' reading: no LFH with +ust on Windows 7 (§2.7; the writer refuses it).
    const win8 = builder.layout.has("_HEAP_USERDATA_HEADER", "EncodedOffsets");
    specs.forEach((spec, i) => {
      spec.ust = { untracedBlocks: i === 0 ? rng.int(0, 5) : 0, nextTrace: () => tracer.next("Allocation") };
      if (!win8) spec.lfh = false;
    });
  }
  const heaps = specs.map((spec) => writeNtHeap(builder.space, builder.layout, { lfhKey: globals.lfhKey }, spec));
  listHeaps(builder, heaps);
  const side = processSide(builder, heaps);
  const traces = database ? traceTarget(side, database, builder.ntdllSymbol("RtlpStackTraceDataBase"), heaps) : undefined;
  return {
    kind: "nt",
    arch,
    build,
    sides: [side],
    heaps,
    traces: traces && [traces],
    granularity: builder.layout.granularity,
    // The database header and its records, as the page kind counts them.
    structures: side.structures + (traces ? 1 + traces.records.length : 0),
    description: `${arch} ${build}${traces ? ` +ust (${traces.records.length} traces, frame count in ${traces.frameCountField})` : ""}: ${describeHeaps(heaps)}`,
    write: () => builtDump(builder),
  };
}

/** The dump of a ProcessImageBuilder's process and its types files (ntdll's, and the loaded modules'). */
export function builtDump(builder: ProcessImageBuilder): { dump: Uint8Array; isfs: Record<string, object> } {
  const { dump, ntdllIsf, moduleIsfs } = builder.build();
  return { dump, isfs: { ntdll: ntdllIsf, ...moduleIsfs } };
}

/** The NT catalogue of a ProcessImageBuilder's process. */
export function processSide(builder: ProcessImageBuilder, heaps: HeapTruth[]): NtSide {
  return ntSide({ layout: builder.layout, space: builder.space, pebName: "PEB", peb: builder.peb, heaps, ntdllSymbol: (name) => builder.ntdllSymbol(name) });
}

/** Reads the NT catalogue of one ntdll's side: the PEB's heap array, descriptors, UCRs, LFH containers, VirtualAlloc entries. */
export function ntSide(options: { layout: Layout; space: AddressSpace; pebName: string; peb: bigint; heaps: HeapTruth[]; ntdllSymbol: (name: string) => bigint }): NtSide {
  const { layout, space, peb, heaps } = options;
  const off = (type: string, field: string) => BigInt(layout.off(type, field));
  const flink = off("_LIST_ENTRY", "Flink");
  /** The entries of a circular list, head excluded, at most 64. */
  const listEntries = (head: bigint): bigint[] => {
    const entries: bigint[] = [];
    for (let entry = space.readPtr(head + flink); entry !== head && entries.length < 64; entry = space.readPtr(entry + flink)) entries.push(entry);
    return entries;
  };

  const processHeapsArray = space.readPtr(peb + off("_PEB", "ProcessHeaps"));
  const descriptorHead = layout.isf.symbols.RtlpProcessHeaps !== undefined ? options.ntdllSymbol("RtlpProcessHeaps") : undefined;
  const descriptors = descriptorHead === undefined ? [] : listEntries(descriptorHead).map((link) => link - off("_RTLP_PROCESS_HEAP_DESCRIPTOR", "DescriptorLink"));

  const ucrDescriptors: UcrDescriptorTarget[] = [];
  const containers: ContainerTarget[] = [];
  const lfhHeaps: NtSide["lfhHeaps"] = [];
  const virtualAllocs: NtSide["virtualAllocs"] = [];
  const userBlocksSubSegment = layout.off("_HEAP_USERDATA_HEADER", "SubSegment");
  for (const heap of heaps) {
    for (const segment of heap.segments) {
      for (const entry of listEntries(segment.address + off("_HEAP_SEGMENT", "UCRSegmentList"))) {
        ucrDescriptors.push({ heap, segment: segment.address, descriptor: entry - off("_HEAP_UCR_DESCRIPTOR", "SegmentEntry") });
      }
    }
    const lfhBlocks = heap.blocks.filter((b) => b.kind === "LFH");
    for (const block of heap.blocks) {
      if (block.kind !== "Backend" || block.state !== "Internal") continue;
      const end = block.address + BigInt(block.size);
      const inside = lfhBlocks.filter((b) => b.address >= block.userAddress && b.address < end);
      if (inside.length === 0) continue;
      const userBlocks = block.userAddress;
      containers.push({ heap, block, userBlocks, subsegment: space.readPtr(userBlocks + BigInt(userBlocksSubSegment)), blocks: inside });
    }
    const frontEnd = space.readPtr(heap.address + off("_HEAP", "FrontEndHeap"));
    if (frontEnd !== 0n) lfhHeaps.push({ heap, address: frontEnd });
    for (const block of heap.blocks) {
      if (block.kind === "VirtualAlloc") virtualAllocs.push({ heap, entry: block.address - off("_HEAP_VIRTUAL_ALLOC_ENTRY", "BusyBlock"), block });
    }
  }

  const structures =
    heaps.length + heaps.reduce((sum, h) => sum + h.segments.length + h.blocks.length, 0) + ucrDescriptors.length + containers.length + descriptors.length;
  return {
    arch: layout.arch,
    layout,
    space,
    pebName: options.pebName,
    peb,
    processHeapsArray,
    heaps,
    descriptorHead,
    descriptors,
    lfhKeyAddress: options.ntdllSymbol("RtlpLFHKey"),
    ucrDescriptors,
    containers,
    lfhHeaps,
    virtualAllocs,
    structures,
  };
}

/** The NT heaps' shapes: address, segments, blocks, LFH and VirtualAlloc'd blocks. */
export function describeHeaps(heaps: HeapTruth[]): string {
  return heaps
    .map((heap) => {
      const count = (kind: BlockTruth["kind"]) => heap.blocks.filter((b) => b.kind === kind).length;
      return `0x${heap.address.toString(16)} (${heap.segments.length} seg, ${heap.blocks.length} blocks, ${count("LFH")} LFH, ${count("VirtualAlloc")} VA)`;
    })
    .join(", ");
}
