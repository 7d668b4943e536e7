// Blocks too large for a segment: each in its own VirtualAlloc'd region, listed on
// _HEAP.VirtualAllocdBlocks (heap-internals.md §2.3). The region starts with a
// _HEAP_VIRTUAL_ALLOC_ENTRY whose BusyBlock header is encoded like any other, and whose
// Size field holds the unused byte count: requested = CommitSize - unused - sizeof(entry).
import { BlockTable, Finding, KIND_VIRTUAL_ALLOC, STATE_BUSY } from "../../heap/records";
import { Memory } from "../../host/memory-types";
import { NtHeapLayout } from "../../layouts/ntheap";
import { pointer } from "../../util/bytes";
import { walkList } from "../list";
import { EntryDecoder, newDecodedEntry } from "./entry";

const MAX_VIRTUAL_BLOCKS = 1 << 20;
const MAX_COMMIT = Math.pow(2, 40);

/** Appends the heap's VirtualAlloc'd blocks to `blocks`; returns how many were listed. */
export function walkVirtualAllocs(
  memory: Memory, layout: NtHeapLayout, decoder: EntryDecoder, heap: number, blocks: BlockTable, findings: Finding[],
): number {
  const va = layout.virtualAlloc;
  const list = walkList(memory, heap + layout.heap.virtualAllocdBlocks, MAX_VIRTUAL_BLOCKS);
  if (list.problem) findings.push({ kind: "Corruption", address: list.problem.address, message: `VirtualAlloc list: ${list.problem.message}` });
  const header = newDecodedEntry();
  let listed = 0;
  for (let i = 0; i < list.links.length; i++) {
    const entry = list.links[i] - va.entry;
    let bytes: Uint8Array;
    try {
      bytes = memory.read(entry, va.size);
    } catch (e) {
      findings.push({ kind: "Unreadable", address: entry, message: `VirtualAlloc block at 0x${entry.toString(16)} is unreadable` });
      continue;
    }
    const commit = pointer(bytes, va.commitSize, layout.pointerSize);
    decoder.decode(bytes, va.busyBlock, header);
    const userSize = commit - header.size - va.size;
    if (!header.checksumOk || !(commit > 0 && commit <= MAX_COMMIT) || userSize < 0) {
      findings.push({ kind: "Corruption", address: entry + va.busyBlock, message: `VirtualAlloc block at 0x${entry.toString(16)}: bad header (checksum ${header.checksumOk ? "ok" : "mismatch"}, CommitSize 0x${commit.toString(16)})` });
      continue;
    }
    blocks.push({
      address: entry + va.busyBlock,
      userAddress: entry + va.size,
      size: commit,
      userSize,
      previousSize: 0,
      state: STATE_BUSY,
      kind: KIND_VIRTUAL_ALLOC,
      flags: header.flags,
      segment: -1,
      container: 0,
    });
    listed++;
  }
  return listed;
}
