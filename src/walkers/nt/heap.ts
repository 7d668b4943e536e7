// One walk of one NT heap: its segments' back-end entries (with the LFH blocks inside their
// UserBlocks containers) and its VirtualAlloc'd blocks, as a columnar BlockTable plus findings.
// Nothing here throws for bad target memory: what cannot be read or trusted becomes a finding.
import { BlockTable, Finding, HeapDescriptor, HeapWalk } from "../../heap/records";
import { Memory } from "../../host/memory-types";
import { NtHeapLayout } from "../../layouts/ntheap";
import { pointer, u32 } from "../../util/bytes";
import { BackendWalker } from "./backend";
import { EntryDecoder } from "./entry";
import { LfhDecoder } from "./lfh";
import { readSegments } from "./segments";
import { walkVirtualAllocs } from "./virtual-alloc";

/** _HEAP.FrontEndHeapType of the LFH (heap-internals.md §1.2). */
const FRONT_END_LFH = 2;

export function walkNtHeap(memory: Memory, layout: NtHeapLayout, lfhKey: number | undefined, heap: HeapDescriptor): HeapWalk {
  const findings: Finding[] = [];
  const blocks = new BlockTable();
  const walk: HeapWalk = {
    heap,
    granularity: layout.entry.granularity,
    segments: [],
    blocks,
    virtualBlockCount: 0,
    lfh: false,
    counters: { lockCollisions: 0, totalMemoryLargeUCR: 0 },
    findings,
  };
  const h = layout.heap;
  const p = layout.pointerSize;
  let header: Uint8Array;
  try {
    header = memory.read(heap.address, heapHeaderSpan(layout));
  } catch (e) {
    findings.push({ kind: "Unreadable", address: heap.address, message: `heap header at 0x${heap.address.toString(16)} is unreadable` });
    return walk;
  }
  // The key is the 8 core bytes of _HEAP.Encoding; an unencoded heap XORs with zeros (§2.2).
  const key = u32(header, h.encodeFlagMask) !== 0
    ? header.slice(h.encoding + layout.entry.core, h.encoding + layout.entry.core + 8)
    : new Uint8Array(8);
  const decoder = new EntryDecoder(layout.entry, key);
  walk.lfh = header[h.frontEndHeapType] === FRONT_END_LFH;
  if (h.lockCollisions !== undefined) walk.counters.lockCollisions = u32(header, h.lockCollisions);
  if (h.totalMemoryLargeUCR !== undefined) walk.counters.totalMemoryLargeUCR = pointer(header, h.totalMemoryLargeUCR, p);

  let lfh: LfhDecoder | undefined;
  if (walk.lfh && layout.lfh) {
    lfh = new LfhDecoder(memory, layout, layout.lfh, heap.address, pointer(header, h.frontEndHeap, p), lfhKey, blocks, findings);
  } else if (walk.lfh) {
    findings.push({ kind: "Corruption", address: heap.address, message: "the LFH is active but ntdll's symbols lack its types (_HEAP_USERDATA_HEADER, _HEAP_SUBSEGMENT): LFH blocks are listed as their containers only" });
  }
  const backend = new BackendWalker(memory, layout, decoder, blocks, findings, (container, window) => {
    if (lfh) lfh.decode(container, window);
  });
  walk.segments = readSegments(memory, layout, heap.address, findings);
  for (let i = 0; i < walk.segments.length; i++) backend.walkSegment(walk.segments[i], i);
  walk.virtualBlockCount = walkVirtualAllocs(memory, layout, decoder, heap.address, blocks, findings);
  return walk;
}

/** Bytes of _HEAP the walk reads: up to the last field it uses. */
function heapHeaderSpan(layout: NtHeapLayout): number {
  const h = layout.heap;
  let end = Math.max(h.encoding + layout.entry.granularity, h.frontEndHeap + layout.pointerSize, h.frontEndHeapType + 1, h.encodeFlagMask + 4);
  if (h.lockCollisions !== undefined) end = Math.max(end, h.lockCollisions + 4);
  if (h.totalMemoryLargeUCR !== undefined) end = Math.max(end, h.totalMemoryLargeUCR + layout.pointerSize);
  return end;
}
