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
  const countsBySize = countBusyBySize(walk);
  let totalBusyBlocks = 0;
  let totalBusyBytes = 0;
  const rows: SizeStatRow[] = [];
  countsBySize.forEach((count, size) => {
    totalBusyBlocks += count;
    totalBusyBytes += size * count;
    rows.push({ size, count, total: size * count, percent: 0 });
  });
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

function countBusyBySize(walk: HeapWalk): Map<number, number> {
  const blocks = walk.blocks;
  const counts = new Map<number, number>();
  for (let i = 0; i < blocks.count; i++) {
    if (blocks.state[i] !== STATE_BUSY) continue;
    const size = blocks.userSize[i];
    counts.set(size, (counts.get(size) || 0) + 1);
  }
  return counts;
}

// Ties fall back to the larger size first so the order is total (deterministic).
const ORDERINGS: { [K in StatGroupBy]: (a: SizeStatRow, b: SizeStatRow) => number } = {
  A: (a, b) => b.size - a.size,
  B: (a, b) => b.count - a.count || b.size - a.size,
  S: (a, b) => b.total - a.total || b.size - a.size,
};
