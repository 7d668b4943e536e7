// What every page-heap walk of one ntdll shares: its layout, resolved from the symbols on first use
// and kept on the NtdllView, and the constants of docs/heap-structures.md §1.7.
import { NtdllView } from "../../host/target";
import { PageHeapLayout, resolvePageHeapLayout } from "../../layouts/page-heap";

/** _HEAP.ForceFlags bit of a page-heap handle (§1.7). */
export const HEAP_FLAG_PAGE_ALLOCS = 0x01000000;
/** _DPH_HEAP_ROOT.Signature (§1.7). */
export const DPH_SIGNATURE = 0xffeeddcc;
/** The root is one page after the handle (§1.7). */
export const ROOT_OFFSET = 0x1000;

/** _DPH_BLOCK_INFORMATION stamps, start and end, busy and freed (§1.7). */
export const FULL_STAMPS = { busy: [0xabcdbbbb, 0xdcbabbbb], freed: [0xabcdbbba, 0xdcbabbba] };
export const LIGHT_STAMPS = { busy: [0xabcdaaaa, 0xdcbaaaaa], freed: [0xabcdaaa9, 0xdcbaaaa9] };

export function pageHeapLayout(view: NtdllView): PageHeapLayout {
  if (!view.pageHeap) view.pageHeap = resolvePageHeapLayout(view.symbols, view.layout.pointerSize);
  return view.pageHeap;
}
