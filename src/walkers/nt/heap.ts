// One walk of one NT heap: its segments' back-end entries (with the LFH blocks inside their
// UserBlocks containers) and its VirtualAlloc'd blocks, as a columnar BlockTable plus findings.
// Nothing here throws for bad target memory: what cannot be read or trusted becomes a finding.
import { BlockTableBuilder, HeapWalk } from "../../heap/records";
import { FindingLog } from "../../heap/findings";
import { NtdllView } from "../../host/target";
import { NtHeapLayout } from "../../layouts/ntheap";
import { pointer, u32 } from "../../util/bytes";
import { hex0x } from "../../util/hex";
import { BackendWalker } from "./backend";
import { EntryDecoder } from "./entry";
import { LfhDecoder } from "./lfh";
import { readSegments } from "./segments";
import { walkVirtualAllocs } from "./virtual-alloc";

/** _HEAP.FrontEndHeapType of the LFH (docs/heap-structures.md §1.2). */
const FRONT_END_LFH = 2;

export function walkNtHeap(view: NtdllView, address: number, flags: number): HeapWalk {
  const { memory, layout } = view;
  const findings = new FindingLog();
  const blocks = new BlockTableBuilder();
  const walk: HeapWalk = {
    address,
    type: "NT",
    flags,
    granularity: layout.entry.granularity,
    segments: [],
    blocks: blocks.seal(),
    virtualBlockCount: 0,
    counters: { lockContention: 0, largeUncommittedBytes: 0, frontEnd: "" },
    findings: [],
  };
  const h = layout.heap;
  const p = layout.pointerSize;
  let header: Uint8Array;
  try {
    header = memory.read(address, heapHeaderSpan(layout));
  } catch (e) {
    findings.add("Unreadable", address, `heap header at ${hex0x(address)} is not readable`);
    walk.findings = findings.list();
    return walk;
  }
  // The key is the 8 core bytes of _HEAP.Encoding; an unencoded heap XORs with zeros (§2.2).
  const key = u32(header, h.encodeFlagMask) !== 0
    ? header.slice(h.encoding + layout.entry.core, h.encoding + layout.entry.core + 8)
    : new Uint8Array(8);
  const decoder = new EntryDecoder(layout.entry, key);
  const lfhActive = header[h.frontEndHeapType] === FRONT_END_LFH;
  walk.counters.frontEnd = lfhActive ? "LFH" : "";
  if (h.lockCollisions !== undefined) walk.counters.lockContention = u32(header, h.lockCollisions);
  if (h.totalMemoryLargeUCR !== undefined) walk.counters.largeUncommittedBytes = pointer(header, h.totalMemoryLargeUCR, p);

  let lfh: LfhDecoder | undefined;
  if (lfhActive && layout.lfh) {
    lfh = new LfhDecoder(memory, layout, layout.lfh, address, pointer(header, h.frontEndHeap, p), view.lfhKey, blocks, findings);
  } else if (lfhActive) {
    findings.add("Unsupported", address, "the LFH is active but ntdll's symbols lack its types (_HEAP_USERDATA_HEADER, _HEAP_SUBSEGMENT): LFH blocks are listed as their containers only");
  }
  const backend = new BackendWalker(memory, layout, decoder, blocks, findings, (container, window) => {
    if (lfh) lfh.decode(container, window);
  });
  walk.segments = readSegments(memory, layout, address, findings);
  for (let i = 0; i < walk.segments.length; i++) backend.walkSegment(walk.segments[i], i);
  walk.virtualBlockCount = walkVirtualAllocs(memory, layout, decoder, address, blocks, findings);
  walk.blocks = blocks.seal();
  walk.findings = findings.list();
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
