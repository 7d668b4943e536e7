// The one entry to every walker: the heap's type (src/heap/classify.ts) picks it. A kind that is
// not walked yet gives an empty walk whose finding, of kind Unsupported, says so.
import { BlockTableBuilder, HeapIdentity, HeapWalk } from "../heap/records";
import { Finding } from "../heap/findings";
import { NtdllView } from "../host/target";
import { hex0x } from "../util/hex";
import { walkNtHeap } from "./nt/heap";

export function walkHeap(view: NtdllView, address: number, identity: HeapIdentity): HeapWalk {
  switch (identity.type) {
    case "NT":
      return walkNtHeap(view, address, identity.flags);
    case "Segment":
      return emptyWalk(view, address, identity, { kind: "Unsupported", address, message: `heap ${hex0x(address)} is a segment heap: dxheap does not walk segment heaps yet` });
    default:
      return emptyWalk(view, address, identity, identity.finding!);
  }
}

function emptyWalk(view: NtdllView, address: number, identity: HeapIdentity, finding: Finding): HeapWalk {
  return {
    address,
    type: identity.type,
    flags: identity.flags,
    granularity: view.layout.entry.granularity,
    segments: [],
    blocks: new BlockTableBuilder().seal(),
    virtualBlockCount: 0,
    counters: { lockContention: 0, largeUncommittedBytes: 0, frontEnd: "" },
    findings: [finding],
  };
}
