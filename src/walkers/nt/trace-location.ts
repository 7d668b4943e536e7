// Where an NT heap block names its allocation stack, read while its bytes are in the walk's window
// (docs/heap-structures.md §2.7), for BlockTable.trace:
//   Windows 8-11 +ust: an extended header between the _HEAP_ENTRY and the user data (UnusedBytes
//     0x40 with the extended entry 2 granules on; LFH blocks 0xC2), whose first pointer, right
//     after the _HEAP_ENTRY, is the _RTL_STACK_TRACE_ENTRY: the record's address;
//   Windows 7 +ust: HEAP_ENTRY_EXTRA_PRESENT (0x02) and a _HEAP_ENTRY_EXTRA in the block's last
//     granule, whose AllocatorBackTraceIndex indexes the trace database: minus the index.
// 0 when the block names none. Nothing is trusted here: src/stacks/trace.ts checks the record.
import { NtHeapLayout } from "../../layouts/ntheap";
import { pointer, u16 } from "../../util/bytes";
import { MemoryWindow } from "../window";
import { FLAG_EXTRA_PRESENT } from "./entry";

const UNUSED_EXTENDED = 0x40;
const INFINITE = 1 / 0;
/** The +ust header's extended entry sits this many granules after the _HEAP_ENTRY (§2.7 [DLGHELP]). */
const UST_EXTENDED_GRANULES = 2;

/** unused: UnusedBytes without the LFH marker. */
export function traceLocation(window: MemoryWindow, layout: NtHeapLayout, entry: number, size: number, unused: number, flags: number): number {
  const granularity = layout.entry.granularity;
  if ((unused & UNUSED_EXTENDED) !== 0 && (unused & 0x3f) === UST_EXTENDED_GRANULES) {
    if (!window.ensure(entry + granularity, layout.pointerSize)) return 0;
    const record = pointer(window.bytes, entry + granularity - window.base, layout.pointerSize);
    // pointer() gives Infinity for values no address can have; compared, not isFinite(): no global lookup per block.
    return record < INFINITE ? record : 0;
  }
  if ((flags & FLAG_EXTRA_PRESENT) !== 0 && layout.extraBackTraceIndex !== undefined && size >= 2 * granularity) {
    const extra = entry + size - granularity;
    if (!window.ensure(extra, granularity)) return 0;
    return -u16(window.bytes, extra - window.base + layout.extraBackTraceIndex);
  }
  return 0;
}
