// The catalog of test images: a process with several NT heaps (and a segment heap where the
// build has them), pointers into busy blocks planted in thread stacks, and the truth of it all.
import { writeNtHeap, type NtHeapSpec } from "./ntheap";
import { ProcessImageBuilder, type HeapListing, type NtdllGlobals, type ProcessOptions } from "./process";
import { writeSegmentHeap } from "./segment-heap";
import type { AddressSpace, Arch, BlockTruth, HeapTruth } from "./types";

// --- Images with allocation stacks, page heap and C++ objects (see the end of the file) -------
import { writePageHeap } from "./page-heap";
import { LEAK_SITES, Program, StackTraceDatabase, Tracer, type FrameCountField } from "./stack-traces";
// --- end
// --- Leak and triage images (see the end of the file) ---------------------------------------
import { CasePool, growthBetween, LEAK_PROCESS_OPTIONS, loadSession, plantLeakCases, programRoots, ReferencePlanter, setUpTls, suspectOf } from "./leaks";
import type { BlockTrace } from "./ntheap";
import type { GrowthTruth, LeakTruth, SuspectName, SuspectTruth, TriageTruth } from "./types";
import { Random } from "./random";
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
  /** Leak and triage images: every busy block's reachability and the references that make it. */
  leaks?: LeakTruth;
  /** Triage images: the planted leaks as a triage ranks them. */
  triage?: TriageTruth;
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
  const { process, random, globals } = seededProcess(arch, build, seed, { ntGlobalFlag: options.ntGlobalFlag });
  const { lfhKey, segmentHeapKey, segmentLfhKey } = globals;
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

/** A process whose ntdll keys are the first draws of seed's random, which the caller goes on drawing from. */
function seededProcess(arch: Arch, build: number, seed: number, options: Omit<ProcessOptions, "arch" | "build" | "globals">) {
  const random = new Random(seed);
  const randomPointerSized = () => (arch === "x64" ? (BigInt(random.u32()) << 32n) | BigInt(random.u32()) : BigInt(random.u32()));
  const lfhKey = random.u32();
  const globals: NtdllGlobals = { lfhKey, segmentHeapKey: randomPointerSized(), segmentLfhKey: randomPointerSized() };
  return { process: new ProcessImageBuilder({ arch, build, ...options, globals }), random, globals };
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
function tracedProcess(arch: Arch, build: number, seed: number, ntGlobalFlag: number, frameCountField: FrameCountField, roots: LeakRootOptions = {}) {
  const { process, random, globals } = seededProcess(arch, build, seed, { ntGlobalFlag, ...roots });
  const { lfhKey } = globals;
  if (process.layout.isf.symbols.RtlpProcessHeaps !== undefined) throw new Error("traced images model builds whose PEB lists every heap");
  const database = new StackTraceDatabase(process, frameCountField);
  const tracer = new Tracer(database, new Program(process), random);
  const finish = (heaps: HeapTruth[]): TracedImage => {
    const { dump, ntdllIsf, moduleIsfs } = process.build();
    const truth: TracedImageTruth = { arch, build, peb: process.peb, heaps, references: [], lfhKey, traces: { database: database.address, frameCountField } };
    return { dump, ntdllIsf, moduleIsfs, truth, space: process.space };
  };
  return { process, tracer, seed, lfhKey, finish, random, globals };
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

// --- Leak and triage images (leaks.ts; the semantics: LeakTruth in types.ts) -------------------

type LeakRootOptions = Pick<ProcessOptions, "peHeaders" | "threadContexts">;

export interface LeakImage {
  dump: Uint8Array;
  ntdllIsf: object;
  /** session.dll's symbol file, and with stacks ucrtbase's and widgets'. */
  moduleIsfs: Record<string, object>;
  truth: ImageTruth & { leaks: LeakTruth; traces?: TracedImageTruth["traces"] };
  space: AddressSpace;
  /** The process written (writeFiles writes the image's files). */
  process: ProcessImageBuilder;
}

/**
 * A process whose every busy block is reachable but for the planted cases of leaks.ts
 * plantLeakCases: three NT heaps (the process heap and two private ones) with back-end, LFH and
 * three VirtualAlloc'd blocks; threads 0 and 1 with a CONTEXT, thread 2 without; leaky.exe and
 * session.dll with PE headers and static TLS; a private buffer. LFH on Windows 7 too (no +ust).
 */
export function buildLeakImage(arch: Arch, build: number, options: { seed?: number } = {}): LeakImage {
  const seed = options.seed ?? 1;
  const { process, random, globals } = seededProcess(arch, build, seed, LEAK_PROCESS_OPTIONS);
  if (process.layout.isf.symbols.RtlpProcessHeaps !== undefined) throw new Error("leak images model builds whose PEB lists every heap");
  loadSession(process);
  const specs: NtHeapSpec[] = [
    { seed: seed + 1, flags: 0x2, segments: 2, blocksPerSegment: 40, lfh: true, virtualAllocs: [0x21000], escapes: true },
    { seed: seed + 2, flags: 0x1002, segments: 2, blocksPerSegment: 24, lfh: true, virtualAllocs: [0x18000, 0x2a000], escapes: true },
    { seed: seed + 3, flags: 0x1002, segments: 1, blocksPerSegment: 16, lfh: false, virtualAllocs: [], escapes: false },
  ];
  const heaps = specs.map((spec) => writeNtHeap(process.space, process.layout, { lfhKey: globals.lfhKey }, spec));
  listInPeb(process, heaps);

  const planter = new ReferencePlanter(process, heaps, random);
  const pool = new CasePool(planter, heaps.flatMap((heap) => heap.blocks), random);
  setUpTls(planter, threadCount(), (bytes) => pool.atLeast(bytes, heaps[0]));
  const cases = plantLeakCases(planter, pool);
  planter.linkAll(pool.rest.filter((block) => block.state === "Busy" && block.userSize > 0), programRoots(planter));
  return leakImage(process, heaps, globals.lfhKey, planter.finish(cases));
}

/**
 * The shape of a triage image: the legitimate allocations (busy blocks per segment of the process
 * heap and of a private heap, each referenced from the program's roots) and the planted leaks,
 * each in a heap of its own:
 * - smallBlocks (a): count blocks of request bytes from one stack (LEAK_SITES.cache; without
 *   stacks, of a size no other block has), none reachable;
 * - giant (b): a VirtualAlloc'd block without a stack, referenced only from session!g_frameCache;
 * - lfhBucket (c): `subsegments` LFH subsegments of `blocks` blocks, each busy one of request
 *   bytes; leakShare of them from one stack (LEAK_SITES.undo, Gadget objects), unreachable, the
 *   others from the program's other stacks, reachable (needs stacks);
 * - segmentHeapLeak: a segment heap whose every busy block of request bytes is unreachable.
 * churnSeed: another population for the private heap (a later snapshot's churn).
 */
export interface TriageImageSpec {
  /** +ust (NtGlobalFlag 0x1000): blocks carry their allocation stacks. */
  stacks: boolean;
  legitimate: { processHeap: number; privateHeap: number };
  smallBlocks?: { request: number; count: number };
  giant?: { request: number };
  lfhBucket?: { request: number; subsegments: number; blocks: number; leakShare: number };
  segmentHeapLeak?: { request: number; count: number };
  seed?: number;
  churnSeed?: number;
}

/** The catalog's triage images: one planted leak each (the x64 giant is 4 MiB, as in docs/seeds.md seed 000). */
export const TRIAGE_SHAPES = {
  smallBlocks: { stacks: true, legitimate: { processHeap: 120, privateHeap: 100 }, smallBlocks: { request: 0x48, count: 3000 } },
  // Seed 2: with seed 1 an x86 ntdll key reads as a pointer into the giant.
  giant: { stacks: true, legitimate: { processHeap: 120, privateHeap: 100 }, giant: { request: 0x400000 }, seed: 2 },
  lfhBucket: { stacks: true, legitimate: { processHeap: 120, privateHeap: 100 }, lfhBucket: { request: 0x48, subsegments: 4, blocks: 128, leakShare: 0.75 } },
  noStacks: { stacks: false, legitimate: { processHeap: 120, privateHeap: 100 }, smallBlocks: { request: 0x1c8, count: 1500 } },
} as const satisfies Record<string, TriageImageSpec>;

export type TriageImage = LeakImage & { truth: { triage: TriageTruth } };

/** A triage image (see TriageImageSpec); its truth's suspects are the planted leaks. */
export function buildTriageImage(arch: Arch, build: number, spec: TriageImageSpec): TriageImage {
  const seed = spec.seed ?? 1;
  const traced = spec.stacks ? tracedProcess(arch, build, seed, FLG_USER_STACK_TRACE_DB, "Depth", LEAK_PROCESS_OPTIONS) : undefined;
  const { process, random, globals } = traced ?? seededProcess(arch, build, seed, LEAK_PROCESS_OPTIONS);
  const tracer = traced?.tracer;
  if (process.layout.isf.symbols.RtlpProcessHeaps !== undefined) throw new Error("triage images model builds whose PEB lists every heap");
  if (spec.lfhBucket && !tracer) throw new Error("an LFH bucket's leak is told apart by its stack: it needs stacks");
  loadSession(process);
  const { space, layout } = process;
  const write = (heapSpec: NtHeapSpec) => writeNtHeap(space, layout, { lfhKey: globals.lfhKey }, heapSpec);
  const untraced = Number.MAX_SAFE_INTEGER;
  const ust = (untracedBlocks: number, nextTrace: () => BlockTrace) => (tracer ? { ust: { untracedBlocks, nextTrace } } : {});
  const legitimate = () => tracer!.next("Allocation");
  // The private heap draws its blocks' stacks apart, so that churnSeed changes them and nothing else.
  const privateSeed = spec.churnSeed ?? seed + 2;
  const churn = tracer && new Tracer(tracer.database, tracer.program, new Random(privateSeed));

  const { processHeap, privateHeap } = spec.legitimate;
  const heaps = [
    write({ seed: seed + 1, flags: 0x2, segments: 2, blocksPerSegment: processHeap, lfh: true, virtualAllocs: [], escapes: true, ...ust(5, legitimate) }),
    write({ seed: privateSeed, flags: 0x1002, segments: 2, blocksPerSegment: privateHeap, lfh: true, virtualAllocs: [], escapes: true, ...ust(0, () => churn!.next("Allocation")) }),
  ];
  const planted: Partial<Record<SuspectName, { heap: HeapTruth; blocks: (heap: HeapTruth) => BlockTruth[] }>> = {};
  const busy = (heap: HeapTruth) => heap.blocks.filter((b) => b.state === "Busy");
  if (spec.smallBlocks) {
    const { request } = spec.smallBlocks;
    const heap = write({ seed: seed + 3, flags: 0x1002, segments: 2, blocksPerSegment: 2, lfh: false, virtualAllocs: [], escapes: false, leak: spec.smallBlocks, ...ust(untraced, () => tracer!.of(LEAK_SITES.cache, 0)) });
    // Its only traced blocks are the leak's; without stacks, its blocks of the leak's size.
    planted.smallBlocks = { heap, blocks: (h) => busy(h).filter((b) => (tracer ? b.stack !== undefined : b.userSize === request && b.kind === "Backend")) };
  }
  if (spec.lfhBucket) {
    const { request, subsegments, blocks, leakShare } = spec.lfhBucket;
    const blockGranules = Math.ceil(request / layout.granularity) + 3; // +ust: 3 granules of headers (§2.7)
    const share = new Random(seed + 5); // apart from the tracer's draws, so that a later snapshot keeps the leak
    const nextTrace = () => (share.u32() < leakShare * 0x1_0000_0000 ? tracer!.of(LEAK_SITES.undo, 0) : legitimate());
    const lfhSubsegments = Array.from({ length: subsegments }, () => ({ blockGranules, blocks, request }));
    const heap = write({ seed: seed + 4, flags: 0x1002, segments: 1, blocksPerSegment: 8, lfh: true, lfhSubsegments, virtualAllocs: [], escapes: false, ...ust(untraced, nextTrace) });
    planted.lfhBucket = { heap, blocks: (h) => busy(h).filter((b) => b.stack && tracer!.siteOf(b.stack) === LEAK_SITES.undo) };
  }
  if (spec.giant) {
    const heap = write({ seed: seed + 6, flags: 0x1002, segments: 1, blocksPerSegment: 6, lfh: false, virtualAllocs: [spec.giant.request], escapes: false, ...ust(0, legitimate) });
    planted.giant = { heap, blocks: (h) => busy(h).filter((b) => b.kind === "VirtualAlloc") };
  }
  if (spec.segmentHeapLeak) {
    const { request } = spec.segmentHeapLeak;
    const heap = writeSegmentHeap(space, layout, { heapKey: globals.segmentHeapKey, lfhKey: globals.segmentLfhKey }, { seed: seed + 7, encodedLargeTree: false, leak: spec.segmentHeapLeak });
    planted.segmentHeap = { heap, blocks: (h) => busy(h).filter((b) => b.userSize === request) };
  }
  heaps.push(...Object.values(planted).map((p) => p.heap));
  listInPeb(process, heaps);
  if (tracer) {
    plantObjects(space, tracer, heaps.filter((heap) => heap !== heaps[1]));
    plantObjects(space, churn!, [heaps[1]]);
  }

  const leaked = Object.fromEntries(Object.entries(planted).map(([name, p]) => [name, p.blocks(p.heap)])) as Partial<Record<SuspectName, BlockTruth[]>>;
  if (spec.smallBlocks && leaked.smallBlocks!.length !== spec.smallBlocks.count) throw new Error("a block of the private heap has the leak's size: pick another seed");
  const planter = new ReferencePlanter(process, heaps, random);
  const pool = new CasePool(planter, heaps.flatMap((heap) => heap.blocks), random);
  setUpTls(planter, threadCount(), (bytes) => pool.atLeast(bytes, heaps[0]));
  const giant = leaked.giant?.[0];
  if (giant) planter.refer(planter.global("session", "g_frameCache"), giant);
  const held = new Set([...Object.values(leaked).flat(), ...(giant ? [giant] : [])]);
  planter.linkAll(pool.rest.filter((b) => b.state === "Busy" && b.userSize > 0 && !held.has(b)), programRoots(planter));
  const leaks = planter.finish(leaked as Record<string, BlockTruth[]>);

  const referrer = giant && { location: process.symbolAddress("session", "g_frameCache"), symbol: "session!g_frameCache" };
  const suspects = Object.fromEntries(Object.entries(leaked).map(([name, blocks]) => [name, suspectOf(heaps, blocks, name === "giant" ? referrer : undefined)]));
  const image = leakImage(process, heaps, globals.lfhKey, leaks, traced && { database: traced.tracer.database.address, frameCountField: "Depth" });
  return { ...image, truth: { ...image.truth, triage: { stacks: spec.stacks, suspects: suspects as Partial<Record<SuspectName, SuspectTruth>> } } };
}

/**
 * The same process at two times: later has `later` changed in its spec (more leaked blocks, a
 * churned private heap), the same modules and symbols. growth: per allocation stack, what the
 * busy blocks gained from earlier to later, the biggest first.
 */
export function buildTriagePair(arch: Arch, build: number, spec: TriageImageSpec, later: Partial<TriageImageSpec>): { earlier: TriageImage; later: TriageImage; growth: GrowthTruth[] } {
  const earlier = buildTriageImage(arch, build, spec);
  const after = buildTriageImage(arch, build, { ...spec, ...later });
  return { earlier, later: after, growth: growthBetween(earlier.truth.heaps, after.truth.heaps) };
}

/** The catalog's pair: the smallBlocks shape, 600 more leaked blocks and a new private-heap population later. */
export const TRIAGE_PAIR = { spec: { ...TRIAGE_SHAPES.smallBlocks, smallBlocks: { request: 0x48, count: 2400 } }, later: { smallBlocks: { request: 0x48, count: 3000 }, churnSeed: 101 } } as const;

function threadCount(): number {
  return LEAK_PROCESS_OPTIONS.threadContexts!.length;
}

function leakImage(process: ProcessImageBuilder, heaps: HeapTruth[], lfhKey: number, leaks: LeakTruth, traces?: TracedImageTruth["traces"]): LeakImage {
  const { arch, build } = process.layout;
  const { dump, ntdllIsf, moduleIsfs } = process.build();
  // ImageTruth.references: the pointers planted in thread stacks.
  const references = leaks.references.filter((r) => r.holder.kind === "stack").map((r) => ({ location: r.location!, value: r.value }));
  return { dump, ntdllIsf, moduleIsfs, truth: { arch, build, peb: process.peb, heaps, references, lfhKey, leaks, ...(traces && { traces }) }, space: process.space, process };
}
// --- end leak and triage images
