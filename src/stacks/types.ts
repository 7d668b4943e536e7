// What a busy block holds, named by its C++ type: when the first pointer-sized value of its user
// data is exactly a symbol Class::`vftable' of a module, the block is a Class (its vftable
// pointer). The first pointers of a heap's blocks are read window by window, never one read per
// block; each distinct candidate is named once (src/stacks/symbolizer.ts).
import { HeapWalk } from "../heap/records";
import { Memory, MemoryRun } from "../host/memory-types";
import { pointer } from "../util/bytes";
import { busyDataWindows } from "../analysis/user-data";

/** The first pointer of each busy block's user data; NaN where none was read. */
export function firstPointers(memory: Memory, walk: HeapWalk): Float64Array {
  const blocks = walk.blocks;
  const p = memory.pointerSize;
  const out = new Float64Array(blocks.count);
  out.fill(NaN);
  for (const window of busyDataWindows(memory, walk, p, () => p)) {
    for (let k = 0; k < window.rows.length; k++) out[window.rows[k]] = pointerIn(window.runs, blocks.userAddress[window.rows[k]], p);
  }
  return out;
}

/** The pointer at `address` if one of `runs` (sorted, as a window's) holds all its bytes, else NaN. */
export function pointerIn(runs: MemoryRun[], address: number, p: 4 | 8): number {
  let low = 0;
  let high = runs.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const run = runs[middle];
    if (address < run.address) high = middle - 1;
    else if (address >= run.address + run.bytes.length) low = middle + 1;
    else return address + p <= run.address + run.bytes.length ? pointer(run.bytes, address - run.address, p) : NaN;
  }
  return NaN;
}
