// The user-mode stack trace database (+ust, docs/heap-structures.md §1.8, §2.7) of an image that
// has one (the nt and wow64 kinds' +ust shares, the page kind; a WOW64 process has one per ntdll,
// each side of its 64-bit view a target): its catalogue, read from the image before any
// damage, and the mutations aimed at it. Offsets come from the layout and the writers' truth only
// (test/writers/stack-traces.ts, ntheap.ts), never from the extension's decoding code:
// - a record (_RTL_STACK_TRACE_ENTRY): Depth, Index, BackTrace[32], TraceCount, HashChain;
// - where a block names its record: Windows 8+ the pointer right after the traced block's
//   _HEAP_ENTRY (an extended block, UnusedBytes 0x40|2, LFH 0xC2); Windows 7 the u16
//   _HEAP_ENTRY_EXTRA.AllocatorBackTraceIndex in the block's last granule (VirtualAlloc'd blocks:
//   _HEAP_VIRTUAL_ALLOC_ENTRY.ExtraStuff), which picks EntryIndexArray[-index];
// - ntdll!RtlpStackTraceDataBase, the _STACK_TRACE_DATABASE's counts and EntryIndexArray, its slots.
import type { FrameCountField, StackTraceDatabase } from "../writers/stack-traces";
import type { BlockTruth, HeapTruth } from "../writers/types";
import type { FuzzImage } from "./image";
import { dropDrawn, hex, mutateField, pageOf, pointerValue, readValue, writeValue, type DropChoice, type Mutation, type Scope } from "./mutations";
import type { Rng } from "./random";

/** What a block names its trace with, and where. */
export interface TracedBlock {
  heap: HeapTruth;
  block: BlockTruth;
  /** The header's record pointer (Windows 8+) or AllocatorBackTraceIndex (Windows 7). */
  slot: bigint;
  /** The record it names (the pointer's value, or EntryIndexArray[-index]). */
  record: bigint;
  /** Windows 7: the index. */
  index?: number;
}

export interface TraceTarget {
  /** The side holding the database: its layout, memory and heaps (the values' scope). */
  scope: Scope;
  /** ntdll!RtlpStackTraceDataBase. */
  symbol: bigint;
  /** The _STACK_TRACE_DATABASE. */
  database: bigint;
  /** EntryIndexArray: the slot of index i lies i pointers below it. */
  entryIndexArray: bigint;
  /** NumberOfEntriesAdded. */
  count: number;
  /** Which record field the writer put the frame count in (the other holds the index). */
  frameCountField: FrameCountField;
  /** The records, in index order (index i at records[i - 1]), with their frame counts. */
  records: { address: bigint; frames: number }[];
  /** Windows 8+ traced blocks (header pointer). */
  pointers: TracedBlock[];
  /** Windows 7 traced blocks (AllocatorBackTraceIndex). */
  indices: TracedBlock[];
}

/**
 * Reads the trace database the writer placed and finds every traced block of `heaps` (NT heaps:
 * a page heap's blocks name their traces in DPH structures, page-heap.ts). Throws where the image
 * disagrees with the truth: the catalogue must be right before any damage.
 */
export function traceTarget(scope: Scope, db: StackTraceDatabase, symbol: bigint, heaps: HeapTruth[]): TraceTarget {
  const { layout, space } = scope;
  const p = BigInt(layout.pointerSize);
  const header = (field: string) => db.address + BigInt(layout.off("_STACK_TRACE_DATABASE", field));
  if (space.readPtr(symbol) !== db.address) throw new Error("ntdll!RtlpStackTraceDataBase does not name the database");
  const entryIndexArray = space.readPtr(header("EntryIndexArray"));
  const count = Number(readValue(space, header("NumberOfEntriesAdded"), 4));
  const records = db.records.map((r) => ({ address: r.address, frames: r.frames.length }));
  if (count !== records.length) throw new Error(`NumberOfEntriesAdded ${count}, ${records.length} records`);
  records.forEach((r, i) => {
    if (space.readPtr(entryIndexArray - BigInt(i + 1) * p) !== r.address) throw new Error(`EntryIndexArray[-${i + 1}] does not name record ${hex(r.address)}`);
  });
  const byAddress = new Set(records.map((r) => r.address));

  // Windows 8+ (the layout's _HEAP_USERDATA_HEADER has EncodedOffsets, as the writer decides): the pointer after the header.
  const win8 = layout.has("_HEAP_USERDATA_HEADER", "EncodedOffsets");
  const gran = BigInt(layout.granularity);
  const extraIndex = BigInt(layout.off("_HEAP_ENTRY_EXTRA", "AllocatorBackTraceIndex"));
  const pointers: TracedBlock[] = [];
  const indices: TracedBlock[] = [];
  for (const heap of heaps) {
    for (const block of heap.blocks) {
      if (block.state !== "Busy" || block.stack === undefined) continue;
      if (win8) {
        const slot = block.address + gran;
        const record = space.readPtr(slot);
        if (!byAddress.has(record)) throw new Error(`traced block ${hex(block.address)} names ${hex(record)}, no record`);
        pointers.push({ heap, block, slot, record });
      } else {
        const extra =
          block.kind === "VirtualAlloc"
            ? block.address - BigInt(layout.off("_HEAP_VIRTUAL_ALLOC_ENTRY", "BusyBlock")) + BigInt(layout.off("_HEAP_VIRTUAL_ALLOC_ENTRY", "ExtraStuff"))
            : block.address + BigInt(block.size) - gran;
        const slot = extra + extraIndex;
        const index = Number(readValue(space, slot, 2));
        if (index < 1 || index > count) throw new Error(`traced block ${hex(block.address)} has trace index ${index} of ${count}`);
        indices.push({ heap, block, slot, record: records[index - 1].address, index });
      }
    }
  }
  return { scope, symbol, database: db.address, entryIndexArray, count, frameCountField: db.frameCountField, records, pointers, indices };
}

// ---------------------------------------------------------------------------------------------
// The mutations.

type Mutator = (image: FuzzImage, rng: Rng) => Mutation | undefined;
type Choice = [() => [bigint, string], number];

/** Runs `mutate` on one of the image's trace databases (nt and page images have one, a WOW64 64-bit view two) with the side that holds it. */
function onTraces(mutate: (scope: Scope, traces: TraceTarget, rng: Rng) => Mutation | undefined): Mutator {
  return (image, rng) => {
    if (!image.traces || image.traces.length === 0) return undefined;
    // One database draws nothing: an nt or page case replays as it did before WOW64 images had two.
    const traces = image.traces.length === 1 ? image.traces[0] : rng.pick(image.traces);
    return mutate(traces.scope, traces, rng);
  };
}

/** Addresses a reader must not take for a record or a frame: nothing is mapped there. */
function unmapped(scope: Scope, rng: Rng): Choice[] {
  const x64 = scope.arch === "x64";
  const segment = rng.pick(scope.heaps).segments[0];
  return [
    [() => [x64 ? 0x10000n + BigInt(rng.int(0, 0xff) * 16) : 0x10000n + BigInt(rng.int(0, 0xff) * 8), "a low unmapped address"], 2],
    [() => [segment.lastValidEntry + BigInt(rng.int(0, 0x10) * 0x1000), "past a segment (unmapped)"], 2],
    [() => [x64 ? 1n << 40n : 0xfffff000n, x64 ? "2^40 (unmapped)" : "0xfffff000 (unmapped)"], 1],
    [() => [(1n << BigInt(8 * scope.layout.pointerSize)) - 1n, "all ones"], 1],
  ];
}

/** Inside a heap: a block's header or user data, the _HEAP itself. */
function insideHeap(scope: Scope, rng: Rng): Choice[] {
  const heap = rng.pick(scope.heaps);
  const blocks = heap.blocks.length > 0 ? heap.blocks : undefined;
  return [
    [() => (blocks ? [rng.pick(blocks).userAddress, "a block's user data (inside the heap)"] : [heap.address, "the _HEAP"]), 2],
    [() => [heap.address, "the _HEAP (inside the heap)"], 1],
  ];
}

/** A record's frame count field and index field, as the writer set them. */
function countAndIndexFields(traces: TraceTarget): [string, string] {
  return traces.frameCountField === "Depth" ? ["Depth", "Index"] : ["Index", "Depth"];
}

/**
 * A record (_RTL_STACK_TRACE_ENTRY, §1.8): its Depth or Index (0, 1, the 32 BackTrace slots and
 * one past, huge, 0xffff), a BackTrace slot (NULL, unmapped, inside a heap, a frame misaligned,
 * the slot after the last frame filled in), TraceCount, HashChain.
 */
const traceRecord = onTraces((scope, traces, rng) => {
  if (traces.records.length === 0) return undefined;
  const { layout, space } = scope;
  const type = "_RTL_STACK_TRACE_ENTRY";
  const { address, frames } = rng.pick(traces.records);
  const label = `trace record@${hex(address)}`;
  const field = (name: string) => address + BigInt(layout.off(type, name));
  const what = rng.weighted([["depth", 5], ["backtrace", 5], ["traceCount", 1], ["hashChain", 1]] as const);
  if (what === "depth") {
    const [countField, indexField] = countAndIndexFields(traces);
    const name = rng.chance(0.6) ? countField : indexField;
    const role = name === countField ? "the frame count" : "the index";
    const [value, why] = rng.weighted<[number, string]>([
      [[0, "zero"], 3],
      [[1, "one"], 2],
      [[frames + 1, "one more than the frames"], 1],
      [[32, "32: every BackTrace slot"], 1],
      [[33, "33: one past BackTrace"], 2],
      [[rng.pick([0x100, 0x1000, 0x7fff, 0x8000]), "huge"], 2],
      [[0xffff, "0xffff"], 3],
    ]);
    if (readValue(space, field(name), 2) === BigInt(value)) return undefined;
    return writeValue(space, "trace-record", `${label}.${name} (${role})`, field(name), 2, BigInt(value), why);
  }
  if (what === "backtrace") {
    const p = layout.pointerSize;
    // A frame, the slot after the last frame (where the reader looks for the stack's end), or any slot.
    const slot = rng.weighted([[rng.int(0, Math.max(0, frames - 1)), 4], [frames, 2], [rng.int(0, 31), 1]] as const);
    const at = field("BackTrace") + BigInt(slot * p);
    const old = readValue(space, at, p);
    if (old === undefined) return undefined;
    const frame = readValue(space, field("BackTrace"), p)!;
    const [value, why] = rng.weighted<() => [bigint, string]>([
      [() => [0n, "NULL"], 3],
      [() => rng.weighted(unmapped(scope, rng))(), 3],
      [() => rng.weighted(insideHeap(scope, rng))(), 3],
      [() => [frame + 1n, "the first frame + 1 (code, misaligned)"], 1],
      [() => [frame, "the first frame again"], 1],
    ])();
    if (value === old) return undefined;
    return writeValue(space, "trace-record", `${label}.BackTrace[${slot}] (of ${frames} frames)`, at, p, value, why);
  }
  return mutateField(scope, rng, "trace-record", type, address, what === "traceCount" ? "TraceCount" : "HashChain", undefined, "trace record");
});

/**
 * Where a traced block names its record: Windows 8+ the header's pointer (NULL, unmapped, inside
 * another record, the slot itself, the block's own header, the +ust sentinels, another record);
 * Windows 7 the AllocatorBackTraceIndex (0, past NumberOfEntriesAdded, 0xffff, another index).
 */
const traceHeader = onTraces((scope, traces, rng) => {
  const { layout, space } = scope;
  const useIndex = traces.indices.length > 0 && (traces.pointers.length === 0 || rng.chance(0.5));
  if (useIndex) {
    const { block, slot, index } = rng.pick(traces.indices);
    const label = `${block.kind} block@${hex(block.address)}: _HEAP_ENTRY_EXTRA@${hex(slot)}.AllocatorBackTraceIndex`;
    const [value, why] = rng.weighted<[number, string]>([
      [[0, "zero (no trace)"], 3],
      [[traces.count + 1, "NumberOfEntriesAdded + 1"], 2],
      [[Math.min(0xfffe, traces.count + rng.int(2, 0x400)), "beyond the database's count"], 2],
      [[0x8000, "0x8000"], 1],
      [[0xffff, "0xffff"], 3],
      [[rng.int(1, Math.max(1, traces.count)), "another record's index"], 1],
    ]);
    if (value === index) return undefined;
    return writeValue(space, "trace-header", label, slot, 2, BigInt(value), why);
  }
  if (traces.pointers.length === 0) return undefined;
  const p = layout.pointerSize;
  const { block, slot, record } = rng.pick(traces.pointers);
  const others = traces.records.filter((r) => r.address !== record);
  const other = others.length > 0 ? rng.pick(others).address : record;
  const entrySize = layout.size("_RTL_STACK_TRACE_ENTRY");
  const lastRecord = traces.records[traces.records.length - 1].address;
  const label = `${block.kind} traced block@${hex(block.address)}: header trace pointer`;
  const [value, why] = rng.weighted<() => [bigint, string]>([
    [() => [0n, "NULL"], 3],
    [() => rng.weighted(unmapped(scope, rng))(), 3],
    [() => [other + BigInt(rng.int(1, entrySize / p - 1) * p), "the middle of another record"], 3],
    [() => [record + BigInt(layout.off("_RTL_STACK_TRACE_ENTRY", "BackTrace")), "its record's BackTrace"], 1],
    [() => [slot, "points at itself"], 2],
    [() => [block.address, "its block's _HEAP_ENTRY"], 1],
    [() => [p === 8 ? 0x0101000000000000n : 0x01010000n, "the +ust header sentinel"], 1],
    [() => [lastRecord + BigInt(entrySize), "past the last record"], 1],
    [() => [other, "another record"], 1],
    [() => [record + 1n, "misaligned"], 1],
  ])();
  if (value === record) return undefined;
  return writeValue(space, "trace-header", label, slot, p, value, why);
});

const DATABASE_FIELDS = [
  "NumberOfEntriesAdded",
  "NumberOfEntriesAdded",
  "EntryIndexArray",
  "EntryIndexArray",
  "NumberOfEntriesLookedUp",
  "NumberOfBuckets",
  "CommitBase",
  "CurrentLowerCommitLimit",
  "CurrentUpperCommitLimit",
  "NextFreeLowerMemory",
  "NextFreeUpperMemory",
  "LowerMemoryStart",
];

/**
 * The database (§1.8): ntdll!RtlpStackTraceDataBase, NumberOfEntriesAdded (0, 1, one more, huge),
 * EntryIndexArray (NULL, unmapped, a pointer off, the database itself), the other counts and
 * limits, a slot of the index array (NULL, unmapped, inside a record, the slot itself), or pages
 * left out of the dump: the header, a record page, the index array.
 */
const traceDatabase = onTraces((scope, traces, rng) => {
  const { layout, space } = scope;
  const p = layout.pointerSize;
  const draw = rng.weighted([["symbol", 2], ["count", 2], ["array", 2], ["field", 2], ["slot", 3], ["drop", 2]] as const);
  const header = (field: string) => traces.database + BigInt(layout.off("_STACK_TRACE_DATABASE", field));
  const record = traces.records.length > 0 ? rng.pick(traces.records).address : traces.database;
  switch (draw) {
    case "symbol": {
      const old = readValue(space, traces.symbol, p);
      if (old === undefined) return undefined;
      const [value, why] = rng.weighted<() => [bigint, string]>([
        [() => [0n, "NULL"], 3],
        [() => rng.weighted(unmapped(scope, rng))(), 3],
        [() => [traces.symbol, "points at itself"], 1],
        [() => [record, "a record"], 1],
        [() => [traces.database + BigInt(rng.int(1, 8) * p), "a few pointers into the database"], 1],
        [() => rng.weighted(insideHeap(scope, rng))(), 1],
      ])();
      if (value === old) return undefined;
      return writeValue(space, "trace-database", "ntdll!RtlpStackTraceDataBase", traces.symbol, p, value, why);
    }
    case "count": {
      const [value, why] = rng.weighted<[number, string]>([
        [[0, "zero"], 3],
        [[1, "one"], 1],
        [[traces.count + 1, "one more than the records"], 2],
        [[0xffff, "0xffff"], 1],
        [[0x7fffffff, "0x7fffffff"], 1],
        [[0xffffffff, "0xffffffff"], 2],
      ]);
      if (value === traces.count) return undefined;
      return writeValue(space, "trace-database", `_STACK_TRACE_DATABASE@${hex(traces.database)}.NumberOfEntriesAdded`, header("NumberOfEntriesAdded"), 4, BigInt(value), why);
    }
    case "array": {
      const [value, why] = rng.weighted<() => [bigint, string]>([
        [() => [0n, "NULL"], 3],
        [() => rng.weighted(unmapped(scope, rng))(), 3],
        [() => [traces.entryIndexArray + BigInt(rng.pick([-1, 1]) * p), "one slot off"], 2],
        [() => [traces.entryIndexArray + 1n, "misaligned"], 1],
        [() => [traces.database, "the database itself"], 1],
        [() => [record, "a record"], 1],
      ])();
      if (value === traces.entryIndexArray) return undefined;
      return writeValue(space, "trace-database", `_STACK_TRACE_DATABASE@${hex(traces.database)}.EntryIndexArray`, header("EntryIndexArray"), p, BigInt.asUintN(8 * p, value), why);
    }
    case "field":
      return mutateField(scope, rng, "trace-database", "_STACK_TRACE_DATABASE", traces.database, rng.pick(DATABASE_FIELDS));
    case "slot": {
      // Slot i of EntryIndexArray (1 … count; sometimes the unused one past the count or slot 0).
      const index = rng.weighted([[rng.int(1, Math.max(1, traces.count)), 5], [traces.count + 1, 1], [0, 1]] as const);
      const at = traces.entryIndexArray - BigInt(index * p);
      const old = readValue(space, at, p);
      if (old === undefined) return undefined;
      const entrySize = layout.size("_RTL_STACK_TRACE_ENTRY");
      const [value, why] = rng.weighted<() => [bigint, string]>([
        [() => [0n, "NULL"], 3],
        [() => rng.weighted(unmapped(scope, rng))(), 3],
        [() => [record + BigInt(rng.int(1, entrySize / p - 1) * p), "the middle of a record"], 2],
        [() => [record, "another record"], 1],
        [() => [at, "points at itself"], 1],
        [() => rng.weighted(insideHeap(scope, rng))(), 1],
        [() => pointerValue({ image: scope, rng, field: at, struct: traces.entryIndexArray, size: p, old }), 1],
      ])();
      if (value === old) return undefined;
      return writeValue(space, "trace-database", `EntryIndexArray@${hex(traces.entryIndexArray)}[-${index}]`, at, p, value, why);
    }
    case "drop": {
      const choices: DropChoice[] = [
        [() => [pageOf(traces.database), 1, "the stack trace database's header page"], 1],
        [() => (traces.records.length > 0 ? [pageOf(record), 1, "a page of stack trace records"] : undefined), 2],
        [() => [pageOf(traces.entryIndexArray - BigInt(p)), 1, "the trace database's EntryIndexArray page"], 1],
      ];
      return dropDrawn(space, rng, choices);
    }
  }
});

/** The trace families by name, with their weights, and whether an image's traces give them a target. */
export const TRACE_MUTATORS: readonly (readonly [string, Mutator, number, (traces: TraceTarget) => boolean])[] = [
  ["trace-record", traceRecord, 6, (t) => t.records.length > 0],
  ["trace-header", traceHeader, 6, (t) => t.pointers.length + t.indices.length > 0],
  ["trace-database", traceDatabase, 4, () => true],
];
