// !heapcheck for an NT heap: what the walk found, checked against what the heap says of itself
// (the beginnings of !heap -v, docs/heap-structures.md §3.8). Cheap checks run in every walk;
// these read the heap again or follow every free-list link, so they run only when asked:
//  - every entry of _HEAP.FreeLists is a free block the walk found, and every free block is on it;
//  - _HEAP.TotalFreeSize equals the free blocks' granules, Counters.TotalSegments and TotalUCRs
//    the segments and uncommitted ranges walked (UNVERIFIED that Windows keeps them exact:
//    a disagreement is reported, it changes nothing);
//  - no block hides another: a valid header inside a block whose PreviousSize points back at the
//    block's start means the block's Size was damaged and swallowed its neighbours.
import { FindingLog } from "../../heap/findings";
import { HeapWalk, KIND_BACKEND, STATE_FREE, STATE_INTERNAL } from "../../heap/records";
import { NtdllView } from "../../host/target";
import { readableRuns } from "../../host/memory-scan";
import { pointer, u32 } from "../../util/bytes";
import { hex0x } from "../../util/hex";
import { walkList } from "../list";
import { EntryDecoder, newDecodedEntry } from "./entry";
import { encodingKey } from "./heap";
import { committedRuns } from "./segments";

export function checkNtHeap(view: NtdllView, walk: HeapWalk, findings: FindingLog): void {
  const { memory, layout } = view;
  const h = layout.heap;
  let header: Uint8Array;
  try {
    header = memory.read(walk.address, Math.max(h.encoding + layout.entry.granularity, h.encodeFlagMask + 4));
  } catch (e) {
    return; // the walk has reported the unreadable header
  }
  const decoder = new EntryDecoder(layout.entry, encodingKey(header, layout, walk.address, new FindingLog()));
  checkFreeLists(view, walk, findings);
  checkCounters(view, walk, findings);
  checkHiddenBlocks(view, walk, decoder, findings);
}

function checkFreeLists(view: NtdllView, walk: HeapWalk, findings: FindingLog): void {
  const { memory, layout } = view;
  if (layout.heap.freeLists === undefined || layout.freeEntryList === undefined) return;
  const blocks = walk.blocks;
  // Each free block the walk found, and whether a free list names it.
  const free = new Map<number, boolean>();
  let freeCount = 0;
  for (let i = 0; i < blocks.count; i++) {
    if (blocks.kind[i] === KIND_BACKEND && blocks.state[i] === STATE_FREE) {
      free.set(blocks.address[i], false);
      freeCount++;
    }
  }
  const list = walkList(memory, walk.address + layout.heap.freeLists, freeCount + 16);
  if (list.problem) findings.add("Corruption", list.problem.address, `_HEAP.FreeLists: ${list.problem.message}`);
  for (let i = 0; i < list.links.length; i++) {
    const entry = list.links[i] - layout.freeEntryList;
    if (!free.has(entry)) {
      findings.add("Corruption", entry, `_HEAP.FreeLists names 0x${entry.toString(16)}, which is not a free block the walk found`,
        "free-list-stranger", "free-list entries that are not free blocks");
    } else {
      free.set(entry, true);
    }
  }
  if (list.problem) return; // a cut list cannot say which free blocks it misses
  free.forEach((listed, address) => {
    if (!listed) findings.add("Corruption", address, `free block ${hex0x(address)} is on no free list`, "free-list-missing", "free blocks on no free list");
  });
}

function checkCounters(view: NtdllView, walk: HeapWalk, findings: FindingLog): void {
  const { memory, layout } = view;
  const h = layout.heap;
  const p = layout.pointerSize;
  const read = (offset: number | undefined, size: number): number | undefined => {
    if (offset === undefined) return undefined;
    try {
      const bytes = memory.read(walk.address + offset, size);
      return size === 4 ? u32(bytes, 0) : pointer(bytes, 0, p);
    } catch (e) {
      return undefined;
    }
  };
  const blocks = walk.blocks;
  let freeGranules = 0;
  for (let i = 0; i < blocks.count; i++) {
    if (blocks.kind[i] === KIND_BACKEND && blocks.state[i] === STATE_FREE) freeGranules += blocks.size[i] / walk.granularity;
  }
  let ucrs = 0;
  for (let i = 0; i < walk.segments.length; i++) ucrs += walk.segments[i].uncommittedRanges.length;
  const expect = (name: string, offset: number | undefined, size: number, walked: number, what: string) => {
    const value = read(offset, size);
    if (value !== undefined && value !== walked) {
      findings.add("Corruption", walk.address + offset!, `_HEAP.${name} is 0x${value.toString(16)} but the walk found 0x${walked.toString(16)} ${what}`);
    }
  };
  expect("TotalFreeSize", h.totalFreeSize, p, freeGranules, "granules in free blocks");
  expect("Counters.TotalSegments", h.totalSegments, 4, walk.segments.length, "segments");
  expect("Counters.TotalUCRs", h.totalUCRs, 4, ucrs, "uncommitted ranges");
}

/** A header inside a back-end block that names the block's start as its previous block. */
function checkHiddenBlocks(view: NtdllView, walk: HeapWalk, decoder: EntryDecoder, findings: FindingLog): void {
  const granularity = walk.granularity;
  const blocks = walk.blocks;
  const e = newDecodedEntry();
  for (let s = 0; s < walk.segments.length; s++) {
    // The segment's busy and free back-end blocks, in address order (containers and headers are bookkeeping).
    const rows: number[] = [];
    for (let i = 0; i < blocks.count; i++) {
      if (blocks.segment[i] === s && blocks.kind[i] === KIND_BACKEND && blocks.state[i] !== STATE_INTERNAL) rows.push(i);
    }
    let first = 0;
    const runs = committedRuns(walk.segments[s]);
    for (let r = 0; r < runs.length; r++) {
      for (const run of readableRuns(view.memory, runs[r].start, runs[r].end)) {
        const runEnd = run.address + run.bytes.length;
        while (first < rows.length && blocks.address[rows[first]] + blocks.size[rows[first]] <= run.address) first++;
        for (let k = first; k < rows.length && blocks.address[rows[k]] < runEnd; k++) {
          const i = rows[k];
          const start = blocks.address[i];
          const from = Math.max(start + granularity, run.address);
          const to = Math.min(start + blocks.size[i], runEnd);
          for (let q = from; q + granularity <= to; q += granularity) {
            decoder.decode(run.bytes, q - run.address, e);
            if (e.checksumOk && e.size > 0 && e.previousSize * granularity === q - start) {
              findings.add("Corruption", start,
                `block ${hex0x(start)} (0x${blocks.size[i].toString(16)} bytes) holds a valid header at ${hex0x(q)} whose PreviousSize points back at it: its Size was damaged and hides the blocks from ${hex0x(q)} on`,
                "hidden-blocks", "blocks whose damaged Size hides the blocks after them");
              break;
            }
          }
        }
      }
    }
  }
}
