// A segment of a heap, and its uncommitted ranges, as dx shows them.
import { HeapWalk, SegmentRecord, UncommittedRange } from "../heap/records";
import { toInt64 } from "../host/convert";
import { hex0x } from "../util/hex";
import { IndexedList } from "./collection";
import { help } from "./help";

export class SegmentModel {
  constructor(private readonly __segment: SegmentRecord) {}

  get [Symbol.metadataDescriptor]() {
    return help({
      Address: "The _HEAP_SEGMENT (the _HEAP itself for the first segment)",
      BaseAddress: "Start of the segment's reservation",
      FirstEntry: "The first block after the segment header",
      LastValidEntry: "End of the segment's reservation",
      ReservedBytes: "LastValidEntry - BaseAddress",
      CommittedBytes: "ReservedBytes minus the uncommitted ranges",
      UncommittedRanges: "The segment's uncommitted ranges, from UCRSegmentList",
    });
  }

  get Address(): host.Int64 {
    return toInt64(this.__segment.address);
  }
  get BaseAddress(): host.Int64 {
    return toInt64(this.__segment.baseAddress);
  }
  get FirstEntry(): host.Int64 {
    return toInt64(this.__segment.firstEntry);
  }
  get LastValidEntry(): host.Int64 {
    return toInt64(this.__segment.lastValidEntry);
  }
  get ReservedBytes(): number {
    return this.__segment.reservedBytes;
  }
  get CommittedBytes(): number {
    return this.__segment.committedBytes;
  }
  get UncommittedRanges(): UncommittedRangeModel[] {
    return this.__segment.uncommittedRanges.map((range) => new UncommittedRangeModel(range));
  }

  toString(): string {
    const s = this.__segment;
    return `Segment ${hex0x(s.address)} [${hex0x(s.firstEntry)}, ${hex0x(s.lastValidEntry)}) committed ${hex0x(s.committedBytes)}`;
  }
}

/** Heap.Segments. */
export class SegmentCollection extends IndexedList<SegmentModel> {
  private readonly __models: (SegmentModel | undefined)[] = [];

  constructor(private readonly __walk: HeapWalk) {
    super();
  }

  protected itemCount(): number {
    return this.__walk.segments.length;
  }

  protected itemAt(index: number): SegmentModel {
    let model = this.__models[index];
    if (!model) model = this.__models[index] = new SegmentModel(this.__walk.segments[index]);
    return model;
  }

  toString(): string {
    return `${this.__walk.segments.length} segments`;
  }
}

export class UncommittedRangeModel {
  constructor(private readonly __range: UncommittedRange) {}

  get Address(): host.Int64 {
    return toInt64(this.__range.address);
  }
  get Size(): number {
    return this.__range.size;
  }

  toString(): string {
    return `${hex0x(this.__range.address)} - ${hex0x(this.__range.address + this.__range.size)} uncommitted`;
  }
}
