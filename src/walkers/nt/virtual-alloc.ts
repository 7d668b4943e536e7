// Blocks too large for a segment: each in its own VirtualAlloc'd region, listed on
// _HEAP.VirtualAllocdBlocks (docs/heap-structures.md §2.3). The region starts, page-aligned, with
// a _HEAP_VIRTUAL_ALLOC_ENTRY whose BusyBlock header is encoded like any other, and whose Size
// field holds the unused byte count: requested = CommitSize - unused - sizeof(entry).
// A corrupted list or entry must not make the walk long or the blocks huge: the list is bounded
// by what the heap's own counter allows, every size by the entry's reservation and that counter,
// and blocks may not overlap each other or the heap's segments.
import { BlockTableBuilder, KIND_VIRTUAL_ALLOC, NONE, SegmentRecord, STATE_BUSY } from "../../heap/records";
import { FindingLog } from "../../heap/findings";
import { Memory } from "../../host/memory-types";
import { NtHeapLayout } from "../../layouts/ntheap";
import { pointer, pointerHex, u16 } from "../../util/bytes";
import { hex0x } from "../../util/hex";
import { walkList } from "../list";
import { EntryDecoder, FLAG_EXTRA_PRESENT, newDecodedEntry } from "./entry";

const PAGE = 0x1000;
/** No heap has more VirtualAlloc'd blocks than this (each is at least 508 KiB on x86). */
const MAX_VIRTUAL_BLOCKS = 1 << 16;
const MAX_COMMIT = Math.pow(2, 40);

/**
 * Appends the heap's VirtualAlloc'd blocks to `blocks`; returns how many were listed.
 * `total`: _HEAP.Counters.TotalSizeInVirtualBlocks when the build has it (no block is larger).
 */
export function walkVirtualAllocs(
  memory: Memory, layout: NtHeapLayout, decoder: EntryDecoder, heap: number, total: number | undefined,
  segments: SegmentRecord[], blocks: BlockTableBuilder, findings: FindingLog,
): number {
  const va = layout.virtualAlloc;
  const p = layout.pointerSize;
  const limit = total !== undefined && isFinite(total) ? Math.min(MAX_VIRTUAL_BLOCKS, Math.floor(total / PAGE) + 1) : MAX_VIRTUAL_BLOCKS;
  const list = walkList(memory, heap + layout.heap.virtualAllocdBlocks, limit);
  if (list.problem) findings.add("Corruption", list.problem.address, `VirtualAlloc list: ${list.problem.message}`);
  const header = newDecodedEntry();
  const candidates: Candidate[] = [];
  for (let i = 0; i < list.links.length; i++) {
    const entry = list.links[i] - va.entry;
    let bytes: Uint8Array;
    try {
      bytes = memory.read(entry, va.size);
    } catch (e) {
      findings.add("Unreadable", entry, `VirtualAlloc block at ${hex0x(entry)} is not readable`, "va-unreadable", "VirtualAlloc blocks that are not readable");
      continue;
    }
    const commit = pointer(bytes, va.commitSize, p);
    const reserve = va.reserveSize !== undefined ? pointer(bytes, va.reserveSize, p) : commit;
    decoder.decode(bytes, va.busyBlock, header);
    const userSize = commit - header.size - va.size;
    const problem =
      entry % PAGE !== 0 ? "it is not page-aligned"
      : !header.checksumOk ? "its header fails its checksum"
      : !(commit > 0 && commit <= MAX_COMMIT && commit <= reserve) ? `CommitSize ${pointerHex(bytes, va.commitSize, p)} is not within its ReserveSize ${va.reserveSize !== undefined ? pointerHex(bytes, va.reserveSize, p) : "?"}`
      : total !== undefined && commit > total ? `CommitSize ${hex0x(commit)} exceeds the heap's TotalSizeInVirtualBlocks ${hex0x(total)}`
      : userSize < 0 ? `its unused byte count 0x${header.size.toString(16)} exceeds CommitSize ${hex0x(commit)}`
      : undefined;
    if (problem) {
      findings.add("Corruption", entry + va.busyBlock, `VirtualAlloc block at ${hex0x(entry)}: ${problem}`, "va-header", "VirtualAlloc blocks with a bad header");
      continue;
    }
    // Windows 7 +ust: the block's _HEAP_ENTRY_EXTRA is the entry's ExtraStuff (§2.3, §2.7).
    const extra = (header.flags & FLAG_EXTRA_PRESENT) !== 0 && layout.virtualAllocExtraStuff !== undefined && layout.extraBackTraceIndex !== undefined
      ? u16(bytes, layout.virtualAllocExtraStuff + layout.extraBackTraceIndex) : 0;
    candidates.push({ entry, end: entry + commit, userSize, flags: header.flags, trace: extra > 0 ? -extra : 0, overlaps: undefined });
  }
  markOverlaps(candidates, segments);
  let listed = 0;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    if (c.overlaps) {
      findings.add("Corruption", c.entry, `VirtualAlloc block [${hex0x(c.entry)}, ${hex0x(c.end)}) overlaps [${hex0x(c.overlaps.start)}, ${hex0x(c.overlaps.end)}) of the same heap: it is not listed`,
        "va-overlap", "VirtualAlloc blocks overlapping other blocks or segments of the heap");
      continue;
    }
    if (memory.readPrefix(c.end - 1, 1).length === 0) {
      findings.add("Unreadable", c.end - 1, `VirtualAlloc block at ${hex0x(c.entry)}: its last committed byte ${hex0x(c.end - 1)} is not in the dump`,
        "va-short", "VirtualAlloc blocks whose committed memory is not all in the dump");
    }
    const row = blocks.push(c.entry + va.busyBlock, c.entry + va.size, c.end - c.entry, c.userSize, STATE_BUSY, KIND_VIRTUAL_ALLOC, NONE, NONE, 0, c.flags);
    if (c.trace !== 0) blocks.setTrace(row, c.trace);
    listed++;
  }
  return listed;
}

interface Candidate {
  entry: number;
  end: number;
  userSize: number;
  flags: number;
  /** Minus its Windows 7 trace index, or 0 (see BlockTable.trace). */
  trace: number;
  /** The range it overlaps, once found. */
  overlaps: { start: number; end: number } | undefined;
}

/** Sorted by start, each block is checked against the furthest-reaching range before it (segments included): O(n log n). */
function markOverlaps(candidates: Candidate[], segments: SegmentRecord[]): void {
  const ranges: { start: number; end: number; candidate: Candidate | undefined }[] = [];
  for (let i = 0; i < segments.length; i++) ranges.push({ start: segments[i].baseAddress, end: segments[i].lastValidEntry, candidate: undefined });
  for (let i = 0; i < candidates.length; i++) ranges.push({ start: candidates[i].entry, end: candidates[i].end, candidate: candidates[i] });
  ranges.sort((a, b) => a.start - b.start || (a.candidate ? 1 : 0) - (b.candidate ? 1 : 0));
  let reach: { start: number; end: number } | undefined;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i];
    if (reach && r.start < reach.end) {
      if (r.candidate) {
        r.candidate.overlaps = { start: reach.start, end: reach.end };
        continue;
      }
    }
    if (!reach || r.end > reach.end) reach = { start: r.start, end: r.end };
  }
}
