// A heap of the process as dx shows it: dx @$curprocess.Heaps[0]. The walk happens on the
// first property that needs it and is kept for the life of this object (one dx evaluation).
import { Finding, HeapDescriptor, HeapWalk } from "../heap/records";
import { toInt64 } from "../host/convert";
import { Target } from "../host/target";
import { hex0x, hexAddress } from "../util/hex";
import { walkNtHeap } from "../walkers/nt/heap";
import { BlockCollection } from "./block";
import { SegmentModel } from "./segment";
import { HeapSummaryModel } from "./results";
import { summarizeHeap } from "../analysis/summary";
import { help } from "./help";

export class HeapModel {
  private __walkResult: HeapWalk | undefined;
  private __segments: SegmentModel[] | undefined;

  constructor(private readonly __target: Target, private readonly __descriptor: HeapDescriptor) {}

  get [Symbol.metadataDescriptor]() {
    return help({
      Address: "The heap handle",
      Type: "NT or Segment, from the heap's signature",
      Flags: "_HEAP.Flags (NT) or _SEGMENT_HEAP.GlobalFlags",
      ListedIn: "Where the heap was found: PEB (PEB.ProcessHeaps) and/or DescriptorList (ntdll!RtlpProcessHeaps)",
      Granularity: "Block granularity in bytes: sizeof(_HEAP_ENTRY) (8 on x86, 16 on x64)",
      Segments: "The heap's segments, from _HEAP.SegmentList",
      Blocks: "Every block of the heap (back end, LFH, VirtualAlloc'd); the heap is walked on first use",
      Findings: "What the walk could not read or trust: corrupted headers, unreadable pages, broken lists",
      Summary: "The !heap -s numbers of this heap",
    });
  }

  get Address(): host.Int64 {
    return toInt64(this.__descriptor.address);
  }
  get Type(): string {
    return this.__descriptor.type;
  }
  get Flags(): number {
    return this.__descriptor.flags;
  }
  get ListedIn(): string[] {
    return this.__descriptor.listedIn.slice();
  }
  get Granularity(): number {
    return this.__target.layout.entry.granularity;
  }
  get Segments(): SegmentModel[] {
    if (!this.__segments) this.__segments = this.walk().segments.map((segment) => new SegmentModel(segment));
    return this.__segments;
  }
  get Blocks(): BlockCollection {
    return new BlockCollection(this);
  }
  get Findings(): FindingModel[] {
    return this.walk().findings.map((finding) => new FindingModel(finding));
  }

  get Summary(): HeapSummaryModel {
    return new HeapSummaryModel(summarizeHeap(this.walk()));
  }

  /** Methods are not listed by dx: these serve dxheap's own code. */
  descriptor(): HeapDescriptor {
    return this.__descriptor;
  }

  walkIfDone(): HeapWalk | undefined {
    return this.__walkResult;
  }

  /** The walk of this heap; segment heaps cannot be walked yet and say so. */
  walk(): HeapWalk {
    if (this.__descriptor.type !== "NT") {
      throw new Error(`heap ${hex0x(this.__descriptor.address)} is a segment heap: dxheap does not walk segment heaps yet`);
    }
    if (!this.__walkResult) {
      this.__walkResult = walkNtHeap(this.__target.memory, this.__target.layout, this.__target.lfhKey, this.__descriptor);
    }
    return this.__walkResult;
  }

  toString(): string {
    const d = this.__descriptor;
    return `${d.type} heap ${hexAddress(d.address, this.__target.layout.pointerSize)} (flags ${hex0x(d.flags)})`;
  }
}

export class FindingModel {
  constructor(private readonly __finding: Finding) {}

  get Kind(): string {
    return this.__finding.kind;
  }
  get Address(): host.Int64 {
    return toInt64(this.__finding.address);
  }
  get Message(): string {
    return this.__finding.message;
  }

  toString(): string {
    return `${this.__finding.kind}: ${this.__finding.message}`;
  }
}
