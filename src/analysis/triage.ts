// The leak triage: the manual hunt (!heap -s → -stat -h → -flt s → -p -a) as one ranking. Busy
// blocks are grouped by allocation stack, type and requested size (src/analysis/groups.ts
// groupBySuspect), each group scored by what it holds, how much of it nothing points to, how many
// blocks it has and how it grew since the last snapshot; the heaps are ranked by the memory they
// hold, and the ones whose free space is the problem are named.
import { HeapWalk, KIND_LARGE, KIND_VIRTUAL_ALLOC, NONE, STATE_BUSY, STATE_FREE } from "../heap/records";
import { BlockGroup, GroupSource, groupBySuspect } from "./groups";
import { summarizeHeap, summarizeSegmentHeap } from "./summary";

/** A walked heap with the numbers triage ranks it by. */
export interface TriageHeap {
  /** Position in the process's heap list. */
  heap: number;
  walk: HeapWalk;
  /** Committed bytes of its segments plus its blocks outside them (VirtualAlloc'd, Large, full-page). */
  committedBytes: number;
  /** Committed bytes of free blocks. */
  freeBytes: number;
  busyBlocks: number;
  busyBytes: number;
  unreachableBytes: number;
}

export interface Suspect {
  group: BlockGroup;
  /** The requested size every block of the group has. */
  size: number;
  /** The heap holding most of its bytes, and the share of that heap's busy bytes it holds (percent). */
  heap: number;
  heapShare: number;
  unreachableCount: number;
  unreachableBytes: number;
  /** Change since the last snapshot diff, when one exists and names the group. */
  growth: { count: number; bytes: number } | undefined;
  /** A VirtualAlloc'd (or segment-heap Large) block: Windows keeps no allocation stack for it. */
  giant: boolean;
  score: number;
}

export interface TriageResult {
  /** Heaps by committed bytes, largest first. */
  heaps: TriageHeap[];
  /** Suspects by score, largest first (at most the number asked for). */
  suspects: Suspect[];
  /** All the groups scored (for the count). */
  groupCount: number;
  /** Heaps whose free space is the problem: see FRAGMENTED_*. */
  fragmented: TriageHeap[];
  busyBlocks: number;
  busyBytes: number;
  unreachableCount: number;
  unreachableBytes: number;
  /** Busy blocks with an allocation stack. */
  tracedBlocks: number;
}

/** A heap is reported fragmented when its free blocks hold at least this share of its committed bytes... */
const FRAGMENTED_SHARE = 0.5;
/** ...and at least this much. */
const FRAGMENTED_BYTES = 1 << 20;

/**
 * The score of a group (README "How suspects are ranked"):
 *   bytes × (1 + unreachable share) × (1 + log10(count) / 4) + 2 × bytes grown.
 * Bytes lead; blocks nothing points to count double; many blocks of one kind weigh more than one
 * block of the same total (a thousand: 1.75×); growth since the last snapshot counts twice.
 */
export function suspectScore(bytes: number, unreachableBytes: number, count: number, grownBytes: number): number {
  const unreachableShare = bytes > 0 ? unreachableBytes / bytes : 0;
  return bytes * (1 + unreachableShare) * (1 + Math.log(Math.max(count, 1)) / Math.LN10 / 4) + 2 * Math.max(grownBytes, 0);
}

export function triage(
  heaps: TriageHeap[],
  sources: GroupSource[],
  unreachable: (heap: number, row: number) => boolean,
  growth: ((group: BlockGroup, size: number) => { count: number; bytes: number } | undefined) | undefined,
  maxSuspects: number,
): TriageResult {
  const byHeap: { [heap: number]: TriageHeap } = {};
  for (let i = 0; i < heaps.length; i++) byHeap[heaps[i].heap] = heaps[i];
  const groups = groupBySuspect(sources);
  const scored: Suspect[] = [];
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i];
    let unreachableCount = 0;
    let unreachableBytes = 0;
    let giant = false;
    let heap = -1;
    let heapBytes = -1;
    for (let m = 0; m < g.members.length; m++) {
      const source = sources[g.members[m].source];
      const blocks = source.walk.blocks;
      const rows = g.members[m].rows;
      let bytes = 0;
      for (let k = 0; k < rows.length; k++) {
        const row = rows[k];
        bytes += blocks.userSize[row];
        if (unreachable(source.heap, row)) {
          unreachableCount++;
          unreachableBytes += blocks.userSize[row];
        }
        if (blocks.kind[row] === KIND_VIRTUAL_ALLOC || blocks.kind[row] === KIND_LARGE) giant = true;
      }
      if (bytes > heapBytes) {
        heapBytes = bytes;
        heap = source.heap;
      }
    }
    const size = g.sizes[0];
    const grown = growth ? growth(g, size) : undefined;
    const busy = byHeap[heap] ? byHeap[heap].busyBytes : 0;
    scored.push({
      group: g,
      size,
      heap,
      heapShare: busy > 0 ? (100 * heapBytes) / busy : 0,
      unreachableCount,
      unreachableBytes,
      growth: grown,
      giant,
      score: suspectScore(g.totalBytes, unreachableBytes, g.count, grown ? grown.bytes : 0),
    });
  }
  scored.sort((a, b) => b.score - a.score || b.group.count - a.group.count);

  let busyBlocks = 0;
  let busyBytes = 0;
  let unreachableCount = 0;
  let unreachableBytes = 0;
  let tracedBlocks = 0;
  for (let i = 0; i < scored.length; i++) {
    const stack = scored[i].group.stack;
    if (stack && "frames" in stack) tracedBlocks += scored[i].group.count;
    busyBlocks += scored[i].group.count;
    busyBytes += scored[i].group.totalBytes;
    unreachableCount += scored[i].unreachableCount;
    unreachableBytes += scored[i].unreachableBytes;
  }
  const ranked = heaps.slice().sort((a, b) => b.committedBytes - a.committedBytes);
  return {
    heaps: ranked,
    suspects: scored.slice(0, maxSuspects),
    groupCount: scored.length,
    fragmented: ranked.filter((h) => h.freeBytes >= FRAGMENTED_BYTES && h.freeBytes >= FRAGMENTED_SHARE * h.committedBytes),
    busyBlocks,
    busyBytes,
    unreachableCount,
    unreachableBytes,
    tracedBlocks,
  };
}

/**
 * A heap's numbers from its walk: committed and free as !heap -s counts them (src/analysis/summary.ts),
 * committed including the blocks the heap holds outside its segments (VirtualAlloc'd, Large,
 * full-page); busy = busy blocks' requested bytes.
 */
export function triageHeap(heap: number, walk: HeapWalk, unreachable: (row: number) => boolean): TriageHeap {
  const blocks = walk.blocks;
  let outside = 0;
  let busyBlocks = 0;
  let busyBytes = 0;
  let unreachableBytes = 0;
  let freeBlocks = 0;
  for (let row = 0; row < blocks.count; row++) {
    if (blocks.segment[row] === NONE && blocks.container[row] === NONE && blocks.kind[row] !== KIND_LARGE) outside += blocks.size[row];
    if (blocks.state[row] === STATE_BUSY) {
      busyBlocks++;
      busyBytes += blocks.userSize[row];
      if (unreachable(row)) unreachableBytes += blocks.userSize[row];
    } else if (blocks.state[row] === STATE_FREE && blocks.container[row] === NONE) {
      freeBlocks += blocks.size[row];
    }
  }
  if (walk.type === "Segment") {
    const s = summarizeSegmentHeap(walk);
    const free = s.freeCommittedBytes + s.lfhFreeCommittedBytes + s.vsFreeBytes;
    return { heap, walk, committedBytes: s.committedBytes + s.largeCommittedBytes, freeBytes: free, busyBlocks, busyBytes, unreachableBytes };
  }
  if (walk.type === "NT") {
    const s = summarizeHeap(walk);
    return { heap, walk, committedBytes: s.committedBytes + outside, freeBytes: s.freeBytes, busyBlocks, busyBytes, unreachableBytes };
  }
  return { heap, walk, committedBytes: outside, freeBytes: freeBlocks, busyBlocks, busyBytes, unreachableBytes };
}
