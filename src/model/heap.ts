// A heap of the process as dx shows it: dx @$curprocess.Heaps[0]. Its properties come from the
// process's shared cache (src/heap/process-heaps.ts): the heap is walked once, on the first
// property that needs it, whichever object or command asks first. No property throws: what
// cannot be read, trusted or decoded shows as a finding.
import { HeapWalk } from "../heap/records";
import { HeapRef, ProcessHeaps } from "../heap/process-heaps";
import { toInt64 } from "../host/convert";
import { hex0x, hexAddress } from "../util/hex";
import { BlockCollection } from "./block";
import { SegmentCollection, SegmentModel } from "./segment";
import { HeapSummaryModel, PageHeapSummaryModel, SegmentHeapSummaryModel } from "./results";
import { summarizeHeap, summarizePageHeap, summarizeSegmentHeap } from "../analysis/summary";
import { help } from "./help";
import { FindingModel } from "./finding";
import { GroupList, stackGroups, typeGroups } from "./groups";
import { NoStackModel, StackModel, stackModel } from "./stack";
import { pointer } from "../util/bytes";
import { ReferrerModel, referrerModels } from "./referrers";

/** Referrers listed per block. */
const MAX_REFERRERS = 64;

export class HeapModel {
  private __segments: SegmentCollection | undefined;
  private __segmentsOf: HeapWalk | undefined;

  constructor(private __heaps: ProcessHeaps, private __ref: HeapRef) {}

  get [Symbol.metadataDescriptor]() {
    return help({
      Address: "The heap handle",
      Architecture: "x86 or x64: which ntdll manages the heap (a WOW64 process has both; its 32-bit heaps come first)",
      Type: "NT, Segment, or Unknown (the header could not be read or has no heap signature), from the heap's signature",
      Flags: "_HEAP.Flags (NT) or _SEGMENT_HEAP.GlobalFlags",
      ListedIn: "Where the process names the heap: ProcessHeap (PEB.ProcessHeap), PEB (PEB.ProcessHeaps), DescriptorList (ntdll!RtlpProcessHeaps)",
      Granularity: "Block granularity in bytes: sizeof(_HEAP_ENTRY) (8 on x86, 16 on x64)",
      Segments: "The heap's segments",
      Blocks: "Every block of the heap (segment headers, back end, LFH, VirtualAlloc'd); the heap is walked on first use",
      Findings: "What the walk could not read, trust or decode: corrupted headers, unreadable pages, broken lists, unsupported kinds",
      Summary: "The !heap -s numbers of this heap",
      ByStack: "ByStack(): busy blocks grouped by identical allocation stack, largest total first",
      ByType: "ByType(): busy blocks grouped by C++ type (their vftable), else by size, largest total first",
    });
  }

  get Address(): host.Int64 {
    return toInt64(this.__ref.address);
  }
  get Architecture(): string {
    return this.__ref.view.arch;
  }
  get Type(): string {
    return this.ref().identity().type;
  }
  get Flags(): number {
    return this.ref().identity().flags;
  }
  get ListedIn(): string[] {
    return this.__ref.listedIn.slice();
  }
  get Granularity(): number {
    return this.__ref.view.layout.entry.granularity;
  }
  get Segments(): SegmentCollection {
    return this.segmentsOf(this.ref().walk());
  }
  get Blocks(): BlockCollection {
    return new BlockCollection(this, this.ref().walk());
  }
  get Findings(): FindingModel[] {
    return this.ref().walk().findings.map((finding) => new FindingModel(finding));
  }
  /** The !heap -s numbers, or, for a heap that could not be walked, why not. */
  get Summary(): HeapSummaryModel | SegmentHeapSummaryModel | PageHeapSummaryModel | FindingModel {
    const ref = this.ref();
    const problem = ref.problem();
    if (problem) return new FindingModel(problem);
    const walk = ref.walk();
    if (walk.type === "Segment") return new SegmentHeapSummaryModel(summarizeSegmentHeap(walk));
    return walk.type === "PageHeap" ? new PageHeapSummaryModel(summarizePageHeap(walk)) : new HeapSummaryModel(summarizeHeap(walk));
  }

  /** Busy blocks of this heap grouped by identical allocation stack, largest total first. */
  ByStack(): GroupList {
    return stackGroups(this.__heaps, [this.ref()], () => this);
  }

  /** Busy blocks of this heap grouped by C++ type (vftable), else by size, largest total first. */
  ByType(): GroupList {
    return typeGroups(this.__heaps, [this.ref()], () => this);
  }

  /** A block's allocation stack, or why it has none (for Block.AllocationStack). */
  stackOf(walk: HeapWalk, row: number): StackModel | NoStackModel {
    const ref = this.__ref;
    return stackModel(this.__heaps.traces(ref.view).stack(walk, row), this.__heaps.symbolizer());
  }

  /** The C++ class a busy block's vftable pointer names, or null (for Block.TypeName). */
  typeOf(walk: HeapWalk, row: number): string | null {
    const ref = this.__ref;
    let first: number;
    if (ref.walkIfDone() === walk) {
      first = ref.firstPointers()[row];
    } else {
      const p = ref.view.layout.pointerSize;
      const bytes = ref.view.memory.readPrefix(walk.blocks.userAddress[row], p);
      first = bytes.length === p && walk.blocks.userSize[row] >= p ? pointer(bytes, 0, p) : NaN;
    }
    if (!isFinite(first)) return null;
    const name = this.__heaps.symbolizer().vftableClass(first);
    return name === undefined ? null : name;
  }

  /** Where the pointers to a block live, as the process's leak scan saw them (for Block.Referrers()). */
  referrersOf(row: number): ReferrerModel[] {
    const heaps = this.__heaps;
    return referrerModels(heaps, (ref) => (ref === this.__ref ? this : new HeapModel(heaps, ref)), this.ref().index, row, MAX_REFERRERS);
  }

  /** The segment model of a walk's segment (for Block.Segment). */
  segmentAt(walk: HeapWalk, index: number): SegmentModel {
    return this.segmentsOf(walk).getValueAt(index);
  }

  toString(): string {
    const identity = this.__ref.identity();
    return `${identity.type} heap ${hexAddress(this.__ref.address, this.__ref.view.layout.pointerSize)} (flags ${hex0x(identity.flags)})`;
  }

  private segmentsOf(walk: HeapWalk): SegmentCollection {
    if (this.__segmentsOf !== walk) {
      this.__segments = new SegmentCollection(walk);
      this.__segmentsOf = walk;
    }
    return this.__segments!;
  }

  /** The heap as the process's current cache knows it: re-read after a live target ran. */
  private ref(): HeapRef {
    if (!this.__heaps.live) return this.__ref;
    const current = ProcessHeaps.of(this.__heaps.target.processObject);
    if (current !== this.__heaps) {
      this.__heaps = current;
      const found = current.heapAt(this.__ref.address);
      if (found) this.__ref = found;
    }
    return this.__ref;
  }
}
