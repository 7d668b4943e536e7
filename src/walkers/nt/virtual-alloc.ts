// Blocks too large for a segment: each in its own VirtualAlloc'd region, listed on
// _HEAP.VirtualAllocdBlocks (docs/heap-structures.md §2.3). The region starts with a
// _HEAP_VIRTUAL_ALLOC_ENTRY whose BusyBlock header is encoded like any other, and whose
// Size field holds the unused byte count: requested = CommitSize - unused - sizeof(entry).
import { BlockTableBuilder, KIND_VIRTUAL_ALLOC, NONE, STATE_BUSY } from "../../heap/records";
import { FindingLog } from "../../heap/findings";
import { Memory } from "../../host/memory-types";
import { NtHeapLayout } from "../../layouts/ntheap";
import { pointer, pointerHex } from "../../util/bytes";
import { hex0x } from "../../util/hex";
import { walkList } from "../list";
import { EntryDecoder, newDecodedEntry } from "./entry";

const MAX_VIRTUAL_BLOCKS = 1 << 20;
const MAX_COMMIT = Math.pow(2, 40);

/** Appends the heap's VirtualAlloc'd blocks to `blocks`; returns how many were listed. */
export function walkVirtualAllocs(
  memory: Memory, layout: NtHeapLayout, decoder: EntryDecoder, heap: number, blocks: BlockTableBuilder, findings: FindingLog,
): number {
  const va = layout.virtualAlloc;
  const list = walkList(memory, heap + layout.heap.virtualAllocdBlocks, MAX_VIRTUAL_BLOCKS);
  if (list.problem) findings.add("Corruption", list.problem.address, `VirtualAlloc list: ${list.problem.message}`);
  const header = newDecodedEntry();
  let listed = 0;
  for (let i = 0; i < list.links.length; i++) {
    const entry = list.links[i] - va.entry;
    let bytes: Uint8Array;
    try {
      bytes = memory.read(entry, va.size);
    } catch (e) {
      findings.add("Unreadable", entry, `VirtualAlloc block at ${hex0x(entry)} is not readable`, "va-unreadable", "VirtualAlloc blocks that are not readable");
      continue;
    }
    const commit = pointer(bytes, va.commitSize, layout.pointerSize);
    decoder.decode(bytes, va.busyBlock, header);
    const userSize = commit - header.size - va.size;
    if (!header.checksumOk || !(commit > 0 && commit <= MAX_COMMIT) || userSize < 0) {
      findings.add("Corruption", entry + va.busyBlock,
        `VirtualAlloc block at ${hex0x(entry)}: bad header (checksum ${header.checksumOk ? "ok" : "mismatch"}, CommitSize ${pointerHex(bytes, va.commitSize, layout.pointerSize)})`,
        "va-header", "VirtualAlloc blocks with a bad header");
      continue;
    }
    blocks.push(entry + va.busyBlock, entry + va.size, commit, userSize, STATE_BUSY, KIND_VIRTUAL_ALLOC, NONE, NONE, 0, header.flags);
    listed++;
  }
  return listed;
}
