// What `!heap -s` prints for one NT heap, or for a segment heap (docs/heap-structures.md §3.1). The column semantics there
// are INFERRED from the labels and _HEAP_COUNTERS field names; the formulas below are the
// ones that reproduce the real tables in the seeds (docs/seeds.md, seeds 000 and 001) and in §3.1.

import { HeapWalk, KIND_BACKEND, KIND_LARGE, KIND_VS, STATE_BUSY, STATE_FREE, STATE_FREED } from "../heap/records";

export interface HeapSummary {
  heapAddress: number;
  /** _HEAP.Flags. */
  flags: number;
  /** "Reserv": the sum of the segments' reserved bytes. */
  reservedBytes: number;
  /** "Commit": the sum of the segments' committed bytes. */
  committedBytes: number;
  /** "Virt": reserved − Counters.TotalMemoryLargeUCR ("correction for large UCR"). */
  virtualBytes: number;
  /** "Free": bytes in backend free blocks (LFH free slots are not on the free lists). */
  freeBytes: number;
  /** "List length": the number of backend free blocks. */
  freeBlockCount: number;
  largestFreeBlock: number;
  /** "UCR": uncommitted ranges over all segments. */
  uncommittedRangeCount: number;
  /** "Virt blocks". */
  virtualBlockCount: number;
  /** "Lock cont.": Counters.LockCollisions. */
  lockContention: number;
  /** "Fast heap": "LFH" or "". */
  fastHeap: string;
  /** Integer percent, see externalFragmentationPercent. */
  externalFragmentation: number;
  /** Integer percent, see virtualAddressFragmentationPercent. */
  virtualAddressFragmentation: number;
  /** Busy blocks of any kind (LFH blocks one by one, VirtualAlloc blocks included). */
  busyBlockCount: number;
  busyUserBytes: number;
}

export function summarizeHeap(walk: HeapWalk): HeapSummary {
  const segments = sumSegments(walk);
  const free = countBackendFree(walk);
  const busy = countBusy(walk);
  const virtualBytes = Math.max(0, segments.reservedBytes - walk.counters.largeUncommittedBytes);
  return {
    heapAddress: walk.address,
    flags: walk.flags,
    reservedBytes: segments.reservedBytes,
    committedBytes: segments.committedBytes,
    virtualBytes,
    freeBytes: free.bytes,
    freeBlockCount: free.count,
    largestFreeBlock: free.largest,
    uncommittedRangeCount: segments.uncommittedRanges,
    virtualBlockCount: walk.virtualBlockCount,
    lockContention: walk.counters.lockContention,
    fastHeap: walk.counters.frontEnd,
    externalFragmentation: externalFragmentationPercent(free.largest, free.bytes),
    virtualAddressFragmentation: virtualAddressFragmentationPercent(segments.committedBytes, segments.reservedBytes),
    busyBlockCount: busy.count,
    busyUserBytes: busy.bytes,
  };
}

/**
 * 1 − largest free / total free, as a floored integer percent (§3.1, formula from the
 * accepted StackOverflow answer cited there; INFERRED). 0 when nothing is free.
 */
export function externalFragmentationPercent(largestFree: number, totalFree: number): number {
  if (totalFree <= 0) return 0;
  return Math.floor(((totalFree - largestFree) * 100) / totalFree);
}

/**
 * 1 − committed / reserved, as a floored integer percent (INFERRED). §3.1 gives
 * 1 − committed / virtual, which fits its single-heap sample, but the one table row of
 * seed 000 that prints the line (01c20000: Reserv 128828, Commit 84980, Virt 128720,
 * printed "34 %") only comes out with the reserved size: 1 − 84980/128828 = 34.04 %,
 * while 1 − 84980/128720 = 33.98 % floors to 33. The §3.1 table sample has Reserv = Virt,
 * so both fit it. 0 when committed ≥ reserved (seed 001 has heaps with Commit > Virt).
 */
export function virtualAddressFragmentationPercent(committed: number, reserved: number): number {
  if (reserved <= 0 || committed >= reserved) return 0;
  return Math.floor(((reserved - committed) * 100) / reserved);
}

function sumSegments(walk: HeapWalk): { reservedBytes: number; committedBytes: number; uncommittedRanges: number } {
  let reservedBytes = 0;
  let committedBytes = 0;
  let uncommittedRanges = 0;
  for (let i = 0; i < walk.segments.length; i++) {
    const segment = walk.segments[i];
    reservedBytes += segment.reservedBytes;
    committedBytes += segment.committedBytes;
    uncommittedRanges += segment.uncommittedRanges.length;
  }
  return { reservedBytes, committedBytes, uncommittedRanges };
}

function countBackendFree(walk: HeapWalk): { bytes: number; count: number; largest: number } {
  const blocks = walk.blocks;
  let bytes = 0;
  let count = 0;
  let largest = 0;
  for (let i = 0; i < blocks.count; i++) {
    if (blocks.state[i] !== STATE_FREE || blocks.kind[i] !== KIND_BACKEND) continue;
    const size = blocks.size[i];
    bytes += size;
    count++;
    if (size > largest) largest = size;
  }
  return { bytes, count, largest };
}

function countBusy(walk: HeapWalk): { bytes: number; count: number } {
  const blocks = walk.blocks;
  let bytes = 0;
  let count = 0;
  for (let i = 0; i < blocks.count; i++) {
    if (blocks.state[i] !== STATE_BUSY) continue;
    bytes += blocks.userSize[i];
    count++;
  }
  return { bytes, count };
}

/**
 * What `!heap -s` shows for a segment heap (docs/heap-structures.md §3.1 "Segment heaps": the
 * natural inputs are _SEGMENT_HEAP.MemStats, the VS context's units and the Large counters; the
 * exact columns WinDbg prints are UNVERIFIED). The heap's own counters where its symbols have
 * them, what the walk counted otherwise.
 */
export interface SegmentHeapSummary {
  heapAddress: number;
  flags: number;
  /** The page segments' reserved and committed bytes (MemStats). */
  reservedBytes: number;
  committedBytes: number;
  /** Committed bytes in free page ranges (MemStats.FreeCommittedPages). */
  freeCommittedBytes: number;
  /** Committed bytes of LFH subsegments without a busy block (MemStats.LfhFreeCommittedPages). */
  lfhFreeCommittedBytes: number;
  /** Free VS chunks (VsContext.FreeCommittedUnits). */
  vsFreeBytes: number;
  /** The Large blocks' reserved and committed bytes. */
  largeReservedBytes: number;
  largeCommittedBytes: number;
  largeBlockCount: number;
  /** Page segments per segment context. */
  segmentsPerContext: number[];
  freeBlockCount: number;
  largestFreeBlock: number;
  busyBlockCount: number;
  busyUserBytes: number;
}

export function summarizeSegmentHeap(walk: HeapWalk): SegmentHeapSummary {
  const c = walk.segmentHeap;
  const segments = sumSegments(walk);
  const busy = countBusy(walk);
  const blocks = walk.blocks;
  let freeCount = 0;
  let largest = 0;
  let vsFree = 0;
  let largeBytes = 0;
  for (let i = 0; i < blocks.count; i++) {
    if (blocks.kind[i] === KIND_LARGE) largeBytes += blocks.size[i];
    if (blocks.state[i] !== STATE_FREE) continue;
    freeCount++;
    if (blocks.size[i] > largest) largest = blocks.size[i];
    if (blocks.kind[i] === KIND_VS) vsFree += blocks.size[i];
  }
  const or = (value: number | undefined, fallback: number) => (value === undefined ? fallback : value);
  return {
    heapAddress: walk.address,
    flags: walk.flags,
    reservedBytes: or(c && c.reservedBytes, segments.reservedBytes),
    committedBytes: or(c && c.committedBytes, segments.committedBytes),
    freeCommittedBytes: or(c && c.freeCommittedBytes, 0),
    lfhFreeCommittedBytes: or(c && c.lfhFreeCommittedBytes, 0),
    vsFreeBytes: or(c && c.vsFreeCommittedBytes, vsFree),
    largeReservedBytes: or(c && c.largeReservedBytes, largeBytes),
    largeCommittedBytes: or(c && c.largeCommittedBytes, largeBytes),
    largeBlockCount: walk.virtualBlockCount,
    segmentsPerContext: c ? c.segmentsPerContext.slice() : [walk.segments.length],
    freeBlockCount: freeCount,
    largestFreeBlock: largest,
    busyBlockCount: busy.count,
    busyUserBytes: busy.bytes,
  };
}

/** What !heaps shows for a page heap (gflags +hpa): its full-page and light blocks, busy and freed. */
export interface PageHeapSummary {
  heapAddress: number;
  flags: number;
  /** Full-page blocks (each in its own virtual block), busy and delayed-free, with their user bytes. */
  fullPageBusy: number;
  fullPageBusyBytes: number;
  freed: number;
  freedBytes: number;
  /** Light blocks (inside the NormalHeap), busy. */
  lightBusy: number;
  lightBusyBytes: number;
  /** The NormalHeap, or 0 when its walk could not be had. */
  normalHeap: number;
}

/**
 * A page heap's walk lists its full-page blocks first (virtualBlockCount of them, busy then
 * delayed-free), then its light blocks (src/walkers/pageheap/heap.ts).
 */
export function summarizePageHeap(walk: HeapWalk): PageHeapSummary {
  const b = walk.blocks;
  const out: PageHeapSummary = {
    heapAddress: walk.address, flags: walk.flags, fullPageBusy: 0, fullPageBusyBytes: 0, freed: 0, freedBytes: 0,
    lightBusy: 0, lightBusyBytes: 0, normalHeap: walk.normalHeap || 0,
  };
  for (let row = 0; row < b.count; row++) {
    if (b.state[row] === STATE_FREED) {
      out.freed++;
      out.freedBytes += b.userSize[row];
    } else if (b.state[row] === STATE_BUSY && row < walk.virtualBlockCount) {
      out.fullPageBusy++;
      out.fullPageBusyBytes += b.userSize[row];
    } else if (b.state[row] === STATE_BUSY) {
      out.lightBusy++;
      out.lightBusyBytes += b.userSize[row];
    }
  }
  return out;
}
