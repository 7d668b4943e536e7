// The page heaps of a process, found through their roots (docs/heap-structures.md §1.7, §2.1 items
// 2-3): ntdll!RtlpDphPageHeapList links every _DPH_HEAP_ROOT through NextHeap, and a listed handle
// whose _HEAP.ForceFlags has HEAP_FLAG_PAGE_ALLOCS has its root one page on. Each root names its
// NormalHeap, the NT heap of its light blocks, which no other list names.
import { Finding, FindingLog } from "../../heap/findings";
import { NtdllView } from "../../host/target";
import { PageHeapLayout } from "../../layouts/page-heap";
import { pointer, u32 } from "../../util/bytes";
import { hex0x } from "../../util/hex";
import { walkList } from "../list";
import { FLG_HEAP_PAGE_ALLOCS } from "../../stacks/trace";
import { DPH_SIGNATURE, HEAP_FLAG_PAGE_ALLOCS, ROOT_OFFSET, pageHeapLayout } from "./context";

export interface PageHeapRoot {
  handle: number;
  /** DPH_HEAP_ROOT.NormalHeap; 0 when it names none (the walk says so). */
  normalHeap: number;
}

/**
 * The page heaps among `handles`, then those only ntdll!RtlpDphPageHeapList names, each once. The
 * handles are read only when the process uses page heap at all (roots on that list, a list that
 * cannot be read, or +hpa in PEB.NtGlobalFlag): listing the heaps of other processes reads no heap.
 */
export function findPageHeapRoots(view: NtdllView, handles: number[], limit: number, findings: FindingLog): PageHeapRoot[] {
  const layout = pageHeapLayout(view);
  // Without the _DPH_* types page heaps are walked as Unsupported, and say so there.
  if (layout.problem) return [];
  const list = readPageHeapList(view, layout, limit, findings);
  const onList: { [handle: number]: PageHeapRoot } = {};
  for (let i = 0; i < list.roots.length; i++) onList[list.roots[i].handle] = list.roots[i];
  const inUse = list.roots.length > 0 || list.damaged || usesPageHeap(view);
  const found: PageHeapRoot[] = [];
  const seen: { [handle: number]: true } = {};
  for (let i = 0; i < handles.length; i++) {
    const handle = handles[i];
    const root = onList[handle] || (inUse ? probeHandle(view, layout, handle) : undefined);
    if (root && !seen[handle]) {
      seen[handle] = true;
      found.push(root);
    }
  }
  for (let i = 0; i < list.roots.length; i++) {
    if (!seen[list.roots[i].handle]) {
      seen[list.roots[i].handle] = true;
      found.push(list.roots[i]);
    }
  }
  return found;
}

/** The roots on ntdll!RtlpDphPageHeapList; damaged when the list could not be followed to its end. */
function readPageHeapList(view: NtdllView, layout: PageHeapLayout, limit: number, findings: FindingLog): { roots: PageHeapRoot[]; damaged: boolean } {
  const head = layout.pageHeapList;
  const roots: PageHeapRoot[] = [];
  if (head === undefined) return { roots, damaged: false };
  const p = layout.pointerSize;
  try {
    // A zero Flink: ntdll has not initialized page heap (RtlpDphPageHeapListInitialized, §6).
    if (pointer(view.memory.read(head, p), 0, p) === 0) return { roots, damaged: false };
  } catch (e) {
    findings.add("Unreadable", head, `ntdll!RtlpDphPageHeapList at ${hex0x(head)} is not readable: page heaps are found from the listed heaps only`);
    return { roots, damaged: true };
  }
  const list = walkList(view.memory, head, limit);
  if (list.problem) findings.add("Corruption", list.problem.address, `ntdll!RtlpDphPageHeapList: ${list.problem.message}`);
  for (let i = 0; i < list.links.length; i++) {
    const root = list.links[i] - layout.root.nextHeap;
    const read = readRoot(view, layout, root);
    if (read.bytes) roots.push({ handle: root - ROOT_OFFSET, normalHeap: normalHeapOf(layout, read.bytes) });
    else findings.add(read.problem!.kind, root, `ntdll!RtlpDphPageHeapList: ${read.problem!.message}: that page heap is found only if a heap list names it`);
  }
  return { roots, damaged: list.problem !== undefined };
}

/** +hpa in PEB.NtGlobalFlag (§1.1). */
function usesPageHeap(view: NtdllView): boolean {
  const at = view.layout.ntGlobalFlag;
  if (at === undefined) return false;
  try {
    return (u32(view.memory.read(view.peb + at, 4), 0) & FLG_HEAP_PAGE_ALLOCS) !== 0;
  } catch (e) {
    return false;
  }
}

/** The root of a handle with HEAP_FLAG_PAGE_ALLOCS and a signed root; else undefined (classify.ts says why). */
function probeHandle(view: NtdllView, layout: PageHeapLayout, handle: number): PageHeapRoot | undefined {
  if (layout.forceFlags === undefined) return undefined;
  try {
    if ((u32(view.memory.read(handle + layout.forceFlags, 4), 0) & HEAP_FLAG_PAGE_ALLOCS) === 0) return undefined;
  } catch (e) {
    return undefined;
  }
  const read = readRoot(view, layout, handle + ROOT_OFFSET);
  return read.bytes ? { handle, normalHeap: normalHeapOf(layout, read.bytes) } : undefined;
}

/** A root's bytes (sizeof(_DPH_HEAP_ROOT)) when it is readable and signed; otherwise what is wrong with it. */
export function readRoot(view: NtdllView, layout: PageHeapLayout, root: number): { bytes: Uint8Array | undefined; problem: Finding | undefined } {
  let bytes: Uint8Array;
  try {
    bytes = view.memory.read(root, layout.root.size);
  } catch (e) {
    return { bytes: undefined, problem: { kind: "Unreadable", address: root, message: `the _DPH_HEAP_ROOT at ${hex0x(root)} is not readable` } };
  }
  const signature = u32(bytes, layout.root.signature);
  if (signature === DPH_SIGNATURE) return { bytes, problem: undefined };
  const message = `the _DPH_HEAP_ROOT at ${hex0x(root)} has signature ${hex0x(signature)}, not ${hex0x(DPH_SIGNATURE)}`;
  return { bytes: undefined, problem: { kind: "Corruption", address: root, message } };
}

/** DPH_HEAP_ROOT.NormalHeap; 0 for none, or for a value that is no address (the walk says which). */
export function normalHeapOf(layout: PageHeapLayout, root: Uint8Array): number {
  const normalHeap = pointer(root, layout.root.normalHeap, layout.pointerSize);
  return isFinite(normalHeap) ? normalHeap : 0;
}
