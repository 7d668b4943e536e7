// The light blocks of a page heap (docs/heap-structures.md §2.6): busy blocks of its NormalHeap, an
// NT heap walked by the NT walker, whose user data starts with a DPH_BLOCK_INFORMATION stamped
// 0xABCDAAAA (busy) or 0xABCDAAA9 (freed, its free delayed). The block is the NT block; the
// program's data follows the DPH_BLOCK_INFORMATION, RequestedSize bytes of it (§1.7, §6c.8). Busy
// blocks without a stamp are the NormalHeap's own and not listed. The headers are read one
// committed run of a segment at a time, never one read per block.
import { BlockTableBuilder, HeapWalk, KIND_PAGE_HEAP, NONE, SegmentRecord, STATE_BUSY, STATE_FREED } from "../../heap/records";
import { FindingLog } from "../../heap/findings";
import { Memory } from "../../host/memory-types";
import { PageHeapLayout } from "../../layouts/page-heap";
import { pointer, u32 } from "../../util/bytes";
import { hex0x } from "../../util/hex";
import { MemoryWindow } from "../window";
import { LIGHT_STAMPS } from "./context";
import { recordTrace, shown } from "./trace";

export function listLightBlocks(memory: Memory, layout: PageHeapLayout, normal: HeapWalk, blocks: BlockTableBuilder, findings: FindingLog): void {
  const i = layout.info;
  const p = layout.pointerSize;
  const nt = normal.blocks;
  const where = `NormalHeap ${hex0x(normal.address)}`;
  let window: MemoryWindow | undefined;
  let windowEnd = 0;
  for (let row = 0; row < nt.count; row++) {
    if (nt.state[row] !== STATE_BUSY || nt.userSize[row] < i.size) continue;
    const user = nt.userAddress[row];
    const segment = nt.segment[row];
    const runEnd = segment === NONE ? user + nt.userSize[row] : committedEnd(normal.segments[segment], user);
    if (!window || runEnd !== windowEnd) {
      window = new MemoryWindow(memory, runEnd);
      windowEnd = runEnd;
    }
    if (!window.ensure(user, i.size)) {
      findings.add("Unreadable", user, `${where}: the user data of busy block ${hex0x(nt.address[row])} is not readable: whether it is a light page-heap block is not known`, "light-unreadable");
      continue;
    }
    const at = user - window.base;
    const bytes = window.bytes;
    const start = u32(bytes, at + i.startStamp);
    const stamps = start === LIGHT_STAMPS.busy[0] ? LIGHT_STAMPS.busy : start === LIGHT_STAMPS.freed[0] ? LIGHT_STAMPS.freed : undefined;
    if (!stamps) continue;
    const what = `light block ${hex0x(nt.address[row])} of ${where}`;
    const requested = pointer(bytes, at + i.requestedSize, p);
    if (!(requested <= nt.userSize[row] - i.size)) {
      findings.add("Corruption", user,
        `${what}: its RequestedSize ${shown(requested)} does not fit in the 0x${(nt.userSize[row] - i.size).toString(16)} bytes after its DPH_BLOCK_INFORMATION: not listed`, "light-size");
      continue;
    }
    const end = u32(bytes, at + i.endStamp);
    if (end !== stamps[1]) {
      findings.add("Corruption", user, `${what}: its DPH_BLOCK_INFORMATION at ${hex0x(user)} has StartStamp ${hex0x(start)} but EndStamp ${hex0x(end)}, not ${hex0x(stamps[1])}`, "light-stamp");
    }
    const listed = blocks.push(nt.address[row], user + i.size, nt.size[row], requested, stamps === LIGHT_STAMPS.busy ? STATE_BUSY : STATE_FREED, KIND_PAGE_HEAP, NONE, NONE, 0, 0);
    recordTrace(blocks, listed, pointer(bytes, at + i.stackTrace, p), user + i.stackTrace, findings);
  }
}

/** Where the committed run of a segment holding `address` ends: at the next uncommitted range, or the segment's end. */
function committedEnd(segment: SegmentRecord, address: number): number {
  let end = segment.lastValidEntry;
  const ranges = segment.uncommittedRanges;
  for (let i = 0; i < ranges.length; i++) if (ranges[i].address > address && ranges[i].address < end) end = ranges[i].address;
  return end;
}
