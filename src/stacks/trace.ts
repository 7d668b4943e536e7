// Allocation stacks: the frames of the _RTL_STACK_TRACE_ENTRY a block names (docs/heap-structures.md
// §1.8, §2.6, §2.7), or why there are none. A block names its trace in the walk's trace column
// (BlockTable.trace): a record's address (Windows 8+ +ust headers, page heap) or minus an index
// into the trace database (Windows 7). Each distinct record and index is read once per process.
import { HeapWalk, KIND_VIRTUAL_ALLOC } from "../heap/records";
import { NtdllView, Target } from "../host/target";
import { TraceLayout, resolveTraceLayout } from "../layouts/traces";
import { pointer, u16, u32 } from "../util/bytes";
import { hex0x } from "../util/hex";

/** PEB.NtGlobalFlag bits (docs/heap-structures.md §1.1). */
export const FLG_USER_STACK_TRACE_DB = 0x1000;
export const FLG_HEAP_PAGE_ALLOCS = 0x02000000;

/** Why a busy block shows no allocation stack. */
export type NoStackReason = "TraceDatabaseOff" | "BeforeTracing" | "VirtualAllocNoTrace" | "SegmentHeapNoTrace" | "TraceUnreadable" | "NoTraceTypes";

export type StackResult = { frames: number[] } | { reason: NoStackReason; message: string };

/** The reasons that do not depend on the trace: one object each, handed out for every such block. */
const NO_STACK: { [reason in Exclude<NoStackReason, "TraceUnreadable">]: StackResult } = {
  TraceDatabaseOff: { reason: "TraceDatabaseOff", message: "the process records no allocation stacks: PEB.NtGlobalFlag lacks +ust (0x1000); turn it on with gflags /i <program>.exe +ust and run the program again" },
  SegmentHeapNoTrace: { reason: "SegmentHeapNoTrace", message: "a segment-heap block: dxheap does not read +ust records on segment heaps yet (where Windows keeps them there is UNVERIFIED, docs/heap-structures.md §2.7); its referrers say who holds it" },
  VirtualAllocNoTrace: { reason: "VirtualAllocNoTrace", message: "a VirtualAlloc'd block: Windows keeps no allocation stack for these (docs/heap-structures.md §2.7); its referrers say who holds it" },
  BeforeTracing: { reason: "BeforeTracing", message: "the block has no trace header: it was allocated before stack tracing began, or by a path that records none" },
  NoTraceTypes: { reason: "NoTraceTypes", message: "ntdll's symbols do not describe _RTL_STACK_TRACE_ENTRY: stacks cannot be read (check .sympath, then .reload /f ntdll.dll)" },
};

/** Sentinels the +ust header holds instead of a record (docs/heap-structures.md §2.7 [DLGHELP]). */
const SENTINELS = [0x01010000, 0x0101000000000000];

export class TraceReader {
  private readonly layout: TraceLayout | undefined;
  private readonly records = new Map<number, number[] | undefined>();
  /** The result of each trace column value asked about (a record's address, or minus an index). */
  private readonly results = new Map<number, StackResult>();
  private readonly indices = new Map<number, number | undefined>();
  private database: number | undefined;
  /** PEB.NtGlobalFlag, or undefined when it cannot be read. */
  readonly globalFlag: number | undefined;

  constructor(private readonly view: NtdllView, private readonly target: Target) {
    this.layout = resolveTraceLayout(view.symbols, view.layout.pointerSize);
    this.globalFlag = readGlobalFlag(view);
  }

  get tracing(): boolean {
    return this.globalFlag !== undefined && (this.globalFlag & (FLG_USER_STACK_TRACE_DB | FLG_HEAP_PAGE_ALLOCS)) !== 0;
  }

  /**
   * The stack of a walk's row, or why it has none: one result object per distinct trace and per
   * reason, so that grouping millions of blocks can key on it without making anything per block.
   */
  stack(walk: HeapWalk, row: number): StackResult {
    const blocks = walk.blocks;
    const trace = blocks.trace ? blocks.trace[row] : 0;
    if (trace === 0) {
      if (!this.tracing) return NO_STACK.TraceDatabaseOff;
      if (walk.type === "Segment") return NO_STACK.SegmentHeapNoTrace;
      if (blocks.kind[row] === KIND_VIRTUAL_ALLOC) return NO_STACK.VirtualAllocNoTrace;
      return NO_STACK.BeforeTracing;
    }
    if (!this.layout) return NO_STACK.NoTraceTypes;
    const known = this.results.get(trace);
    if (known) return known;
    const record = trace > 0 ? trace : this.recordOfIndex(-trace);
    const frames = record === undefined ? undefined : this.frames(record);
    let result: StackResult;
    if (frames) {
      result = { frames };
    } else {
      const where = trace > 0 ? `trace record ${hex0x(trace)}` : `trace index ${-trace}${record === undefined ? "" : ` (record ${hex0x(record)})`}`;
      result = { reason: "TraceUnreadable", message: `the block names ${where}, which this dump does not hold (or which is not a trace record)` };
    }
    this.results.set(trace, result);
    return result;
  }

  /** The frames of a record, read once; undefined when unreadable or implausible. */
  frames(record: number): number[] | undefined {
    if (this.records.has(record)) return this.records.get(record);
    const frames = this.readRecord(record);
    this.records.set(record, frames);
    return frames;
  }

  /**
   * Depth holds the frame count (UNVERIFIED: one public reader takes the field called Index, §2.7):
   * both readings are tried, and the one whose frames all lie in modules and stop where the
   * stack stops (the next slot is not code) wins, Depth first.
   */
  private readRecord(record: number): number[] | undefined {
    const layout = this.layout!;
    const p = this.view.layout.pointerSize;
    if (SENTINELS.indexOf(record) >= 0) return undefined;
    const r = layout.record;
    let bytes: Uint8Array;
    try {
      bytes = this.view.memory.read(record, r.backTrace + r.maxFrames * p);
    } catch (e) {
      return undefined;
    }
    const slots: number[] = [];
    for (let i = 0; i < r.maxFrames; i++) slots.push(pointer(bytes, r.backTrace + i * p, p));
    const inModules = (n: number) => {
      for (let i = 0; i < n; i++) if (!this.target.moduleAt(slots[i])) return false;
      return true;
    };
    const ends = (n: number) => n === r.maxFrames || !this.target.moduleAt(slots[n]);
    const candidates = [u16(bytes, r.depth), u16(bytes, r.index)].filter((n) => n >= 1 && n <= r.maxFrames);
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < candidates.length; i++) {
        const n = candidates[i];
        if (inModules(n) && (pass === 1 || ends(n))) return slots.slice(0, n);
      }
    }
    return undefined;
  }

  /** Windows 7: RtlpStackTraceDataBase->EntryIndexArray[-index] (§1.8, §2.7). */
  private recordOfIndex(index: number): number | undefined {
    if (this.indices.has(index)) return this.indices.get(index);
    const db = this.layout!.database;
    const p = this.view.layout.pointerSize;
    let record: number | undefined;
    try {
      if (db && this.database === undefined) {
        this.database = NaN; // until read: an unreadable database is tried once, not once per index
        const base = pointer(this.view.memory.read(db.symbol, p), 0, p);
        this.database = pointer(this.view.memory.read(base + db.entryIndexArray, p), 0, p);
      }
      if (this.database !== undefined && isFinite(this.database)) {
        record = pointer(this.view.memory.read(this.database - index * p, p), 0, p);
        if (!isFinite(record) || record === 0) record = undefined;
      }
    } catch (e) {
      record = undefined;
    }
    this.indices.set(index, record);
    return record;
  }
}

function readGlobalFlag(view: NtdllView): number | undefined {
  if (view.layout.ntGlobalFlag === undefined) return undefined;
  try {
    return u32(view.memory.read(view.peb + view.layout.ntGlobalFlag, 4), 0);
  } catch (e) {
    return undefined;
  }
}
