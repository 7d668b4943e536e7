// What kind of heap a handle points at, decided in one place, by signature
// (docs/heap-structures.md §1.1, §2.1): an NT heap's _HEAP.SegmentSignature is 0xFFEEFFEE and its
// _HEAP.Signature 0xEEFFEEFF; a segment heap's _SEGMENT_HEAP.Signature is 0xDDEEDDEE.
import { Memory } from "../host/memory-types";
import { NtHeapLayout } from "../layouts/ntheap";
import { u32 } from "../util/bytes";
import { hex0x } from "../util/hex";
import { HeapIdentity } from "./records";

const NT_SEGMENT_SIGNATURE = 0xffeeffee;
const NT_HEAP_SIGNATURE = 0xeeffeeff;
const SEGMENT_HEAP_SIGNATURE = 0xddeeddee;

export function classifyHeap(memory: Memory, layout: NtHeapLayout, address: number): HeapIdentity {
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
    return unknown("Corruption", address, `heap ${hex0x(address)} has neither heap signature (NT 0xffeeffee/0xeeffeeff, segment 0xddeeddee)`);
  } catch (e) {
    return unknown("Unreadable", address, `the header of heap ${hex0x(address)} is not readable (not in the dump?)`);
  }
}

function unknown(kind: "Corruption" | "Unreadable", address: number, message: string): HeapIdentity {
  return { type: "Unknown", flags: 0, finding: { kind, address, message } };
}
