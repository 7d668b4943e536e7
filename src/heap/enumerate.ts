// Finding every heap of the process (heap-internals.md §2.1): PEB.ProcessHeaps, and ntdll's
// process heap descriptor list (RtlpProcessHeaps), which from Windows 11 24H2 on is the only
// complete list [X64DBG PR 3478]. Both are read, de-duplicated, and each heap says where it was
// found. A pointer that is neither an NT heap nor a segment heap is reported, not listed.
import { Memory } from "../host/memory-types";
import { NtHeapLayout } from "../layouts/ntheap";
import { pointer, u32 } from "../util/bytes";
import { walkList } from "../walkers/list";
import { Finding, HeapDescriptor } from "./records";

const NT_SEGMENT_SIGNATURE = 0xffeeffee;
const NT_HEAP_SIGNATURE = 0xeeffeeff;
const SEGMENT_HEAP_SIGNATURE = 0xddeeddee;
/** Far above any real process; bounds the read of a corrupted NumberOfHeaps. */
const MAX_HEAPS = 4096;

export interface HeapList {
  heaps: HeapDescriptor[];
  findings: Finding[];
}

export function enumerateHeaps(memory: Memory, layout: NtHeapLayout, peb: number): HeapList {
  const findings: Finding[] = [];
  const found: { address: number; source: "PEB" | "DescriptorList" }[] = [];
  const p = layout.pointerSize;
  try {
    const count = u32(memory.read(peb + layout.peb.numberOfHeaps, 4), 0);
    const array = pointer(memory.read(peb + layout.peb.processHeaps, p), 0, p);
    if (count > MAX_HEAPS) {
      findings.push({ kind: "Corruption", address: peb, message: `PEB.NumberOfHeaps is ${count}` });
    } else if (count > 0) {
      const bytes = memory.read(array, count * p);
      for (let i = 0; i < count; i++) found.push({ address: pointer(bytes, i * p, p), source: "PEB" });
    }
  } catch (e) {
    findings.push({ kind: "Unreadable", address: peb, message: `PEB.ProcessHeaps of PEB 0x${peb.toString(16)} is unreadable` });
  }
  const descriptors = layout.heapDescriptors;
  if (descriptors) {
    const list = walkList(memory, descriptors.listHead, MAX_HEAPS);
    if (list.problem) findings.push({ kind: "Corruption", address: list.problem.address, message: `RtlpProcessHeaps: ${list.problem.message}` });
    for (let i = 0; i < list.links.length; i++) {
      const descriptor = list.links[i] - descriptors.link;
      try {
        found.push({ address: pointer(memory.read(descriptor + descriptors.heap, p), 0, p), source: "DescriptorList" });
      } catch (e) {
        findings.push({ kind: "Unreadable", address: descriptor, message: `heap descriptor at 0x${descriptor.toString(16)} is unreadable` });
      }
    }
  }
  const heaps: HeapDescriptor[] = [];
  const byAddress: { [address: number]: HeapDescriptor } = {};
  for (let i = 0; i < found.length; i++) {
    const { address, source } = found[i];
    const known = byAddress[address];
    if (known) {
      if (known.listedIn.indexOf(source) < 0) known.listedIn.push(source);
      continue;
    }
    const heap = classify(memory, layout, address, findings);
    if (!heap) continue;
    heap.listedIn.push(source);
    byAddress[address] = heap;
    heaps.push(heap);
  }
  return { heaps, findings };
}

/** NT heap or segment heap, by signature; undefined (with a finding) for anything else. */
function classify(memory: Memory, layout: NtHeapLayout, address: number, findings: Finding[]): HeapDescriptor | undefined {
  const h = layout.heap;
  const s = layout.segmentHeap;
  try {
    if (u32(memory.read(address + h.segmentSignature, 4), 0) === NT_SEGMENT_SIGNATURE &&
        u32(memory.read(address + h.signature, 4), 0) === NT_HEAP_SIGNATURE) {
      return { address, type: "NT", flags: u32(memory.read(address + h.flags, 4), 0), listedIn: [] };
    }
    if (s && u32(memory.read(address + s.signature, 4), 0) === SEGMENT_HEAP_SIGNATURE) {
      return { address, type: "Segment", flags: u32(memory.read(address + s.globalFlags, 4), 0), listedIn: [] };
    }
    findings.push({ kind: "Corruption", address, message: `0x${address.toString(16)} is listed as a heap but has neither heap signature` });
  } catch (e) {
    findings.push({ kind: "Unreadable", address, message: `heap 0x${address.toString(16)} is unreadable` });
  }
  return undefined;
}
