// One walk of one segment heap (docs/heap-structures.md §2.5): the page segments of both segment
// contexts with their page ranges (VS and LFH subsegments followed by their chunks and blocks),
// then the large blocks, as a columnar BlockTable plus findings, and the heap's own counters for
// its !heap -s numbers (§3.1 "Segment heaps"). Nothing here throws for bad target memory.
import { BlockTableBuilder, HeapWalk, SegmentHeapCounters, emptyHeapWalk } from "../../heap/records";
import { FindingLog } from "../../heap/findings";
import { NtdllView } from "../../host/target";
import { Progress } from "../../host/progress";
import { SegmentHeapLayout } from "../../layouts/segment-heap";
import { pointer } from "../../util/bytes";
import { hex0x } from "../../util/hex";
import { segmentHeapContext } from "./context";
import { LargeBlockWalker } from "./large";
import { LfhSubsegmentWalker } from "./lfh";
import { PageSegmentWalker } from "./segments";
import { VsSubsegmentWalker } from "./vs";

const PAGE = 4096;

export function walkSegmentHeap(view: NtdllView, address: number, flags: number): HeapWalk {
  const findings = new FindingLog();
  const blocks = new BlockTableBuilder();
  const walk = emptyHeapWalk(address, "Segment", flags, view.layout.entry.granularity);
  const context = segmentHeapContext(view);
  const layout = context.layout;
  if (layout.problem) {
    findings.add("Unsupported", address, layout.problem);
    walk.findings = findings.list();
    return walk;
  }
  let header: Uint8Array;
  try {
    header = view.memory.read(address, layout.heapSpan);
  } catch (e) {
    findings.add("Unreadable", address, `segment heap header at ${hex0x(address)} is not readable`);
    walk.findings = findings.list();
    return walk;
  }
  walk.segmentHeap = readCounters(layout, header);
  const keys = context.keys;
  if (!keys) findings.add("Unsupported", address, `${context.keysProblem}: segment signatures are not checked, VS chunks and segment LFH blocks are not listed`);
  for (let i = 0; i < layout.gaps.length; i++) {
    findings.add("Unsupported", address, `ntdll symbols do not describe ${layout.gaps[i]}: those are not listed`);
  }

  const vs = layout.vs && keys
    ? new VsSubsegmentWalker(view.memory, layout.vs, layout.pointerSize, layout.granularity, keys, blocks, findings) : undefined;
  const lfh = layout.lfh && keys
    ? new LfhSubsegmentWalker(view.memory, layout.lfh, layout.pointerSize, keys, context.newerEncoding, blocks, findings) : undefined;
  const pages = new PageSegmentWalker(view.memory, context, blocks, findings, vs, lfh);
  // Context 0's segments, then context 1's (§2.5 step 1).
  const counters = walk.segmentHeap;
  Progress.around(view.memory, `walking segment heap ${hex0x(address)}`, counters.committedBytes || 0, () => {
    for (let i = 0; i < 2; i++) counters.segmentsPerContext.push(pages.walkContext(address, header, i, walk.segments));
  });
  if (layout.large && layout.heap.largeAllocMetadata !== undefined) {
    const large = new LargeBlockWalker(view.memory, layout.large, layout.pointerSize, blocks, findings);
    walk.metadata = [];
    const own = [{ base: address, size: layout.heapSpan }];
    for (let i = 0; i < walk.segments.length; i++) own.push({ base: walk.segments[i].baseAddress, size: walk.segments[i].lastValidEntry - walk.segments[i].baseAddress });
    walk.virtualBlockCount = large.walk(address + layout.heap.largeAllocMetadata, header, layout.heap.largeAllocMetadata, walk.metadata, own);
  }
  walk.blocks = blocks.seal();
  walk.findings = findings.list();
  return walk;
}

/** MemStats, the VS context's units and the Large counters, in bytes (§1.9, §3.1). */
function readCounters(layout: SegmentHeapLayout, header: Uint8Array): SegmentHeapCounters {
  const h = layout.heap;
  const p = layout.pointerSize;
  const value = (at: number | undefined, unit: number) => at === undefined ? undefined : pointer(header, at, p) * unit;
  return {
    reservedBytes: value(h.totalReservedPages, PAGE),
    committedBytes: value(h.totalCommittedPages, PAGE),
    freeCommittedBytes: value(h.freeCommittedPages, PAGE),
    lfhFreeCommittedBytes: value(h.lfhFreeCommittedPages, PAGE),
    vsCommittedBytes: value(h.vsTotalCommittedUnits, layout.granularity),
    vsFreeCommittedBytes: value(h.vsFreeCommittedUnits, layout.granularity),
    largeReservedBytes: value(h.largeReservedPages, PAGE),
    largeCommittedBytes: value(h.largeCommittedPages, PAGE),
    segmentsPerContext: [],
  };
}
