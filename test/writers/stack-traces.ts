// Allocation stacks for the test images: the user-mode stack trace database (+ust) whose records
// blocks point at (docs/heap-structures.md §1.8, §2.6, §2.7), and the program whose code the
// frames run through: modules with symbol files (functions, C++ vftables) and one without.
// RVAs, sizes and call paths below are ours, not Windows facts; only the record layout is.
import { NTDLL_FUNCTIONS } from "./layout";
import type { BlockTrace } from "./ntheap";
import type { ModuleSpec } from "./process";
import type { AddressSpace, Layout, StackTruth } from "./types";
import type { Random } from "./random";

const PAGE = 0x1000;

// ---------------------------------------------------------------------------------------------
// The database.

/**
 * What the database needs of a process: its memory, its ntdll's layout and globals. A
 * ProcessImageBuilder, or one side of a WOW64 process (each ntdll keeps its own database).
 */
export interface TraceProcess {
  readonly space: AddressSpace;
  readonly layout: Layout;
  ntdllSymbol(name: string): bigint;
}

/** What the program needs of a process besides its memory: modules to load, their bases, WinDbg's names of addresses. */
export interface ProgramProcess {
  readonly space: AddressSpace;
  loadModule(spec: ModuleSpec): bigint;
  moduleBase(name: string): bigint;
  symbolize(address: bigint): string;
}

/**
 * Which _RTL_STACK_TRACE_ENTRY field holds the frame count (§2.7): "Depth" as the layout names
 * it (the notes' reading), or "Index", as dlg_help_utils reads +ust records (UNVERIFIED). With
 * "Index" the two fields swap: Index holds the frame count and Depth the trace's index.
 */
export type FrameCountField = "Depth" | "Index";

export interface TraceRecord {
  /** The _RTL_STACK_TRACE_ENTRY. */
  address: bigint;
  /** Its index: EntryIndexArray[-index] points at it (§1.8). */
  index: number;
  frames: bigint[];
}

/** One reservation: the header page, records upward from the next page, the index array downward from the end. */
const DATABASE_RESERVE = 0x20000;
/** dlg_help_utils takes 0 < depth < 32 as valid (§2.7); BackTrace has 32 slots (§1.8). */
const MAX_FRAMES = 31;

/**
 * ntdll!RtlpStackTraceDataBase and the _STACK_TRACE_DATABASE it points to (§1.8). Records are
 * whole _RTL_STACK_TRACE_ENTRYs (BackTrace slots past the frame count are 0) that never straddle
 * a page, so dropping a page makes exactly its records unreadable. The hash buckets stay empty
 * (NumberOfBuckets 0): readers find records through blocks and EntryIndexArray, not by hash.
 */
export class StackTraceDatabase {
  readonly address: bigint;
  private readonly layout: Layout;
  private readonly entrySize: number;
  private readonly perPage: number;
  /** EntryIndexArray: slot i (i = 1 … NumberOfEntriesAdded) lies at EntryIndexArray - i pointers. */
  private readonly entryIndexArray: bigint;
  private readonly byFrames = new Map<string, TraceRecord & { count: number }>();
  private lookups = 0;

  constructor(
    private readonly process: TraceProcess,
    readonly frameCountField: FrameCountField,
  ) {
    const { space, layout } = process;
    this.layout = layout;
    this.entrySize = layout.size("_RTL_STACK_TRACE_ENTRY");
    this.perPage = Math.floor(PAGE / this.entrySize);
    this.address = space.reserve(DATABASE_RESERVE);
    this.entryIndexArray = this.address + BigInt(DATABASE_RESERVE);
    space.commit(this.address, PAGE);
    space.ptr(process.ntdllSymbol("RtlpStackTraceDataBase"), this.address);
    this.writeHeader();
  }

  /** The record of these frames (innermost first): the existing one, its TraceCount raised, or a new one. */
  add(frames: bigint[]): TraceRecord {
    if (frames.length < 1 || frames.length > MAX_FRAMES) throw new Error(`a trace of ${frames.length} frames`);
    this.lookups++;
    const key = frames.join(",");
    let record = this.byFrames.get(key);
    if (!record) {
      record = { ...this.place(this.byFrames.size + 1), frames, count: 0 };
      this.byFrames.set(key, record);
      this.writeRecord(record);
    }
    record.count++;
    this.writeTraceCount(record);
    this.writeHeader();
    return { address: record.address, index: record.index, frames };
  }

  get records(): TraceRecord[] {
    return [...this.byFrames.values()].map(({ address, index, frames }) => ({ address, index, frames }));
  }

  /** Drops the page holding a record from the dump; returns the records that were on it. */
  dropRecordPage(record: bigint): TraceRecord[] {
    const page = record - (record % BigInt(PAGE));
    if (page === this.address) throw new Error("the first page holds the database header");
    this.process.space.drop(page, PAGE);
    return this.records.filter((r) => r.address >= page && r.address < page + BigInt(PAGE));
  }

  private field(base: bigint, type: string, name: string): bigint {
    return base + BigInt(this.layout.off(type, name));
  }

  /** Record i (from 1): page (i-1)/perPage after the header page; its index array slot below the end. */
  private place(index: number): { address: bigint; index: number } {
    const { space } = this.process;
    const page = this.address + BigInt(PAGE * (1 + Math.floor((index - 1) / this.perPage)));
    const address = page + BigInt(((index - 1) % this.perPage) * this.entrySize);
    const slot = this.entryIndexArray - BigInt(index * space.pointerSize);
    if (slot < address + BigInt(this.entrySize)) throw new Error("the trace database is full");
    space.commit(page, PAGE);
    space.commit(slot, space.pointerSize);
    space.ptr(slot, address);
    return { address, index };
  }

  private writeRecord(record: TraceRecord): void {
    const { space } = this.process;
    const entry = (name: string) => this.field(record.address, "_RTL_STACK_TRACE_ENTRY", name);
    const [countField, indexField] = this.frameCountField === "Depth" ? ["Depth", "Index"] : ["Index", "Depth"];
    space.u16(entry(countField), record.frames.length);
    space.u16(entry(indexField), record.index);
    record.frames.forEach((frame, i) => space.ptr(entry("BackTrace") + BigInt(i * space.pointerSize), frame));
  }

  /** TraceCount: how many allocations logged the trace; 11 bits from Windows 8, a ULONG before (§1.8). */
  private writeTraceCount(record: TraceRecord & { count: number }): void {
    const { space } = this.process;
    const address = this.field(record.address, "_RTL_STACK_TRACE_ENTRY", "TraceCount");
    if (this.layout.isf.user_types._RTL_STACK_TRACE_ENTRY.fields.TraceCount.type.kind === "bitfield") {
      space.u16(address, Math.min(record.count, 0x7ff));
    } else {
      space.u32(address, record.count);
    }
  }

  private writeHeader(): void {
    const { space } = this.process;
    const header = (name: string) => this.field(this.address, "_STACK_TRACE_DATABASE", name);
    const count = this.byFrames.size;
    const lowerEnd = this.address + BigInt(PAGE * (1 + Math.ceil(count / this.perPage)));
    const upperStart = this.entryIndexArray - BigInt(count * space.pointerSize);
    space.ptr(header("CommitBase"), this.address);
    if (this.layout.has("_STACK_TRACE_DATABASE", "LowerMemoryStart")) space.ptr(header("LowerMemoryStart"), this.address + BigInt(PAGE));
    space.ptr(header("CurrentLowerCommitLimit"), lowerEnd);
    space.ptr(header("CurrentUpperCommitLimit"), upperStart - (upperStart % BigInt(PAGE)));
    space.ptr(header("NextFreeLowerMemory"), count === 0 ? this.address + BigInt(PAGE) : this.lastRecordEnd());
    space.ptr(header("NextFreeUpperMemory"), upperStart);
    space.u32(header("NumberOfEntriesLookedUp"), this.lookups);
    space.u32(header("NumberOfEntriesAdded"), count);
    space.ptr(header("EntryIndexArray"), this.entryIndexArray);
  }

  private lastRecordEnd(): bigint {
    const last = [...this.byFrames.values()].pop()!;
    return last.address + BigInt(this.entrySize);
  }
}

// ---------------------------------------------------------------------------------------------
// The program: modules, functions, vftables, call paths.

interface ProgramModule {
  path: string;
  size: number;
  /** Name → RVA and size; the symbol file gets the RVAs only (an ISF symbol has no size). */
  functions: Record<string, { rva: number; size: number }>;
  /** Class → its vftable's RVA and slots (functions of this module). */
  vftables: Record<string, { rva: number; slots: string[] }>;
}

/** The C runtime: malloc/free paths go through it. */
const UCRTBASE: ProgramModule = {
  path: "C:\\Windows\\System32\\ucrtbase.dll",
  size: 0x100000,
  functions: {
    malloc: { rva: 0x1b3e0, size: 0x20 },
    _malloc_base: { rva: 0x1b400, size: 0x90 },
    _calloc_base: { rva: 0x1c120, size: 0xb0 },
    free: { rva: 0x1c2a0, size: 0x20 },
    _free_base: { rva: 0x1c2c0, size: 0x50 },
  },
  vftables: {},
};

/** The C++ library whose objects fill the heaps; a vftable per class, named as WinDbg shows it. */
const WIDGETS: ProgramModule = {
  path: "C:\\dxheap\\widgets.dll",
  size: 0x40000,
  functions: {
    "operator new": { rva: 0x1120, size: 0x40 },
    "Widget::Create": { rva: 0x2340, size: 0x180 },
    "Widget::Release": { rva: 0x24c0, size: 0x90 },
    "Widget::Draw": { rva: 0x2550, size: 0x110 },
    "Widget::`scalar deleting destructor'": { rva: 0x2660, size: 0x50 },
    "Gadget::Clone": { rva: 0x2a10, size: 0x120 },
    "Gadget::Draw": { rva: 0x2b30, size: 0xe0 },
    "Gadget::`scalar deleting destructor'": { rva: 0x2c10, size: 0x50 },
    "Sprocket::Make": { rva: 0x3050, size: 0x200 },
    "Sprocket::Spin": { rva: 0x3250, size: 0x90 },
    "Sprocket::`scalar deleting destructor'": { rva: 0x32e0, size: 0x50 },
    "BufferPool::Grow": { rva: 0x3800, size: 0x140 },
  },
  vftables: {
    Widget: { rva: 0x28010, slots: ["Widget::`scalar deleting destructor'", "Widget::Draw"] },
    Gadget: { rva: 0x28030, slots: ["Gadget::`scalar deleting destructor'", "Gadget::Draw"] },
    Sprocket: { rva: 0x28050, slots: ["Sprocket::`scalar deleting destructor'", "Sprocket::Spin"] },
  },
};

/** A frame: module, function (null in a module without symbols: the RVA is the offset), offset. */
type FrameSpec = readonly [module: "ntdll" | "ucrtbase" | "widgets" | "leaky" | "wow64" | "wow64win" | "wow64cpu", fn: string | null, offset: number];

/**
 * A call path, innermost frame first, without its outermost frame: one of CALLERS, so that the
 * same path from different callers makes different traces. className: what the allocation becomes.
 */
export interface CallSite {
  name: string;
  className?: string;
  frames: readonly FrameSpec[];
}

const HEAP_ALLOC: readonly FrameSpec[] = [
  ["ntdll", "RtlpAllocateHeapInternal", 0x4b2],
  ["ntdll", "RtlAllocateHeap", 0x3d],
];
const MALLOC: readonly FrameSpec[] = [...HEAP_ALLOC, ["ucrtbase", "_malloc_base", 0x36]];
const NEW: readonly FrameSpec[] = [...MALLOC, ["widgets", "operator new", 0x1b]];
const HEAP_FREE: readonly FrameSpec[] = [
  ["ntdll", "RtlpFreeHeapInternal", 0x21c],
  ["ntdll", "RtlFreeHeap", 0x51],
];

/** Allocation paths: three that build objects, three that allocate raw memory (leaky.exe has no symbols). */
export const ALLOCATION_SITES: readonly CallSite[] = [
  { name: "widget", className: "Widget", frames: [...NEW, ["widgets", "Widget::Create", 0x5e], ["leaky", null, 0x1a4c]] },
  { name: "gadget", className: "Gadget", frames: [...NEW, ["widgets", "Gadget::Clone", 0x44], ["leaky", null, 0x1b7e]] },
  { name: "sprocket", className: "Sprocket", frames: [...NEW, ["widgets", "Sprocket::Make", 0xd3], ["leaky", null, 0x1c90]] },
  { name: "buffer", frames: [...HEAP_ALLOC, ["ucrtbase", "_calloc_base", 0x4f], ["widgets", "BufferPool::Grow", 0x92], ["leaky", null, 0x2210]] },
  { name: "direct", frames: [...HEAP_ALLOC, ["leaky", null, 0x2f04], ["leaky", null, 0x2f88]] },
  // A recursive parser: a deep stack.
  { name: "deep", frames: [...MALLOC, ["leaky", null, 0x2a10], ...Array.from({ length: 9 }, (): FrameSpec => ["leaky", null, 0x2a58])] },
];

/** Free paths: what a delayed-free page-heap block's StackTrace records in the images (§2.6 does not say; our choice). */
export const FREE_SITES: readonly CallSite[] = [
  { name: "release", frames: [...HEAP_FREE, ["ucrtbase", "_free_base", 0x19], ["widgets", "Widget::Release", 0x3a], ["leaky", null, 0x1d40]] },
  { name: "free", frames: [...HEAP_FREE, ["leaky", null, 0x2f60]] },
];

/**
 * Paths only the triage images' planted leaks take (leaks.ts), so that each leak's stack is its
 * own: raw buffers a cache never frees, and Gadget objects cloned for an undo list.
 */
export const LEAK_SITES = {
  cache: { name: "cache", frames: [...MALLOC, ["leaky", null, 0x4a10], ["leaky", null, 0x4c32]] },
  undo: { name: "undo", className: "Gadget", frames: [...NEW, ["widgets", "Gadget::Clone", 0x9a], ["leaky", null, 0x5170]] },
} as const satisfies Record<string, CallSite>;

/** The outermost frames: return addresses in leaky.exe's main loop. */
const CALLERS: readonly FrameSpec[] = Array.from({ length: 8 }, (_, k): FrameSpec => ["leaky", null, 0x3120 + 0x3a * k]);

/**
 * The 64-bit side of a WOW64 process (wow64.ts): its heaps serve the WOW64 layer, so its traces
 * run from ntdll's allocator through wow64.dll and wow64win.dll (no symbol files here) to the
 * thunk loop in wow64cpu.dll. Our call paths, as the sites above.
 */
export const WOW64_ALLOCATION_SITES: readonly CallSite[] = [
  { name: "wow64-thunk", frames: [...HEAP_ALLOC, ["wow64", null, 0x7a3c], ["wow64", null, 0x1d2e]] },
  { name: "wow64-syscall", frames: [...HEAP_ALLOC, ["wow64", null, 0x9b10], ["wow64", null, 0x8e44], ["wow64", null, 0x1d2e]] },
  { name: "wow64win-thunk", frames: [...HEAP_ALLOC, ["wow64win", null, 0x2f40], ["wow64win", null, 0x41a8], ["wow64", null, 0x1d2e]] },
];
/** The 64-bit side's outermost frames: wow64cpu's return addresses into the layer. */
const WOW64_CALLERS: readonly FrameSpec[] = Array.from({ length: 4 }, (_, k): FrameSpec => ["wow64cpu", null, 0x1783 + 0x2c * k]);

/** The debug heap's entry points take the place of the retail ones under page heap (our choice of names). */
const DEBUG_HEAP: Record<string, FrameSpec> = {
  RtlpAllocateHeapInternal: ["ntdll", "RtlDebugAllocateHeap", 0x11f],
  RtlpFreeHeapInternal: ["ntdll", "RtlDebugFreeHeap", 0xb4],
};

/**
 * The modules of a traced process: loads ucrtbase.dll and widgets.dll with symbol files (and
 * writes the vftables into widgets' read-only data) next to leaky.exe, which has none.
 */
export class Program {
  private readonly bases: Partial<Record<FrameSpec[0], bigint>>;
  /** The paths Tracer.next draws allocations from. */
  readonly allocationSites: readonly CallSite[];
  private readonly callers: readonly FrameSpec[];

  /**
   * layer "wow64": the 64-bit side of a WOW64 process, whose traces run through the WOW64 DLLs
   * (WOW64_ALLOCATION_SITES); nothing is loaded, the process must have wow64, wow64win, wow64cpu.
   */
  constructor(
    private readonly process: ProgramProcess,
    options: { layer?: "wow64" } = {},
  ) {
    if (options.layer === "wow64") {
      this.bases = Object.fromEntries((["ntdll", "wow64", "wow64win", "wow64cpu"] as const).map((name) => [name, process.moduleBase(name)]));
      this.allocationSites = WOW64_ALLOCATION_SITES;
      this.callers = WOW64_CALLERS;
      return;
    }
    this.allocationSites = ALLOCATION_SITES;
    this.callers = CALLERS;
    const load = (module: ProgramModule) => {
      const symbols: Record<string, number> = {};
      for (const [name, { rva }] of Object.entries(module.functions)) symbols[name] = rva;
      for (const [className, { rva }] of Object.entries(module.vftables)) symbols[vftableSymbol(className)] = rva;
      return process.loadModule({ path: module.path, size: module.size, symbols });
    };
    const ucrtbase = load(UCRTBASE);
    const widgets = load(WIDGETS);
    this.bases = { ntdll: process.moduleBase("ntdll"), leaky: process.moduleBase("leaky"), ucrtbase, widgets };
    this.writeVftables(WIDGETS, widgets);
  }

  /** The frames' addresses, CALLERS[caller] outermost; a site under the debug heap (page heap) enters through RtlDebug*. */
  frames(site: CallSite, caller: number, debugHeap = false): bigint[] {
    const frames = [...site.frames, this.callers[caller % this.callers.length]];
    return frames.map((frame) => {
      const [module, fn, offset] = debugHeap && frame[1] ? (DEBUG_HEAP[frame[1]] ?? frame) : frame;
      const base = this.bases[module];
      if (base === undefined) throw new Error(`the program has no module ${module}`);
      if (fn === null) return base + BigInt(offset);
      const { rva, size } = this.function(module, fn);
      if (offset >= size) throw new Error(`${module}!${fn}+0x${offset.toString(16)} is past the function`);
      return base + BigInt(rva + offset);
    });
  }

  /** The truth of a trace: its frames and how WinDbg names them. */
  stack(frames: bigint[]): StackTruth {
    return { frames, symbols: frames.map((frame) => this.process.symbolize(frame)) };
  }

  /** The address of Class::`vftable'. */
  vftable(className: string): bigint {
    const table = WIDGETS.vftables[className];
    if (!table || this.bases.widgets === undefined) throw new Error(`no vftable for ${className}`);
    return this.bases.widgets + BigInt(table.rva);
  }

  get classNames(): string[] {
    return Object.keys(WIDGETS.vftables);
  }

  /** A function's address, for pointers that are not vftables. */
  functionAddress(module: "ucrtbase" | "widgets", name: string): bigint {
    const base = this.bases[module];
    if (base === undefined) throw new Error(`the program has no module ${module}`);
    return base + BigInt(this.function(module, name).rva);
  }

  private function(module: FrameSpec[0], name: string): { rva: number; size: number } {
    const functions = module === "ntdll" ? NTDLL_FUNCTIONS : module === "ucrtbase" ? UCRTBASE.functions : module === "widgets" ? WIDGETS.functions : {};
    const found = functions[name];
    if (!found) throw new Error(`${module} has no function ${name}`);
    return found;
  }

  private writeVftables(module: ProgramModule, base: bigint): void {
    const { space } = this.process;
    for (const { rva, slots } of Object.values(module.vftables)) {
      space.commit(base + BigInt(rva), slots.length * space.pointerSize);
      slots.forEach((slot, i) => space.ptr(base + BigInt(rva + i * space.pointerSize), base + BigInt(module.functions[slot].rva)));
    }
  }
}

/** WinDbg's name of a class's vftable symbol. */
export function vftableSymbol(className: string): string {
  return `${className}::\`vftable'`;
}

// ---------------------------------------------------------------------------------------------
// The tracer: a trace per block, remembered so that images can plant objects and drop records.

/** Hands out block traces: a call site at random, its record in the database, its truth. */
export class Tracer {
  private readonly sites = new Map<StackTruth, CallSite>();
  private readonly recordsOf = new Map<StackTruth, bigint>();

  constructor(
    readonly database: StackTraceDatabase,
    readonly program: Program,
    private readonly random: Random,
  ) {}

  /** A trace for the next block: an allocation path (or a free path, for a freed page-heap block) from a caller at random. */
  next(kind: "Allocation" | "Free", debugHeap = false): BlockTrace {
    const sites = kind === "Allocation" ? this.program.allocationSites : FREE_SITES;
    const site = sites[this.random.u32() % sites.length];
    return this.of(site, this.random.u32(), debugHeap);
  }

  /** The trace of a given path from a given caller (of CALLERS, modulo their count). */
  of(site: CallSite, caller: number, debugHeap = false): BlockTrace {
    const record = this.database.add(this.program.frames(site, caller, debugHeap));
    const stack = this.program.stack(record.frames);
    this.sites.set(stack, site);
    this.recordsOf.set(stack, record.address);
    return { record: record.address, index: record.index, stack };
  }

  /** The site a block's stack (as handed out) came from. */
  siteOf(stack: StackTruth): CallSite | undefined {
    return this.sites.get(stack);
  }

  /** The record a block's stack (as handed out) is stored in. */
  recordOf(stack: StackTruth): bigint | undefined {
    return this.recordsOf.get(stack);
  }
}
