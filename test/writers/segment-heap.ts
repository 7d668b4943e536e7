// A segment heap with nothing in it yet: enough for heap enumeration to classify it (§2.1 of
// /work/shared/heap/heap-internals.md). Its segments and blocks come with the segment-heap walk.
import type { AddressSpace, HeapTruth, Layout } from "./types";

/** _SEGMENT_HEAP.Signature (x64 +0x10, x86 +0x8): §1.1 [SYRINGE], [DLGHELP heap_segment.h]. */
const SEGMENT_HEAP_SIGNATURE = 0xddeeddee;

/**
 * GlobalFlags of the stub: HEAP_GROWABLE (0x2, §1.2 flag list). The notes give no real
 * GlobalFlags value of a segment heap; any value will do as long as the truth carries it.
 */
const STUB_GLOBAL_FLAGS = 0x2;

export function writeSegmentHeapStub(space: AddressSpace, layout: Layout): HeapTruth {
  // Like a real segment heap, the _SEGMENT_HEAP opens its own reservation.
  const size = layout.size("_SEGMENT_HEAP");
  const address = space.reserve(size);
  space.commit(address, size);
  space.u32(address + BigInt(layout.off("_SEGMENT_HEAP", "Signature")), SEGMENT_HEAP_SIGNATURE);
  space.u32(address + BigInt(layout.off("_SEGMENT_HEAP", "GlobalFlags")), STUB_GLOBAL_FLAGS);
  return {
    address,
    type: "Segment",
    flags: STUB_GLOBAL_FLAGS,
    granularity: layout.granularity, // VS chunk units: 16 bytes on x64, 8 on x86 (§0 item 5)
    listedIn: [],
    segments: [],
    blocks: [],
    lfh: false,
  };
}
