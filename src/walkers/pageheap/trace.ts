// Where a page-heap block's stack is recorded (docs/heap-structures.md §2.6): the StackTrace
// pointer of its _DPH_HEAP_BLOCK (full-page) or DPH_BLOCK_INFORMATION (light) names an
// _RTL_STACK_TRACE_ENTRY, the allocation's or, once the block is freed, the free's. Only the
// address is kept (BlockTable.trace); reading the record is src/stacks' work.
import { BlockTableBuilder } from "../../heap/records";
import { FindingLog } from "../../heap/findings";
import { hex0x } from "../../util/hex";

/** Records `value`, read at `at`, as the row's trace; 0 names none, and a value that is no address is a finding. */
export function recordTrace(blocks: BlockTableBuilder, row: number, value: number, at: number, findings: FindingLog): void {
  if (value === 0) return;
  if (!isFinite(value)) {
    findings.add("Corruption", at, `the StackTrace pointer at ${hex0x(at)} is above 2^53, not a user-mode address: that block's stack is not known`, "trace-pointer");
    return;
  }
  blocks.setTrace(row, value);
}

/** A decoded value for a message: hex, or what a pointer above 2^53 is. */
export function shown(value: number): string {
  return isFinite(value) ? hex0x(value) : "a value above 2^53";
}
