// The segments of an NT heap and their uncommitted ranges (docs/heap-structures.md §1.3, §2.2):
// _HEAP.SegmentList links _HEAP_SEGMENT.SegmentListEntry (the heap is its own first segment);
// each segment's UCRSegmentList links _HEAP_UCR_DESCRIPTOR.SegmentEntry.
import { Memory } from "../../host/memory-types";
import { NtHeapLayout } from "../../layouts/ntheap";
import { SegmentRecord, UncommittedRange } from "../../heap/records";
import { FindingLog } from "../../heap/findings";
import { pointer, pointerHex } from "../../util/bytes";
import { hex0x } from "../../util/hex";
import { walkList } from "../list";

const MAX_SEGMENTS = 4096;
const MAX_UCRS = 1 << 16;
/** Larger reservations than this are not a plausible segment: the header is corrupt. */
const MAX_SEGMENT_BYTES = Math.pow(2, 40);

export function readSegments(memory: Memory, layout: NtHeapLayout, heap: number, findings: FindingLog): SegmentRecord[] {
  const list = walkList(memory, heap + layout.heap.segmentList, MAX_SEGMENTS);
  if (list.problem) findings.add("Corruption", list.problem.address, `segment list: ${list.problem.message}`);
  const segments: SegmentRecord[] = [];
  for (let i = 0; i < list.links.length; i++) {
    const segment = readSegment(memory, layout, list.links[i] - layout.segment.segmentListEntry, findings);
    if (!segment) continue;
    // A segment whose range overlaps one already listed would list blocks twice (and lose others).
    const overlapped = overlapping(segments, segment.baseAddress, segment.lastValidEntry);
    if (overlapped) {
      findings.add("Corruption", segment.address,
        `segment ${hex0x(segment.address)} [${hex0x(segment.baseAddress)}, ${hex0x(segment.lastValidEntry)}) overlaps segment ${hex0x(overlapped.address)} [${hex0x(overlapped.baseAddress)}, ${hex0x(overlapped.lastValidEntry)}): it is not walked`);
      continue;
    }
    segments.push(segment);
  }
  return segments;
}

function overlapping(segments: SegmentRecord[], start: number, end: number): SegmentRecord | undefined {
  for (let i = 0; i < segments.length; i++) {
    if (start < segments[i].lastValidEntry && segments[i].baseAddress < end) return segments[i];
  }
  return undefined;
}

function readSegment(memory: Memory, layout: NtHeapLayout, address: number, findings: FindingLog): SegmentRecord | undefined {
  const s = layout.segment;
  const p = layout.pointerSize;
  const span = Math.max(s.baseAddress, s.firstEntry, s.lastValidEntry, s.ucrSegmentList, s.numberOfUnCommittedRanges) + 2 * p;
  let bytes: Uint8Array;
  try {
    bytes = memory.read(address, span);
  } catch (e) {
    findings.add("Unreadable", address, `segment header at ${hex0x(address)} is not readable`);
    return undefined;
  }
  const baseAddress = pointer(bytes, s.baseAddress, p);
  const firstEntry = pointer(bytes, s.firstEntry, p);
  const lastValidEntry = pointer(bytes, s.lastValidEntry, p);
  const reservedBytes = lastValidEntry - baseAddress;
  if (!(baseAddress <= address && address < firstEntry && firstEntry < lastValidEntry && reservedBytes <= MAX_SEGMENT_BYTES)) {
    const field = (offset: number) => pointerHex(bytes, offset, p);
    findings.add("Corruption", address,
      `segment ${hex0x(address)} has implausible bounds (base ${field(s.baseAddress)}, first entry ${field(s.firstEntry)}, last valid entry ${field(s.lastValidEntry)})`);
    return undefined;
  }
  const uncommittedRanges = readUncommittedRanges(memory, layout, address, firstEntry, lastValidEntry, findings);
  let uncommitted = 0;
  for (let i = 0; i < uncommittedRanges.length; i++) uncommitted += uncommittedRanges[i].size;
  return { address, baseAddress, firstEntry, lastValidEntry, reservedBytes, committedBytes: reservedBytes - uncommitted, uncommittedRanges };
}

/**
 * The segment's uncommitted ranges: inside [FirstEntry, LastValidEntry), not overlapping, and not
 * readable. Uncommitted memory is in no dump and cannot be read on a live target, so a range whose
 * first page reads is a descriptor lying over committed blocks: it is reported, and the walk goes
 * through it as committed memory instead of silently skipping the blocks it covers.
 */
function readUncommittedRanges(
  memory: Memory, layout: NtHeapLayout, segment: number, firstEntry: number, end: number, findings: FindingLog,
): UncommittedRange[] {
  const u = layout.ucr;
  const p = layout.pointerSize;
  const list = walkList(memory, segment + layout.segment.ucrSegmentList, MAX_UCRS);
  if (list.problem) findings.add("Corruption", list.problem.address, `uncommitted-range list of segment ${hex0x(segment)}: ${list.problem.message}`);
  const ranges: UncommittedRange[] = [];
  for (let i = 0; i < list.links.length; i++) {
    const descriptor = list.links[i] - u.segmentEntry;
    let bytes: Uint8Array;
    try {
      bytes = memory.read(descriptor, Math.max(u.address, u.size) + p);
    } catch (e) {
      findings.add("Unreadable", descriptor, `uncommitted-range descriptor at ${hex0x(descriptor)} is not readable`);
      continue;
    }
    const address = pointer(bytes, u.address, p);
    const size = pointer(bytes, u.size, p);
    if (!(address >= firstEntry && size > 0 && address + size <= end)) {
      findings.add("Corruption", descriptor,
        `uncommitted range ${pointerHex(bytes, u.address, p)}+${pointerHex(bytes, u.size, p)} lies outside the entries of segment ${hex0x(segment)} [${hex0x(firstEntry)}, ${hex0x(end)})`);
      continue;
    }
    if (memory.readPrefix(address, 1).length > 0) {
      findings.add("Corruption", descriptor,
        `uncommitted range ${hex0x(address)}+${hex0x(size)} (descriptor ${hex0x(descriptor)}) is readable memory: the descriptor lies over committed blocks, which are walked`);
      continue;
    }
    ranges.push({ address, size });
  }
  ranges.sort((a, b) => a.address - b.address);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i].address < ranges[i - 1].address + ranges[i - 1].size) {
      findings.add("Corruption", ranges[i].address, `uncommitted ranges ${hex0x(ranges[i - 1].address)}+${hex0x(ranges[i - 1].size)} and ${hex0x(ranges[i].address)}+${hex0x(ranges[i].size)} of segment ${hex0x(segment)} overlap`);
    }
  }
  return ranges;
}

/** The committed runs of a segment's entry area: [FirstEntry, LastValidEntry) minus its uncommitted ranges. */
export function committedRuns(segment: SegmentRecord): { start: number; end: number }[] {
  const runs: { start: number; end: number }[] = [];
  let start = segment.firstEntry;
  for (let i = 0; i < segment.uncommittedRanges.length; i++) {
    const range = segment.uncommittedRanges[i];
    if (range.address + range.size <= start) continue;
    if (range.address > start) runs.push({ start, end: range.address });
    start = Math.max(start, range.address + range.size);
  }
  if (start < segment.lastValidEntry) runs.push({ start, end: segment.lastValidEntry });
  return runs;
}
