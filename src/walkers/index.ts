// The one entry to every walker: the heap's type (src/heap/classify.ts) picks it. A heap of unknown
// type gives an empty walk whose finding says why. ntWalkAt gives the walk of another NT heap of the
// process from the process's cache: a page heap's light blocks are its NormalHeap's blocks.
import { HeapIdentity, HeapWalk, emptyHeapWalk } from "../heap/records";
import { Finding } from "../heap/findings";
import { NtdllView } from "../host/target";
import { walkNtHeap } from "./nt/heap";
import { walkPageHeap } from "./pageheap/heap";
import { walkSegmentHeap } from "./segment/heap";

export function walkHeap(view: NtdllView, address: number, identity: HeapIdentity, ntWalkAt: (address: number) => HeapWalk | undefined): HeapWalk {
  switch (identity.type) {
    case "NT":
      return walkNtHeap(view, address, identity.flags);
    case "Segment":
      return walkSegmentHeap(view, address, identity.flags);
    case "PageHeap":
      return walkPageHeap(view, address, identity.flags, ntWalkAt);
    default:
      return emptyWalk(view, address, identity, identity.finding!);
  }
}

function emptyWalk(view: NtdllView, address: number, identity: HeapIdentity, finding: Finding): HeapWalk {
  const walk = emptyHeapWalk(address, identity.type, identity.flags, view.layout.entry.granularity);
  walk.findings = [finding];
  return walk;
}

/** The walk of a heap whose walker failed (a bug in dxheap, not in the target): empty, and saying so. */
export function failedWalk(view: NtdllView, address: number, identity: HeapIdentity, error: unknown): HeapWalk {
  const message = `dxheap could not walk heap 0x${address.toString(16)}: ${String((error as Error).message)} (an internal error; please report it with the dump)`;
  return emptyWalk(view, address, identity, { kind: "Unsupported", address, message });
}
