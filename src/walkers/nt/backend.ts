// The NT heap back end: the entries of one segment, walked header by header (docs/heap-structures.md
// §2.2): first the segment's own header entry (_HEAP_SEGMENT.Entry, at the segment's address; in
// segment 0 it holds the _HEAP), which !heap -a lists first, then every committed run from
// FirstEntry. The walk of a run ends, with a finding naming the address, at the first header that
// fails its checksum or size bounds, or that cannot be read.
import { BlockTableBuilder, KIND_BACKEND, NONE, SegmentRecord, STATE_BUSY, STATE_FREE, STATE_INTERNAL } from "../../heap/records";
import { FindingLog } from "../../heap/findings";
import { Memory } from "../../host/memory-types";
import { NtHeapLayout } from "../../layouts/ntheap";
import { hex0x } from "../../util/hex";
import { MemoryWindow } from "../window";
import { nextReadablePage } from "../../host/memory-scan";
import { committedRuns } from "./segments";
import { DecodedEntry, EntryDecoder, FLAG_BUSY, FLAG_EXTRA_PRESENT, FLAG_INTERNAL, newDecodedEntry } from "./entry";
import { UserExtent, decodeUserExtent } from "./user-extent";
import { traceLocation } from "./trace-location";

/** UnusedBytes below this are pseudo-entry markers, not byte counts (§2.2: 1 segment, 3 uncommitted, 4 VirtualAlloc, 5 linked). */
const SMALLEST_UNUSED_COUNT = 8;
const PAGE = 0x1000;
/** UnusedBytes with this bit belong to LFH blocks, never to a back-end entry (§2.2). */
const LFH_MARKER = 0x80;
/** UnusedBytes escapes (§2.2): the count is stored after the block; an extended header precedes the user data. */
const UNUSED_STORED_AFTER = 0x3f;
const UNUSED_EXTENDED = 0x40;

/** A busy internal block with the 0x08 flag: a possible LFH UserBlocks container (§2.4). */
export interface InternalBlock {
  row: number;
  entry: number;
  end: number;
}

export class BackendWalker {
  private readonly entry: DecodedEntry = newDecodedEntry();
  /** Reused for every block: no object per block. */
  private readonly extent: UserExtent = { userAddress: 0, userSize: 0 };
  /** The state of the row pushEntry pushed last. */
  private pushedState = 0;

  constructor(
    private readonly memory: Memory,
    private readonly layout: NtHeapLayout,
    private readonly decoder: EntryDecoder,
    private readonly blocks: BlockTableBuilder,
    private readonly findings: FindingLog,
    /** _HEAP.VirtualMemoryThreshold in bytes: no busy back-end block is larger; 0 when unknown. */
    private readonly largestBusyBlock: number,
    /** Called for each internal block while its bytes are still in the window. */
    private readonly onInternal: (block: InternalBlock, window: MemoryWindow) => void,
  ) {}

  /**
   * The segment's own header entry, which must end at FirstEntry: pushed as a block, its size in
   * granules returned; or why it does not decode (nothing pushed, nothing reported: the caller
   * decides whether one bad header or a bad key is the finding).
   */
  walkHeader(segment: SegmentRecord, segmentIndex: number): number | string {
    const granularity = this.layout.entry.granularity;
    // The header's page was read for the segment's fields already (HostMemory keeps it).
    const window = new MemoryWindow(this.memory, segment.firstEntry);
    let header: Uint8Array;
    try {
      header = this.memory.read(segment.address, granularity);
    } catch (e) {
      return "is not readable";
    }
    const e = this.decoder.decode(header, 0, this.entry);
    if (!e.checksumOk) return "fails its checksum";
    if (segment.address + e.size * granularity !== segment.firstEntry) {
      return `is 0x${(e.size * granularity).toString(16)} bytes, not the 0x${(segment.firstEntry - segment.address).toString(16)} up to FirstEntry`;
    }
    window.hold(segment.address, header);
    this.pushEntry(window, segment.address, e.size * granularity, segmentIndex);
    return e.size;
  }

  /** The segment's committed runs from FirstEntry; headerUnits: its header's size in granules, or -1. */
  walkRuns(segment: SegmentRecord, segmentIndex: number, headerUnits: number): void {
    const runs = committedRuns(segment);
    for (let i = 0; i < runs.length; i++) {
      const previousUnits = i === 0 && runs[i].start === segment.firstEntry ? headerUnits : -1;
      if (!this.walkRun(runs[i].start, runs[i].end, segmentIndex, previousUnits)) break;
    }
  }

  /** Walks [start, end); false when the segment's walk must end here. */
  private walkRun(start: number, end: number, segmentIndex: number, previousUnits: number): boolean {
    const granularity = this.layout.entry.granularity;
    const window = new MemoryWindow(this.memory, end);
    const e = this.entry;
    let cursor = start;
    while (cursor < end) {
      if (!window.ensure(cursor, granularity)) {
        const resumed = this.resume(window.unreadableAt, end);
        this.findings.add("Unreadable", window.unreadableAt, `heap entry at ${hex0x(cursor)} is not readable (memory at ${hex0x(window.unreadableAt)})` +
          (resumed === undefined ? "" : `; the walk resumes at ${hex0x(resumed)}, the next readable page, where a valid header starts`));
        if (resumed === undefined) return false;
        cursor = resumed;
        previousUnits = -1;
        continue;
      }
      this.decoder.decode(window.bytes, cursor - window.base, e);
      const size = e.size * granularity;
      const tooLarge = this.largestBusyBlock > 0 && size > this.largestBusyBlock && (e.flags & (FLAG_BUSY | FLAG_INTERNAL)) === FLAG_BUSY;
      if (!e.checksumOk || size === 0 || cursor + size > end || tooLarge) {
        const why = !e.checksumOk ? "header checksum mismatch"
          : tooLarge ? `a busy block of 0x${size.toString(16)} bytes, larger than the heap's VirtualMemoryThreshold (0x${this.largestBusyBlock.toString(16)}): its size is damaged`
          : `size 0x${size.toString(16)} runs past ${hex0x(end)}`;
        this.findings.add("Corruption", cursor, `corrupted heap entry at ${hex0x(cursor)}: ${why}`);
        return false;
      }
      if (previousUnits >= 0 && e.previousSize !== previousUnits) {
        this.findings.add("Corruption", cursor,
          `heap entry at ${hex0x(cursor)}: PreviousSize 0x${e.previousSize.toString(16)} but the previous block has 0x${previousUnits.toString(16)} granules`,
          `previous-size@${segmentIndex}`, `PreviousSize disagrees with the previous block in segment ${segmentIndex}`);
      }
      const row = this.pushEntry(window, cursor, size, segmentIndex);
      if (this.pushedState === STATE_INTERNAL && (e.flags & FLAG_INTERNAL) !== 0) {
        this.onInternal({ row, entry: cursor, end: cursor + size }, window);
      }
      previousUnits = e.size;
      cursor += size;
    }
    return true;
  }

  /**
   * Where the walk can go on after unreadable memory at `unreadable`: the next readable page of
   * the run, if a header that fits the run starts there (an uncommitted range its descriptor no
   * longer names ends on a page with a block; a page missing from a dump usually does not).
   */
  private resume(unreadable: number, end: number): number | undefined {
    const page = Math.ceil((unreadable + 1) / PAGE) * PAGE;
    if (page >= end) return undefined;
    const next = nextReadablePage(this.memory, page, end);
    if (next >= end) return undefined;
    const window = new MemoryWindow(this.memory, end);
    if (!window.ensure(next, this.layout.entry.granularity)) return undefined;
    const e = this.decoder.decode(window.bytes, next - window.base, this.entry);
    const size = e.size * this.layout.entry.granularity;
    return e.checksumOk && size > 0 && next + size <= end ? next : undefined;
  }

  private pushEntry(window: MemoryWindow, entry: number, size: number, segmentIndex: number): number {
    const e = this.entry;
    const granularity = this.layout.entry.granularity;
    const unused = e.unusedBytes;
    const flags = e.flags;
    let userAddress = entry + granularity;
    let userSize = 0;
    let state: number;
    if ((flags & FLAG_BUSY) === 0) {
      state = STATE_FREE;
    } else if (unused < SMALLEST_UNUSED_COUNT) {
      userSize = size - unused;
      state = STATE_INTERNAL;
    } else {
      // The plain count (decodeUserExtent's last case) inline: most blocks have it.
      if (unused < UNUSED_STORED_AFTER && unused <= size) {
        userSize = size - unused;
      } else if (unused < LFH_MARKER && decodeUserExtent(window, this.layout, entry, size, unused, this.extent)) {
        userAddress = this.extent.userAddress;
        userSize = this.extent.userSize;
      } else {
        this.findings.add("Corruption", entry, `heap entry at ${hex0x(entry)}: UnusedBytes 0x${unused.toString(16)} gives no user size that fits the block`,
          `unused-bytes@${segmentIndex}`, `UnusedBytes gives no user size that fits the block, in segment ${segmentIndex}`);
      }
      state = (flags & FLAG_INTERNAL) !== 0 ? STATE_INTERNAL : STATE_BUSY;
    }
    this.pushedState = state;
    const row = this.blocks.push(entry, userAddress, size, userSize, state, KIND_BACKEND, segmentIndex, NONE, e.previousSize * granularity, flags);
    // Only an extended header (0x40) or HEAP_ENTRY_EXTRA_PRESENT names a trace (§2.7).
    if (state === STATE_BUSY && ((unused & UNUSED_EXTENDED) !== 0 || (flags & FLAG_EXTRA_PRESENT) !== 0)) {
      const trace = traceLocation(window, this.layout, entry, size, unused, flags);
      if (trace !== 0) this.blocks.setTrace(row, trace);
    }
    return row;
  }
}
