// Every heap the process names (docs/heap-structures.md §1.1, §2.1): PEB.ProcessHeap (the default
// process heap), PEB.ProcessHeaps[0..NumberOfHeaps) and ntdll's process heap descriptor list
// (RtlpProcessHeaps), which from Windows 11 24H2 on is the only complete list [X64DBG PR 3478].
// All three are read, de-duplicated, and each heap says where it was found. Nothing of the heaps
// themselves is read here: what a heap is comes later (classify.ts), so listing them is cheap.
// The one exception is page heap (§1.7): each page heap's NormalHeap is named only by its root, so
// in a process that uses page heap the roots are read, and each NormalHeap is listed after its
// page heap. What is inconsistent in the lists is a finding naming the field and its value.
import { Memory } from "../host/memory-types";
import { NtdllView } from "../host/target";
import { NtHeapLayout } from "../layouts/ntheap";
import { pointer, pointerHex, u32 } from "../util/bytes";
import { hex0x } from "../util/hex";
import { walkList } from "../walkers/list";
import { findPageHeapRoots } from "../walkers/pageheap/roots";
import { FindingLog } from "./findings";
import { HeapEntry, HeapListing } from "./records";

/** Far above any real process (the PEB array holds 16 at first and doubles); bounds every read. */
export const MAX_HEAPS = 4096;

export function enumerateHeaps(view: NtdllView, findings: FindingLog): HeapEntry[] {
  const { memory, layout, peb } = view;
  const heaps: HeapEntry[] = [];
  const byAddress: { [address: number]: HeapEntry } = {};
  const add = (address: number, source: HeapListing) => {
    const known = byAddress[address];
    if (known) {
      if (known.listedIn.indexOf(source) < 0) known.listedIn.push(source);
      return;
    }
    const entry: HeapEntry = { address, listedIn: [source] };
    byAddress[address] = entry;
    heaps.push(entry);
  };

  const processHeap = readProcessHeap(memory, layout, peb, findings);
  if (processHeap !== undefined) add(processHeap, "ProcessHeap");
  const listed = readProcessHeaps(memory, layout, peb, processHeap, findings);
  for (let i = 0; i < listed.length; i++) add(listed[i], "PEB");
  const described = readDescriptorList(memory, layout, findings);
  for (let i = 0; i < described.length; i++) add(described[i], "DescriptorList");
  return withPageHeapRoots(view, heaps, findings);
}

/**
 * The heaps with each page heap's NormalHeap right after it, and the page heaps only
 * ntdll!RtlpDphPageHeapList names (with their NormalHeaps) at the end, all listed in PageHeapRoot.
 */
function withPageHeapRoots(view: NtdllView, heaps: HeapEntry[], findings: FindingLog): HeapEntry[] {
  const roots = findPageHeapRoots(view, heaps.map((heap) => heap.address), MAX_HEAPS, findings);
  if (roots.length === 0) return heaps;
  const normalHeapOf: { [handle: number]: number } = {};
  for (let i = 0; i < roots.length; i++) normalHeapOf[roots[i].handle] = roots[i].normalHeap;
  const out: HeapEntry[] = [];
  const byAddress: { [address: number]: HeapEntry } = {};
  const place = (address: number, listedIn: HeapListing[]) => {
    const known = byAddress[address];
    if (!known) {
      out.push(byAddress[address] = { address, listedIn: listedIn.slice() });
      return;
    }
    for (let i = 0; i < listedIn.length; i++) if (known.listedIn.indexOf(listedIn[i]) < 0) known.listedIn.push(listedIn[i]);
  };
  const placeWithNormalHeap = (address: number, listedIn: HeapListing[]) => {
    place(address, listedIn);
    const normalHeap = normalHeapOf[address];
    if (normalHeap) place(normalHeap, ["PageHeapRoot"]);
  };
  for (let i = 0; i < heaps.length; i++) placeWithNormalHeap(heaps[i].address, heaps[i].listedIn);
  for (let i = 0; i < roots.length; i++) if (!byAddress[roots[i].handle]) placeWithNormalHeap(roots[i].handle, ["PageHeapRoot"]);
  return out;
}

function readProcessHeap(memory: Memory, layout: NtHeapLayout, peb: number, findings: FindingLog): number | undefined {
  const p = layout.pointerSize;
  try {
    const bytes = memory.read(peb + layout.peb.processHeap, p);
    const address = pointer(bytes, 0, p);
    if (address === 0) return undefined;
    if (!isFinite(address)) {
      findings.add("Corruption", peb, `PEB.ProcessHeap is ${pointerHex(bytes, 0, p)}, not a user-mode address`);
      return undefined;
    }
    return address;
  } catch (e) {
    findings.add("Unreadable", peb, `the PEB at ${hex0x(peb)} is not readable: its heap list cannot be read`);
    return undefined;
  }
}

/** The non-null slots of PEB.ProcessHeaps that NumberOfHeaps and MaximumNumberOfHeaps agree on. */
function readProcessHeaps(memory: Memory, layout: NtHeapLayout, peb: number, processHeap: number | undefined, findings: FindingLog): number[] {
  const p = layout.pointerSize;
  let count: number;
  let capacity: number;
  let arrayBytes: Uint8Array;
  try {
    count = u32(memory.read(peb + layout.peb.numberOfHeaps, 4), 0);
    capacity = u32(memory.read(peb + layout.peb.maximumNumberOfHeaps, 4), 0);
    arrayBytes = memory.read(peb + layout.peb.processHeaps, p);
  } catch (e) {
    return []; // readProcessHeap has said the PEB is unreadable
  }
  const array = pointer(arrayBytes, 0, p);
  if (count === 0) {
    if (processHeap !== undefined) {
      findings.add("Corruption", peb, `PEB.NumberOfHeaps is 0 while PEB.ProcessHeap is ${hex0x(processHeap)}: the PEB's heap array lists nothing`);
    }
    return [];
  }
  let slots = count;
  if (capacity > MAX_HEAPS) {
    findings.add("Corruption", peb, `PEB.MaximumNumberOfHeaps is ${capacity}, more than any process has (${MAX_HEAPS}): reading at most ${Math.min(count, MAX_HEAPS)} slots`);
    slots = Math.min(count, MAX_HEAPS);
  } else if (count > capacity) {
    findings.add("Corruption", peb, `PEB.NumberOfHeaps is ${count} but PEB.MaximumNumberOfHeaps is ${capacity}: reading the ${capacity} slots the array has`);
    slots = capacity;
  }
  if (array === 0 || !isFinite(array)) {
    findings.add("Corruption", peb, `PEB.ProcessHeaps is ${pointerHex(arrayBytes, 0, p)} while PEB.NumberOfHeaps is ${count}`);
    return [];
  }
  let bytes: Uint8Array;
  try {
    bytes = memory.read(array, slots * p);
  } catch (e) {
    findings.add("Unreadable", array, `PEB.ProcessHeaps (${slots} slots at ${hex0x(array)}) is not readable: only heaps listed elsewhere are shown`);
    return [];
  }
  const heaps: number[] = [];
  let nulls = 0;
  for (let i = 0; i < slots; i++) {
    const heap = pointer(bytes, i * p, p);
    if (heap === 0 || !isFinite(heap)) nulls++;
    else heaps.push(heap);
  }
  if (nulls > 0) findings.add("Corruption", array, `${nulls} of the first ${slots} PEB.ProcessHeaps slots (PEB.NumberOfHeaps ${count}) hold no heap`);
  return heaps;
}

function readDescriptorList(memory: Memory, layout: NtHeapLayout, findings: FindingLog): number[] {
  const descriptors = layout.heapDescriptors;
  if (!descriptors) return [];
  const p = layout.pointerSize;
  const list = walkList(memory, descriptors.listHead, MAX_HEAPS);
  if (list.problem) findings.add("Corruption", list.problem.address, `ntdll!RtlpProcessHeaps: ${list.problem.message}`);
  const heaps: number[] = [];
  for (let i = 0; i < list.links.length; i++) {
    const descriptor = list.links[i] - descriptors.link;
    try {
      const heap = pointer(memory.read(descriptor + descriptors.heap, p), 0, p);
      if (heap !== 0 && isFinite(heap)) heaps.push(heap);
    } catch (e) {
      findings.add("Unreadable", descriptor, `process heap descriptor at ${hex0x(descriptor)} is not readable`);
    }
  }
  return heaps;
}
