// `!heap -stat -h HEAP [-grp A|B|S [MaxDisplay]]` (docs/heap-structures.md §3.2): busy user
// allocations grouped by requested size. LFH blocks count one by one and VirtualAlloc
// blocks are included (§3.2: the 4 MiB row of docs/seeds.md seed 000 is a VirtualAlloc block); Internal
// blocks (LFH UserBlocks containers) are left out so LFH bytes are not counted twice.

import { HeapWalk, STATE_BUSY } from "../heap/records";

/** A: by allocation size, B: by block count, S: by total size (the default). */
export type StatGroupBy = "A" | "B" | "S";

export interface SizeStatRow {
  /** The requested (user) size in bytes. */
  size: number;
  count: number;
  /** size * count. */
  total: number;
  /** total / all busy user bytes * 100, unrounded (the formatter prints 2 decimals). */
  percent: number;
}

export interface SizeStatistics {
  /** Ordered per the grouping, at most maxRows. */
  rows: SizeStatRow[];
  /** Rows before the cut. */
  distinctSizes: number;
  totalBusyBlocks: number;
  totalBusyBytes: number;
}

export function sizeStatistics(walk: HeapWalk, groupBy: StatGroupBy, maxRows: number): SizeStatistics {
  const rows = countBusyBySize(walk);
  let totalBusyBlocks = 0;
  let totalBusyBytes = 0;
  for (let i = 0; i < rows.length; i++) {
    totalBusyBlocks += rows[i].count;
    totalBusyBytes += rows[i].total;
  }
  for (let i = 0; i < rows.length; i++) {
    rows[i].percent = totalBusyBytes > 0 ? (rows[i].total * 100) / totalBusyBytes : 0;
  }
  rows.sort(ORDERINGS[groupBy]);
  return {
    rows: rows.slice(0, Math.max(0, maxRows)),
    distinctSizes: rows.length,
    totalBusyBlocks,
    totalBusyBytes,
  };
}

/** Sizes below this are counted in an array indexed by size; the few larger ones in a map. */
const DIRECT_SIZES = 1 << 16;

/** One row per distinct requested size of the busy blocks, unordered, percent not yet set. */
function countBusyBySize(walk: HeapWalk): SizeStatRow[] {
  const { state, userSize, count } = walk.blocks;
  // Counting is the whole work of !heapstat on a walked heap: an array slot per size costs a
  // few instructions a block, a Map entry several times more. The loop runs once per command,
  // mostly before the JIT has optimized it, so it reads no property per row.
  const small = new Uint32Array(DIRECT_SIZES);
  const large = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    if (state[i] !== STATE_BUSY) continue;
    const size = userSize[i];
    if (size < DIRECT_SIZES) small[size]++;
    else large.set(size, (large.get(size) || 0) + 1);
  }
  const rows: SizeStatRow[] = [];
  for (let size = 0; size < DIRECT_SIZES; size++) {
    if (small[size] !== 0) rows.push({ size, count: small[size], total: size * small[size], percent: 0 });
  }
  large.forEach((count, size) => rows.push({ size, count, total: size * count, percent: 0 }));
  return rows;
}

// Ties fall back to the larger size first so the order is total (deterministic).
const ORDERINGS: { [K in StatGroupBy]: (a: SizeStatRow, b: SizeStatRow) => number } = {
  A: (a, b) => b.size - a.size,
  B: (a, b) => b.count - a.count || b.size - a.size,
  S: (a, b) => b.total - a.total || b.size - a.size,
};
