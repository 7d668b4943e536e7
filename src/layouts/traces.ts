// Where allocation stacks are kept (docs/heap-structures.md §1.8, §2.7), resolved from ntdll's
// symbols: the trace record (_RTL_STACK_TRACE_ENTRY) and Windows 7's trace database with its
// index array. (Where a block names its trace is the walker's business: src/layouts/ntheap.ts.)
// Optional as a whole: a process without these types has no stacks to show, and says so.
import { TypeSource } from "../host/symbols";

export interface TraceLayout {
  /** _RTL_STACK_TRACE_ENTRY: the frame count field(s) and the frames (pointer-sized). */
  record: { depth: number; index: number; backTrace: number; maxFrames: number };
  /** ntdll!RtlpStackTraceDataBase (a pointer) and _STACK_TRACE_DATABASE.EntryIndexArray, for Windows 7 indices. */
  database: { symbol: number; entryIndexArray: number } | undefined;
}

export function resolveTraceLayout(types: TypeSource, pointerSize: 4 | 8): TraceLayout | undefined {
  const t = "_RTL_STACK_TRACE_ENTRY";
  const depth = types.fieldOffset(t, "Depth");
  const index = types.fieldOffset(t, "Index");
  const backTrace = types.fieldOffset(t, "BackTrace");
  const size = types.typeSize(t);
  if (depth === undefined || index === undefined || backTrace === undefined || size === undefined) return undefined;
  const symbol = types.symbolAddress("RtlpStackTraceDataBase");
  const entryIndexArray = types.fieldOffset("_STACK_TRACE_DATABASE", "EntryIndexArray");
  return {
    record: { depth, index, backTrace, maxFrames: Math.floor((size - backTrace) / pointerSize) },
    database: symbol !== undefined && entryIndexArray !== undefined ? { symbol, entryIndexArray } : undefined,
  };
}
