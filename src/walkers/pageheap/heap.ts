// One walk of one page heap (docs/heap-structures.md §1.7, §2.6): from the _DPH_HEAP_ROOT one page
// after the handle, the busy full-page blocks (BusyNodesTable, in pUserAllocation order), the
// delayed-free ones (pFreeAllocationListHead order), then the light blocks of its NormalHeap (in
// that heap's order), as a columnar BlockTable plus findings. A page heap has no segments; every
// full-page block is a virtual block of its own. Nothing here throws for bad target memory.
import { BlockTableBuilder, HeapWalk, emptyHeapWalk } from "../../heap/records";
import { FindingLog } from "../../heap/findings";
import { NtdllView } from "../../host/target";
import { hex0x } from "../../util/hex";
import { ROOT_OFFSET, pageHeapLayout } from "./context";
import { FullPageWalker } from "./full-page";
import { listLightBlocks } from "./light";
import { normalHeapOf, readRoot } from "./roots";

/** ntWalkAt: the walk of an NT heap of the process, from its cache (the NormalHeap is walked once). */
export function walkPageHeap(view: NtdllView, address: number, flags: number, ntWalkAt: (address: number) => HeapWalk | undefined): HeapWalk {
  const findings = new FindingLog();
  const blocks = new BlockTableBuilder();
  const walk = emptyHeapWalk(address, "PageHeap", flags, view.layout.entry.granularity);
  const layout = pageHeapLayout(view);
  if (layout.problem) {
    findings.add("Unsupported", address, layout.problem);
    walk.findings = findings.list();
    return walk;
  }
  const root = address + ROOT_OFFSET;
  const read = readRoot(view, layout, root);
  if (!read.bytes) {
    const problem = read.problem!;
    // At the handle's address: the heap as a whole could not be walked (process-heaps.ts walkProblem).
    findings.add(problem.kind, problem.kind === "Unreadable" ? address : problem.address, `page heap ${hex0x(address)}: ${problem.message}`);
    walk.findings = findings.list();
    return walk;
  }
  const full = new FullPageWalker(view.memory, layout, address, blocks, findings);
  full.walkBusy(root, read.bytes);
  full.walkFreed(root, read.bytes);
  walk.virtualBlockCount = full.count;

  const normalHeap = normalHeapOf(layout, read.bytes);
  const normal = normalHeap === 0 ? undefined : ntWalkAt(normalHeap);
  if (normal) {
    walk.normalHeap = normalHeap;
    listLightBlocks(view.memory, layout, normal, blocks, findings);
  } else {
    findings.add("Corruption", root + layout.root.normalHeap,
      `the NormalHeap of page heap ${hex0x(address)} (${normalHeap === 0 ? "none" : hex0x(normalHeap)}) is not an NT heap of this process: its light blocks are not listed`);
  }
  walk.blocks = blocks.seal();
  walk.findings = findings.list();
  return walk;
}
