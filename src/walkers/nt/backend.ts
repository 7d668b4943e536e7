// The NT heap back end: the entries of one segment, walked header by header from FirstEntry
// (heap-internals.md §2.2). The walk of a segment ends, with a finding naming the address, at
// the first header that fails its checksum or size bounds, or that cannot be read.
import { BlockRow, BlockTable, Finding, SegmentRecord, KIND_BACKEND, STATE_BUSY, STATE_FREE, STATE_INTERNAL } from "../../heap/records";
import { Memory } from "../../host/memory-types";
import { NtHeapLayout } from "../../layouts/ntheap";
import { MemoryWindow } from "../window";
import { committedRuns } from "./segments";
import { DecodedEntry, EntryDecoder, FLAG_BUSY, FLAG_INTERNAL, newDecodedEntry } from "./entry";
import { decodeUserExtent } from "./user-extent";

/** UnusedBytes below this are pseudo-entry markers, not byte counts (§2.2: 1 segment, 3 uncommitted, 4 VirtualAlloc, 5 linked). */
const SMALLEST_UNUSED_COUNT = 8;
/** UnusedBytes with this bit belong to LFH blocks, never to a back-end entry (§2.2). */
const LFH_MARKER = 0x80;

/** A busy internal block with the 0x08 flag: a possible LFH UserBlocks container (§2.4). */
export interface InternalBlock {
  row: number;
  entry: number;
  end: number;
}

export class BackendWalker {
  private readonly entry: DecodedEntry = newDecodedEntry();
  /** Reused for every block: no object per block. */
  private readonly row: BlockRow = { address: 0, userAddress: 0, size: 0, userSize: 0, previousSize: 0, state: 0, kind: KIND_BACKEND, flags: 0, segment: 0, container: 0 };

  constructor(
    private readonly memory: Memory,
    private readonly layout: NtHeapLayout,
    private readonly decoder: EntryDecoder,
    private readonly blocks: BlockTable,
    private readonly findings: Finding[],
    /** Called for each internal block while its bytes are still in the window. */
    private readonly onInternal: (block: InternalBlock, window: MemoryWindow) => void,
  ) {}

  walkSegment(segment: SegmentRecord, segmentIndex: number): void {
    const runs = committedRuns(segment);
    for (let i = 0; i < runs.length; i++) {
      if (!this.walkRun(runs[i].start, runs[i].end, segmentIndex)) return;
    }
  }

  /** Walks [start, end); false when the segment's walk must end here. */
  private walkRun(start: number, end: number, segmentIndex: number): boolean {
    const granularity = this.layout.entry.granularity;
    const window = new MemoryWindow(this.memory, end);
    const e = this.entry;
    let cursor = start;
    let previousUnits = -1; // unknown for the first block of a run
    while (cursor < end) {
      if (!window.ensure(cursor, granularity)) {
        this.findings.push({ kind: "Unreadable", address: window.unreadableAt, message: `heap entry at 0x${cursor.toString(16)} is unreadable (memory at 0x${window.unreadableAt.toString(16)})` });
        return false;
      }
      const at = cursor - window.base;
      this.decoder.decode(window.bytes, at, e);
      const size = e.size * granularity;
      if (!e.checksumOk || size === 0 || cursor + size > end) {
        const why = !e.checksumOk ? "header checksum mismatch" : `size 0x${size.toString(16)} runs past 0x${end.toString(16)}`;
        this.findings.push({ kind: "Corruption", address: cursor, message: `corrupted heap entry at 0x${cursor.toString(16)}: ${why}` });
        return false;
      }
      if (previousUnits >= 0 && e.previousSize !== previousUnits) {
        this.findings.push({ kind: "Corruption", address: cursor, message: `heap entry at 0x${cursor.toString(16)}: PreviousSize 0x${e.previousSize.toString(16)} but the previous block has 0x${previousUnits.toString(16)} granules` });
      }
      const row = this.pushEntry(window, cursor, size, segmentIndex);
      if (this.blocks.state[row] === STATE_INTERNAL && (e.flags & FLAG_INTERNAL) !== 0) {
        this.onInternal({ row, entry: cursor, end: cursor + size }, window);
      }
      previousUnits = e.size;
      cursor += size;
    }
    return true;
  }

  private pushEntry(window: MemoryWindow, entry: number, size: number, segmentIndex: number): number {
    const e = this.entry;
    const granularity = this.layout.entry.granularity;
    const row = this.row;
    row.address = entry;
    row.size = size;
    row.previousSize = e.previousSize * granularity;
    row.flags = e.flags;
    row.segment = segmentIndex;
    row.userAddress = entry + granularity;
    const unused = e.unusedBytes;
    if ((e.flags & FLAG_BUSY) === 0) {
      row.userSize = 0;
      row.state = STATE_FREE;
    } else if (unused < SMALLEST_UNUSED_COUNT) {
      row.userSize = size - unused;
      row.state = STATE_INTERNAL;
    } else {
      if (unused >= LFH_MARKER || !decodeUserExtent(window, this.layout, entry, size, unused, row)) {
        this.findings.push({ kind: "Corruption", address: entry, message: `heap entry at 0x${entry.toString(16)}: UnusedBytes 0x${unused.toString(16)} gives no user size that fits the block` });
      }
      row.state = (e.flags & FLAG_INTERNAL) !== 0 ? STATE_INTERNAL : STATE_BUSY;
    }
    return this.blocks.push(row);
  }
}
