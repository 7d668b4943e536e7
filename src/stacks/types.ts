// What a busy block holds, named by its C++ type: when the first pointer-sized value of its user
// data is exactly a symbol Class::`vftable' of a module, the block is a Class (its vftable
// pointer). The first pointers of a heap's blocks are read window by window, never one read per
// block; each distinct candidate is named once (src/stacks/symbolizer.ts).
import { HeapWalk } from "../heap/records";
import { Memory } from "../host/memory-types";
import { pointer } from "../util/bytes";
import { busyDataWindows } from "../analysis/user-data";

/** The first pointer of each busy block's user data; NaN where none was read. */
export function firstPointers(memory: Memory, walk: HeapWalk): Float64Array {
  const blocks = walk.blocks;
  const p = memory.pointerSize;
  const out = new Float64Array(blocks.count);
  out.fill(NaN);
  for (const window of busyDataWindows(memory, walk, p, () => p)) {
    let r = 0;
    for (let k = 0; k < window.rows.length; k++) {
      const row = window.rows[k];
      const at = blocks.userAddress[row];
      while (r < window.runs.length && window.runs[r].address + window.runs[r].bytes.length < at + p) r++;
      if (r === window.runs.length) break;
      const run = window.runs[r];
      if (run.address <= at) out[row] = pointer(run.bytes, at - run.address, p);
    }
  }
  return out;
}
