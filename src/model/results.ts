// The objects the commands return (dx @$heaps(), @$heapstat(), ...), with PascalCase names and
// hex ordinals so they read well in dx and dx -g.
import { HeapSummary, PageHeapSummary, SegmentHeapSummary } from "../analysis/summary";
import { SizeStatistics, SizeStatRow } from "../analysis/stat";
import { Reference } from "../analysis/find";
import { toInt64 } from "../host/convert";
import { hex0x } from "../util/hex";
import { BlockModel } from "./block";
import { help } from "./help";
import { LazyCollection } from "./lazy";
import type { NoStackModel, StackModel } from "./stack";
import { FindingModel } from "./finding";
import { Finding } from "../heap/findings";

/** What !heaps prints for one heap; also Heap.Summary. */
export class HeapSummaryModel {
  constructor(private readonly __summary: HeapSummary) {}

  get [Symbol.metadataDescriptor]() {
    return help({
      Heap: "The heap handle",
      Flags: "_HEAP.Flags",
      ReservedBytes: "Reserv: bytes reserved by the heap's segments",
      CommittedBytes: "Commit: bytes committed in the segments",
      VirtualBytes: "Virt: reserved bytes minus _HEAP.Counters.TotalMemoryLargeUCR",
      FreeBytes: "Free: bytes in free back-end blocks",
      FreeBlocks: "List length: free back-end blocks",
      LargestFreeBlock: "The largest free back-end block, in bytes",
      UncommittedRanges: "UCR: uncommitted ranges in the segments",
      VirtualBlocks: "Virt blocks: VirtualAlloc'd blocks",
      LockContention: "Lock cont.: _HEAP.Counters.LockCollisions",
      FastHeap: "Fast heap: LFH when the low-fragmentation front end is on",
      ExternalFragmentation: "Percent: 1 - largest free block / free bytes",
      VirtualAddressFragmentation: "Percent: 1 - committed / reserved",
      BusyBlocks: "Busy blocks of every kind (LFH blocks one by one, VirtualAlloc'd blocks included)",
      BusyBytes: "Bytes requested by the busy blocks",
    }, ["ExternalFragmentation", "VirtualAddressFragmentation"]);
  }

  get Heap(): host.Int64 { return toInt64(this.__summary.heapAddress); }
  get Flags(): number { return this.__summary.flags; }
  get ReservedBytes(): number { return this.__summary.reservedBytes; }
  get CommittedBytes(): number { return this.__summary.committedBytes; }
  get VirtualBytes(): number { return this.__summary.virtualBytes; }
  get FreeBytes(): number { return this.__summary.freeBytes; }
  get FreeBlocks(): number { return this.__summary.freeBlockCount; }
  get LargestFreeBlock(): number { return this.__summary.largestFreeBlock; }
  get UncommittedRanges(): number { return this.__summary.uncommittedRangeCount; }
  get VirtualBlocks(): number { return this.__summary.virtualBlockCount; }
  get LockContention(): number { return this.__summary.lockContention; }
  get FastHeap(): string { return this.__summary.fastHeap; }
  get ExternalFragmentation(): number { return this.__summary.externalFragmentation; }
  get VirtualAddressFragmentation(): number { return this.__summary.virtualAddressFragmentation; }
  get BusyBlocks(): number { return this.__summary.busyBlockCount; }
  get BusyBytes(): number { return this.__summary.busyUserBytes; }

  toString(): string {
    const s = this.__summary;
    return `Heap ${hex0x(s.heapAddress)}: committed ${hex0x(s.committedBytes)}, ${s.busyBlockCount} busy blocks (${hex0x(s.busyUserBytes)} bytes), ${s.freeBlockCount} free`;
  }
}

/** What !heapstat prints for one heap. */
export class SizeStatisticsModel {
  constructor(private readonly __heap: number, private readonly __groupBy: string, private readonly __stats: SizeStatistics) {}

  get Heap(): host.Int64 { return toInt64(this.__heap); }
  /** "A" (by size), "B" (by block count) or "S" (by total size). */
  get GroupBy(): string { return this.__groupBy; }
  get Rows(): SizeStatRowModel[] { return this.__stats.rows.map((row) => new SizeStatRowModel(row)); }
  get BusyBlocks(): number { return this.__stats.totalBusyBlocks; }
  get BusyBytes(): number { return this.__stats.totalBusyBytes; }

  toString(): string {
    return `Heap ${hex0x(this.__heap)}: ${this.__stats.distinctSizes} sizes, ${this.__stats.totalBusyBlocks} busy blocks`;
  }
}

export class SizeStatRowModel {
  constructor(private readonly __row: SizeStatRow) {}

  get [Symbol.metadataDescriptor]() {
    return help({
      Size: "The requested size, in bytes",
      Count: "Busy blocks of that size",
      TotalBytes: "Size * Count",
      Percent: "Percent of the heap's busy bytes, two decimals",
    }, ["Percent"]);
  }

  get Size(): number { return this.__row.size; }
  get Count(): number { return this.__row.count; }
  get TotalBytes(): number { return this.__row.total; }
  get Percent(): number { return Math.round(this.__row.percent * 100) / 100; }

  toString(): string {
    return `${hex0x(this.__row.size)} x ${hex0x(this.__row.count)} = ${hex0x(this.__row.total)} (${this.__row.percent.toFixed(2)}%)`;
  }
}

/** What !heapfind returns: the block holding an address, and who points into it. */
export class FoundBlockModel {
  constructor(
    private readonly __block: BlockModel,
    private readonly __offset: number,
    /** Finds the references again on each iteration (none kept), or undefined without `true`. */
    private readonly __references: (() => Iterator<Reference>) | undefined,
  ) {}

  get [Symbol.metadataDescriptor]() {
    return help({
      Block: "The innermost block holding the address (an LFH block rather than its UserBlocks container)",
      Offset: "The address minus the block's Address",
      References: "Pointer-sized values anywhere in the process that point into the block (only with true); read again each time",
    });
  }

  get Block(): BlockModel { return this.__block; }
  get Offset(): number { return this.__offset; }
  get References(): LazyCollection<ReferenceModel> | null {
    const references = this.__references;
    if (!references) return null;
    return new LazyCollection(() => mapIterator(references(), (r) => new ReferenceModel(r)), "");
  }

  toString(): string {
    return `${this.__block} (offset ${hex0x(this.__offset)})`;
  }
}

/** `items` with each value mapped; for lazy collections. */
export function* mapIterator<T, U>(items: Iterator<T>, map: (item: T) => U): Generator<U> {
  for (let step = items.next(); !step.done; step = items.next()) yield map(step.value);
}

export class ReferenceModel {
  constructor(private readonly __reference: Reference) {}

  /** Where the pointer is stored. */
  get Location(): host.Int64 { return toInt64(this.__reference.location); }
  get Value(): host.Int64 { return toInt64(this.__reference.value); }

  toString(): string {
    return `${hex0x(this.__reference.location)} -> ${hex0x(this.__reference.value)}`;
  }
}

/** One !heapsearch match. */
export class PatternHitModel {
  constructor(private readonly __block: BlockModel, private readonly __location: number) {}

  get Location(): host.Int64 { return toInt64(this.__location); }
  get Block(): BlockModel { return this.__block; }

  toString(): string {
    return `${hex0x(this.__location)} in ${this.__block}`;
  }
}

/** What !heapcheck reports for one heap. */
export class HeapCheckModel {
  constructor(private readonly __heap: number, private readonly __type: string, private readonly __findings: Finding[]) {}

  get [Symbol.metadataDescriptor]() {
    return help({
      Heap: "The heap handle",
      Type: "NT, Segment or Unknown",
      Findings: "Everything the walk and the cross-checks found wrong (free lists, counters, hidden blocks, overlaps, encodings)",
    });
  }

  get Heap(): host.Int64 { return toInt64(this.__heap); }
  get Type(): string { return this.__type; }
  get Findings(): FindingModel[] { return this.__findings.map((f) => new FindingModel(f)); }

  toString(): string {
    const n = this.__findings.length;
    return `${this.__type} heap ${hex0x(this.__heap)}: ${n === 0 ? "no problem found" : `${n} finding${n === 1 ? "" : "s"}`}`;
  }
}

/** What !heaps prints for a segment heap; also its Heap.Summary. */
export class SegmentHeapSummaryModel {
  constructor(private readonly __summary: SegmentHeapSummary) {}

  get [Symbol.metadataDescriptor]() {
    return help({
      Heap: "The heap handle",
      Flags: "_SEGMENT_HEAP.GlobalFlags",
      ReservedBytes: "Bytes reserved by the page segments (MemStats.TotalReservedPages)",
      CommittedBytes: "Bytes committed in the page segments (MemStats.TotalCommittedPages)",
      FreeCommittedBytes: "Committed bytes in free page ranges (MemStats.FreeCommittedPages)",
      LfhFreeCommittedBytes: "Committed bytes of LFH subsegments holding no busy block (MemStats.LfhFreeCommittedPages)",
      VsFreeBytes: "Bytes in free VS chunks (VsContext.FreeCommittedUnits)",
      LargeReservedBytes: "Bytes reserved by Large blocks (LargeReservedPages)",
      LargeCommittedBytes: "Bytes committed by Large blocks (LargeCommittedPages)",
      LargeBlocks: "Large blocks",
      Segments: "Page segments in each segment context",
      FreeBlocks: "Free VS chunks, LFH slots and page ranges",
      LargestFreeBlock: "The largest of them, in bytes",
      BusyBlocks: "Busy blocks of every kind",
      BusyBytes: "Bytes requested by the busy blocks",
    });
  }

  get Heap(): host.Int64 { return toInt64(this.__summary.heapAddress); }
  get Flags(): number { return this.__summary.flags; }
  get ReservedBytes(): number { return this.__summary.reservedBytes; }
  get CommittedBytes(): number { return this.__summary.committedBytes; }
  get FreeCommittedBytes(): number { return this.__summary.freeCommittedBytes; }
  get LfhFreeCommittedBytes(): number { return this.__summary.lfhFreeCommittedBytes; }
  get VsFreeBytes(): number { return this.__summary.vsFreeBytes; }
  get LargeReservedBytes(): number { return this.__summary.largeReservedBytes; }
  get LargeCommittedBytes(): number { return this.__summary.largeCommittedBytes; }
  get LargeBlocks(): number { return this.__summary.largeBlockCount; }
  get Segments(): number[] { return this.__summary.segmentsPerContext.slice(); }
  get FreeBlocks(): number { return this.__summary.freeBlockCount; }
  get LargestFreeBlock(): number { return this.__summary.largestFreeBlock; }
  get BusyBlocks(): number { return this.__summary.busyBlockCount; }
  get BusyBytes(): number { return this.__summary.busyUserBytes; }

  toString(): string {
    const s = this.__summary;
    return `Segment heap ${hex0x(s.heapAddress)}: committed ${hex0x(s.committedBytes + s.largeCommittedBytes)}, ${s.busyBlockCount} busy blocks (${hex0x(s.busyUserBytes)} bytes), ${s.freeBlockCount} free`;
  }
}

/** What !heaps returns for a page heap (gflags +hpa). */
export class PageHeapSummaryModel {
  constructor(private readonly __summary: PageHeapSummary) {}

  get [Symbol.metadataDescriptor]() {
    return help({
      Heap: "The page heap's handle",
      Flags: "_HEAP.Flags at the handle",
      FullPageBlocks: "Busy full-page blocks (each in its own virtual block, a guard page after it)",
      FullPageBytes: "Bytes requested by them",
      FreedBlocks: "Delayed-free blocks (State Freed): freed, kept inaccessible to catch use after free",
      FreedBytes: "Bytes they held",
      LightBlocks: "Busy light blocks, inside the NormalHeap",
      LightBytes: "Bytes requested by them",
      NormalHeap: "The NT heap holding the light blocks, or 0",
    });
  }

  get Heap(): host.Int64 { return toInt64(this.__summary.heapAddress); }
  get Flags(): number { return this.__summary.flags; }
  get FullPageBlocks(): number { return this.__summary.fullPageBusy; }
  get FullPageBytes(): number { return this.__summary.fullPageBusyBytes; }
  get FreedBlocks(): number { return this.__summary.freed; }
  get FreedBytes(): number { return this.__summary.freedBytes; }
  get LightBlocks(): number { return this.__summary.lightBusy; }
  get LightBytes(): number { return this.__summary.lightBusyBytes; }
  get NormalHeap(): host.Int64 { return toInt64(this.__summary.normalHeap); }

  toString(): string {
    const s = this.__summary;
    return `Page heap ${hex0x(s.heapAddress)}: ${s.fullPageBusy} full-page and ${s.lightBusy} light busy blocks (${hex0x(s.fullPageBusyBytes + s.lightBusyBytes)} bytes), ${s.freed} freed`;
  }
}

/** What !heapstack returns: the block holding an address, the offset, and who allocated it. */
export class HeapStackModel {
  constructor(private readonly __block: BlockModel, private readonly __offset: number, private readonly __stack: StackModel | NoStackModel) {}

  get [Symbol.metadataDescriptor]() {
    return help({
      Block: "The innermost block holding the address",
      Offset: "The address minus the block's Address",
      State: "Busy, Free, Internal or Freed (a page heap's delayed free)",
      AllocationStack: "Its allocation stack (for a Freed page-heap block, the freeing one), or why there is none",
    });
  }

  get Block(): BlockModel { return this.__block; }
  get Offset(): number { return this.__offset; }
  get State(): string { return this.__block.State; }
  get AllocationStack(): StackModel | NoStackModel { return this.__stack; }

  toString(): string {
    return `${this.__block} (offset ${hex0x(this.__offset)}): ${this.__stack}`;
  }
}
