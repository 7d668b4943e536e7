// The catalog of test images: a process with several NT heaps (and a segment heap where the
// build has them), pointers into busy blocks planted in thread stacks, and the truth of it all.
import { writeNtHeap, type NtHeapSpec } from "./ntheap";
import { ProcessImageBuilder, type HeapListing } from "./process";
import { writeSegmentHeap } from "./segment-heap";
import type { AddressSpace, Arch, BlockTruth, HeapTruth } from "./types";

// --- Images with allocation stacks, page heap and C++ objects (see the end of the file) -------
import { writePageHeap } from "./page-heap";
import { Program, StackTraceDatabase, Tracer, type FrameCountField } from "./stack-traces";
// --- end

export interface ImageTruth {
  arch: Arch;
  build: number;
  peb: bigint;
  /** In the order the process lists them: NT heaps (the process heap first), then the segment heap. */
  heaps: HeapTruth[];
  /** Pointers planted in thread stacks, each into a busy block. */
  references: { location: bigint; value: bigint }[];
  /** ntdll!RtlpLFHKey. */
  lfhKey: number;
}

export interface ImageOptions {
  /** Varies keys, block sizes and placement; the same seed gives the same image. */
  seed?: number;
  /** PEB.NtGlobalFlag. */
  ntGlobalFlag?: number;
  /**
   * The segment heap's LargeAllocMetadata written encoded (§2.5 step 5, UNVERIFIED reading). By
   * default it is on the builds of ENCODED_LARGE_TREE_BUILDS only, so that the catalog has both.
   */
  encodedLargeTree?: boolean;
}

/** Segment heaps appear in the images from Windows 10 1809 on (the oldest _SEGMENT_HEAP layout we have, §1.0). */
const FIRST_SEGMENT_HEAP_BUILD = 17763;
/** Builds whose images encode LargeAllocMetadata by default: a catalog choice, not a Windows fact. */
const ENCODED_LARGE_TREE_BUILDS = [22000, 26100];

/** The process heap (HEAP_GROWABLE) and two private heaps (0x1002, as !heap -s shows them, §1.2). */
function ntHeapSpecs(arch: Arch, seed: number): NtHeapSpec[] {
  // With escapes the writer makes 0x40 (extended entry) blocks on both architectures and 0x3F
  // (count after the block) ones on x64 only: their x86 location is UNVERIFIED (§2.2).
  const escapes = true;
  return [
    { seed: seed + 1, flags: 0x2, segments: 2, blocksPerSegment: 24, lfh: true, virtualAllocs: [0x21000], escapes },
    { seed: seed + 2, flags: 0x1002, segments: 1, blocksPerSegment: 16, lfh: false, virtualAllocs: [], escapes },
    { seed: seed + 3, flags: 0x1002, segments: 2, blocksPerSegment: 12, lfh: true, virtualAllocs: [0x18000, 0x2a000], escapes },
  ];
}

export function buildImage(
  arch: Arch,
  build: number,
  options: ImageOptions = {},
): { dump: Uint8Array; ntdllIsf: object; truth: ImageTruth; space: AddressSpace } {
  const seed = options.seed ?? 1;
  const random = mulberry32(seed);
  const randomPointerSized = () =>
    arch === "x64" ? (BigInt(random.u32()) << 32n) | BigInt(random.u32()) : BigInt(random.u32());
  const lfhKey = random.u32();
  const segmentHeapKey = randomPointerSized();
  const segmentLfhKey = randomPointerSized();
  const process = new ProcessImageBuilder({ arch, build, ntGlobalFlag: options.ntGlobalFlag, globals: { lfhKey, segmentHeapKey, segmentLfhKey } });
  const { space, layout } = process;

  const heaps = ntHeapSpecs(arch, seed).map((spec) => writeNtHeap(space, layout, { lfhKey }, spec));
  if (build >= FIRST_SEGMENT_HEAP_BUILD) {
    const encodedLargeTree = options.encodedLargeTree ?? ENCODED_LARGE_TREE_BUILDS.includes(build);
    heaps.push(writeSegmentHeap(space, layout, { heapKey: segmentHeapKey, lfhKey: segmentLfhKey }, { seed: seed + 4, encodedLargeTree }));
  }

  // With a process heap descriptor list (24H2, §2.1) the PEB lists only the first heap.
  const hasDescriptorList = layout.isf.symbols.RtlpProcessHeaps !== undefined;
  heaps.forEach((heap, index) => {
    const listedIn: HeapListing[] = !hasDescriptorList ? ["PEB"] : index === 0 ? ["PEB", "DescriptorList"] : ["DescriptorList"];
    process.addHeap(heap.address, listedIn);
    // The first heap added is also PEB.ProcessHeap, the default process heap (§1.1).
    heap.listedIn = index === 0 ? ["ProcessHeap", ...listedIn] : listedIn;
  });

  const references = plantReferences(process, heaps, random);
  const { dump, ntdllIsf } = process.build();
  return { dump, ntdllIsf, truth: { arch, build, peb: process.peb, heaps, references, lfhKey }, space };
}

/**
 * Pointers a leak hunt or reference search must find: to the start of a busy backend block, into
 * the middle of another, and to the start of an LFH and of a VirtualAlloc'd block where present.
 */
function plantReferences(process: ProcessImageBuilder, heaps: HeapTruth[], random: Random): { location: bigint; value: bigint }[] {
  const busy = heaps.flatMap((heap) => heap.blocks).filter((block) => block.state === "Busy" && block.userSize > 0);
  const ofKind = (kind: BlockTruth["kind"]) => busy.filter((block) => block.kind === kind);
  const backend = ofKind("Backend");
  if (backend.length < 2) throw new Error("the image needs two busy backend blocks to point into");
  const pick = (blocks: BlockTruth[]) => blocks[random.u32() % blocks.length];

  const start = pick(backend);
  const middle = pick(backend.filter((block) => block !== start));
  const values = [start.userAddress, middle.userAddress + BigInt(Math.floor(middle.userSize / 2))];
  for (const kind of ["LFH", "VirtualAlloc"] as const) {
    const blocks = ofKind(kind);
    if (blocks.length > 0) values.push(pick(blocks).userAddress);
  }
  return values.map((value) => process.plantPointer(value));
}

interface Random {
  u32(): number;
}

/** A small seeded PRNG (mulberry32): images are reproducible from their seed. */
function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return {
    u32() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (t ^ (t >>> 14)) >>> 0;
    },
  };
}

// --- Images with allocation stacks (+ust), page heap (+hpa) and C++ objects --------------------
// stack-traces.ts and page-heap.ts write them from docs/heap-structures.md §1.7, §1.8, §2.6, §2.7.

/** NtGlobalFlag bits (§1.1). */
const FLG_USER_STACK_TRACE_DB = 0x1000;
const FLG_HEAP_PAGE_ALLOCS = 0x02000000;

export interface TracedImageTruth extends ImageTruth {
  /**
   * ntdll!RtlpStackTraceDataBase's _STACK_TRACE_DATABASE, and the _RTL_STACK_TRACE_ENTRY field
   * holding the frame count ("Depth", the notes' reading, or "Index": see FrameCountField).
   * Every busy (and page-heap Freed) block has stack or noStack; objects have typeName.
   */
  traces: { database: bigint; frameCountField: FrameCountField };
}

export interface TracedImage {
  dump: Uint8Array;
  ntdllIsf: object;
  /** Symbol files by module name: ucrtbase and widgets (leaky.exe has none); write as <name>.<module>.isf.json. */
  moduleIsfs: Record<string, object>;
  truth: TracedImageTruth;
  space: AddressSpace;
}

export interface UstImageOptions {
  seed?: number;
  /** "Depth" (default, the notes' reading) or "Index" (§2.7, UNVERIFIED). */
  frameCountField?: FrameCountField;
  /** Drops the page of a trace record that busy blocks name from the dump: their noStack is TraceUnreadable. */
  dropTracePage?: boolean;
}

/**
 * A +ust process (NtGlobalFlag 0x1000, §2.7): the process heap, whose first blocks were allocated
 * before tracing began, and a private heap traced throughout; LFH on Windows 8+ only (the notes'
 * reading for Windows 7, UNVERIFIED); a VirtualAlloc'd block in each (untraced on Windows 8+).
 * No segment heap: the notes give only a heuristic for its +ust marker.
 */
export function buildUstImage(arch: Arch, build: number, options: UstImageOptions = {}): TracedImage {
  const traced = tracedProcess(arch, build, options.seed ?? 1, FLG_USER_STACK_TRACE_DB, options.frameCountField ?? "Depth");
  const { process, tracer, seed, lfhKey } = traced;
  const win8 = process.layout.has("_HEAP_USERDATA_HEADER", "EncodedOffsets");
  const nextTrace = () => tracer.next("Allocation");
  const specs: NtHeapSpec[] = [
    { seed: seed + 1, flags: 0x2, segments: 2, blocksPerSegment: 14, lfh: win8, virtualAllocs: [0x21000], escapes: true, ust: { untracedBlocks: 5, nextTrace } },
    { seed: seed + 2, flags: 0x1002, segments: 1, blocksPerSegment: 14, lfh: win8, virtualAllocs: [0x18000], escapes: false, ust: { untracedBlocks: 0, nextTrace } },
  ];
  const heaps = specs.map((spec) => writeNtHeap(process.space, process.layout, { lfhKey }, spec));
  listInPeb(process, heaps);
  plantObjects(process.space, tracer, heaps);
  if (options.dropTracePage) dropTracePage(tracer, heaps);
  return traced.finish(heaps);
}

/**
 * A +hpa process (NtGlobalFlag 0x02000000, §1.7, §2.6): two page heaps, both listed in the PEB.
 * The process heap has full-page blocks (busy, delayed-free, and one delayed-free whose pages are
 * not in the dump) and a few light ones; the other only light ones. Traces come from the same
 * database (their records as for +ust, §2.6); the debug heap's RtlDebug* functions top them.
 */
export function buildPageHeapImage(arch: Arch, build: number, options: { seed?: number } = {}): TracedImage {
  const traced = tracedProcess(arch, build, options.seed ?? 1, FLG_HEAP_PAGE_ALLOCS, "Depth");
  const { process, tracer, seed } = traced;
  const trace = (state: "Busy" | "Freed") => tracer.next(state === "Busy" ? "Allocation" : "Free", true);
  const first = writePageHeap(process, {
    seed: seed + 1,
    flags: 0x2,
    full: { busy: [0x10, 0x38, 0x80, 0x1f3, 0x400, 0xff8, 0x1000], freed: [0x40, 0x2c5], freedUnreadable: [0x100] },
    light: { busy: 2, freed: 1 },
    trace,
  });
  const second = writePageHeap(process, { seed: seed + 2, flags: 0x1002, full: { busy: [], freed: [], freedUnreadable: [] }, light: { busy: 6, freed: 2 }, trace });
  listInPeb(process, [first.pageHeap, second.pageHeap]);
  const heaps = [first.pageHeap, first.normalHeap, second.pageHeap, second.normalHeap];
  plantObjects(process.space, tracer, heaps);
  return traced.finish(heaps);
}

/** The process, its program (modules with symbols), trace database and tracer, and how to finish the image. */
function tracedProcess(arch: Arch, build: number, seed: number, ntGlobalFlag: number, frameCountField: FrameCountField) {
  const random = mulberry32(seed);
  const randomPointerSized = () => (arch === "x64" ? (BigInt(random.u32()) << 32n) | BigInt(random.u32()) : BigInt(random.u32()));
  const lfhKey = random.u32();
  const process = new ProcessImageBuilder({ arch, build, ntGlobalFlag, globals: { lfhKey, segmentHeapKey: randomPointerSized(), segmentLfhKey: randomPointerSized() } });
  if (process.layout.isf.symbols.RtlpProcessHeaps !== undefined) throw new Error("traced images model builds whose PEB lists every heap");
  const database = new StackTraceDatabase(process, frameCountField);
  const tracer = new Tracer(database, new Program(process), random);
  const finish = (heaps: HeapTruth[]): TracedImage => {
    const { dump, ntdllIsf, moduleIsfs } = process.build();
    const truth: TracedImageTruth = { arch, build, peb: process.peb, heaps, references: [], lfhKey, traces: { database: database.address, frameCountField } };
    return { dump, ntdllIsf, moduleIsfs, truth, space: process.space };
  };
  return { process, tracer, seed, lfhKey, finish };
}

/** Lists the heaps in PEB.ProcessHeaps, the first as the process heap. */
function listInPeb(process: ProcessImageBuilder, heaps: HeapTruth[]): void {
  heaps.forEach((heap, index) => {
    process.addHeap(heap.address, ["PEB"]);
    heap.listedIn = index === 0 ? ["ProcessHeap", "PEB"] : ["PEB"];
  });
}

/**
 * C++ objects: a busy block allocated on a class's call path holds that class's vftable pointer
 * first (typeName). Two raw buffers hold decoys that name no type: a pointer into a vftable past
 * its start, and a function's address.
 */
function plantObjects(space: AddressSpace, tracer: Tracer, heaps: HeapTruth[]): void {
  const candidates = heaps.flatMap((heap) => heap.blocks).filter((b) => b.state === "Busy" && b.stack && b.userSize >= 2 * space.pointerSize);
  for (const block of candidates) {
    const className = tracer.siteOf(block.stack!)?.className;
    if (!className) continue;
    space.ptr(block.userAddress, tracer.program.vftable(className));
    block.typeName = className;
  }
  const [insideVftable, functionPointer] = candidates.filter((b) => !b.typeName);
  if (!functionPointer) throw new Error("no raw buffers for the decoys");
  space.ptr(insideVftable.userAddress, tracer.program.vftable("Widget") + BigInt(space.pointerSize));
  space.ptr(functionPointer.userAddress, tracer.program.functionAddress("widgets", "Widget::Draw"));
}

/** Drops the record page of a traced block halfway through the image; every block naming a record on it loses its stack. */
function dropTracePage(tracer: Tracer, heaps: HeapTruth[]): void {
  const traced = heaps.flatMap((heap) => heap.blocks).filter((b) => b.stack);
  const target = traced[Math.floor(traced.length / 2)];
  const lost = new Set(tracer.database.dropRecordPage(tracer.recordOf(target.stack!)!).map((record) => record.address));
  const losing = traced.filter((block) => lost.has(tracer.recordOf(block.stack!)!));
  if (losing.length === traced.length) throw new Error("every trace record is on one page: dropping it would leave no readable trace");
  for (const block of losing) {
    delete block.stack;
    block.noStack = "TraceUnreadable";
  }
}
// --- end images with allocation stacks, page heap and C++ objects
