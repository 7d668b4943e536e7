// Reading busy blocks' user data in few, large reads: the blocks sorted by UserPtr are grouped in
// windows of at most SCAN_CHUNK_BYTES whose gaps are small (reading a few unused bytes is cheaper
// than another host call), and one window is held at a time. Pattern search reads all of each
// block; type names read only its first pointer.
import { HeapWalk, STATE_BUSY } from "../heap/records";
import { Memory, MemoryRun } from "../host/memory-types";
import { SCAN_CHUNK_BYTES, readableRuns } from "../host/memory-scan";
import { orderByKey } from "../util/order";

/** Blocks closer than this are read together. */
const MAX_GAP_IN_WINDOW = 64 * 1024;

export interface DataWindow {
  /** Rows (sorted by UserPtr) whose wanted bytes the runs cover, as far as readable. */
  rows: Int32Array;
  runs: MemoryRun[];
}

/**
 * The busy blocks with at least `minimum` user bytes, window by window, each window's readable
 * runs covering [UserPtr, UserPtr + wanted(row)) of its rows.
 */
export function* busyDataWindows(memory: Memory, walk: HeapWalk, minimum: number, wanted: (row: number) => number): Generator<DataWindow> {
  const { state, userSize, count } = walk.blocks;
  const user = walk.blocks.userAddress;
  // One pass, into arrays sized for every row and then cut to the busy ones.
  const rows = new Int32Array(count);
  const allStarts = new Float64Array(count);
  let n = 0;
  for (let i = 0; i < count; i++) {
    if (state[i] !== STATE_BUSY || userSize[i] < minimum) continue;
    allStarts[n] = user[i];
    rows[n++] = i;
  }
  // A walk lists most blocks in address order already (VirtualAlloc'd blocks and segments out of
  // order aside): a few runs to merge.
  const order = orderByKey(allStarts.subarray(0, n));
  for (let i = 0; i < n; i++) order[i] = rows[order[i]];
  // A window never spans memory the heap says is uncommitted: reading into it only fails.
  const holes: number[] = [];
  for (let s = 0; s < walk.segments.length; s++) {
    const ranges = walk.segments[s].uncommittedRanges;
    for (let u = 0; u < ranges.length; u++) holes.push(ranges[u].address);
  }
  holes.sort((a, b) => a - b);
  let hole = 0;
  let first = 0;
  while (first < order.length) {
    const start = user[order[first]];
    let end = start + wanted(order[first]);
    let last = first;
    while (hole < holes.length && holes[hole] < end) hole++;
    while (last + 1 < order.length) {
      const next = order[last + 1];
      const nextEnd = user[next] + wanted(next);
      if (user[next] - end > MAX_GAP_IN_WINDOW || nextEnd - start > SCAN_CHUNK_BYTES) break;
      if (hole < holes.length && holes[hole] < user[next]) break;
      if (nextEnd > end) end = nextEnd;
      last++;
    }
    const runs: MemoryRun[] = [];
    for (const run of readableRuns(memory, start, end)) runs.push(run);
    yield { rows: order.subarray(first, last + 1), runs };
    first = last + 1;
  }
}
