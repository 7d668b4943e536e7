// What kind of heap a handle points at, decided in one place, by signature
// (docs/heap-structures.md §1.1, §2.1): an NT heap's _HEAP.SegmentSignature is 0xFFEEFFEE and its
// _HEAP.Signature 0xEEFFEEFF; a segment heap's _SEGMENT_HEAP.Signature is 0xDDEEDDEE; a page heap's
// handle has neither, HEAP_FLAG_PAGE_ALLOCS in _HEAP.ForceFlags and a _DPH_HEAP_ROOT signed
// 0xFFEEDDCC one page on (§1.7, §2.1 item 2).
import { NtdllView } from "../host/target";
import { HEAP_FLAG_PAGE_ALLOCS, ROOT_OFFSET, pageHeapLayout } from "../walkers/pageheap/context";
import { readRoot } from "../walkers/pageheap/roots";
import { u32 } from "../util/bytes";
import { hex0x } from "../util/hex";
import { HeapIdentity } from "./records";

const NT_SEGMENT_SIGNATURE = 0xffeeffee;
const NT_HEAP_SIGNATURE = 0xeeffeeff;
const SEGMENT_HEAP_SIGNATURE = 0xddeeddee;

export function classifyHeap(view: NtdllView, address: number): HeapIdentity {
  const { memory, layout } = view;
  const h = layout.heap;
  const s = layout.segmentHeap;
  try {
    if (u32(memory.read(address + h.segmentSignature, 4), 0) === NT_SEGMENT_SIGNATURE &&
        u32(memory.read(address + h.signature, 4), 0) === NT_HEAP_SIGNATURE) {
      return { type: "NT", flags: u32(memory.read(address + h.flags, 4), 0), finding: undefined };
    }
    if (s && u32(memory.read(address + s.signature, 4), 0) === SEGMENT_HEAP_SIGNATURE) {
      return { type: "Segment", flags: u32(memory.read(address + s.globalFlags, 4), 0), finding: undefined };
    }
    const page = pageHeapLayout(view);
    if (page.forceFlags !== undefined && (u32(memory.read(address + page.forceFlags, 4), 0) & HEAP_FLAG_PAGE_ALLOCS) !== 0) {
      const identity: HeapIdentity = { type: "PageHeap", flags: u32(memory.read(address + h.flags, 4), 0), finding: undefined };
      // Without the _DPH_* types the root cannot be checked; the walk says the heap is Unsupported.
      if (page.problem) return identity;
      const root = readRoot(view, page, address + ROOT_OFFSET);
      if (root.bytes) return identity;
      const problem = root.problem!;
      return unknown(problem.kind === "Unreadable" ? "Unreadable" : "Corruption", problem.address,
        `heap ${hex0x(address)} is a page-heap handle (ForceFlags has HEAP_FLAG_PAGE_ALLOCS ${hex0x(HEAP_FLAG_PAGE_ALLOCS)}), but ${problem.message}`);
    }
    return unknown("Corruption", address, `heap ${hex0x(address)} has neither heap signature (NT 0xffeeffee/0xeeffeeff, segment 0xddeeddee)`);
  } catch (e) {
    return unknown("Unreadable", address, `the header of heap ${hex0x(address)} is not readable (not in the dump?)`);
  }
}

function unknown(kind: "Corruption" | "Unreadable", address: number, message: string): HeapIdentity {
  return { type: "Unknown", flags: 0, finding: { kind, address, message } };
}
