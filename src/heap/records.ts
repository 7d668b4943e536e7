// The records every walker produces and every analysis reads, whatever the heap kind.
// Blocks live in a columnar BlockTable (typed arrays, one row per block) so a heap of millions
// of blocks costs no object per block; the dx objects (src/model) are made from rows only when
// dx asks. Addresses are JS numbers: user-mode addresses are below 2^47 and so exact in a double
// (src/host/convert.ts turns them into host.Int64 at the boundary).
import { Finding } from "./findings";

/** "Freed": a page-heap block whose free is delayed (docs/heap-structures.md §2.6): freed, still held. */
export type BlockState = "Busy" | "Free" | "Internal" | "Freed";
/**
 * Segment heaps add VS chunks, Large blocks and page ranges; their LFH blocks are "LFH" too (src/walkers/segment).
 * Page heaps' full-page and light blocks are "PageHeap" (src/walkers/pageheap).
 */
export type BlockKind = "Backend" | "LFH" | "VirtualAlloc" | "VS" | "Large" | "PageRange" | "PageHeap";
export const BLOCK_STATES: readonly BlockState[] = ["Busy", "Free", "Internal", "Freed"];
export const BLOCK_KINDS: readonly BlockKind[] = ["Backend", "LFH", "VirtualAlloc", "VS", "Large", "PageRange", "PageHeap"];
export const STATE_BUSY = 0;
export const STATE_FREE = 1;
export const STATE_INTERNAL = 2;
export const STATE_FREED = 3;
export const KIND_BACKEND = 0;
export const KIND_LFH = 1;
export const KIND_VIRTUAL_ALLOC = 2;
export const KIND_VS = 3;
export const KIND_LARGE = 4;
export const KIND_PAGE_RANGE = 5;
export const KIND_PAGE_HEAP = 6;

/** No container / no segment. */
export const NONE = -1;

/** A column of addresses or sizes: 32-bit while every value fits, else doubles (exact below 2^53). */
export type WideColumn = Uint32Array | Float64Array;

/**
 * The blocks of one walk, one row each. The common core — address, userAddress, size,
 * userSize, state, kind, segment — means the same for every heap kind; the detail columns
 * (previousSize, flags, container) are filled by the kinds that have them. Each column is as
 * narrow as its values allow (an x86 heap's addresses, every size below 4 GiB: 32 bits), so a
 * row costs 29 bytes on x86 and 37 on x64.
 */
export interface BlockTable {
  readonly count: number;
  /** Where the block starts, header included (NT: the HEAP_ENTRY as !heap prints it). */
  readonly address: WideColumn;
  /** The UserPtr: where the program's data starts. */
  readonly userAddress: WideColumn;
  /** Bytes, header included. */
  readonly size: WideColumn;
  /** Bytes the program asked for; 0 for free blocks. */
  readonly userSize: WideColumn;
  readonly state: Uint8Array;
  readonly kind: Uint8Array;
  /** Index into the walk's segments; NONE for blocks outside any segment (VirtualAlloc'd). */
  readonly segment: Int16Array | Int32Array;
  /** Row of the block holding this one (an LFH block's UserBlocks); NONE otherwise. */
  readonly container: Int32Array;
  /** Detail: bytes of the previous block (NT back end), 0 when not known. */
  readonly previousSize: Uint32Array;
  /** Detail: the decoded _HEAP_ENTRY.Flags byte (NT); 0 for kinds without one. */
  readonly flags: Uint8Array;
  /**
   * Detail, present only when some block of the walk names an allocation stack: where its trace
   * is, as the heap records it (src/stacks/trace.ts reads it only when asked). A positive value
   * is the address of an _RTL_STACK_TRACE_ENTRY (Windows 8+ +ust headers, page heap); a negative
   * one is minus an index into the trace database (Windows 7 _HEAP_ENTRY_EXTRA); 0 names none.
   */
  readonly trace: Float64Array | undefined;
}

/** Rows per chunk: a chunk never moves once made, so growing the table never copies it. */
export const CHUNK_ROWS = 1 << 16;
const U32_MAX = 0xffffffff;
const I16_MAX = 0x7fff;

/** Rows being collected: the BlockTable's columns for rows firstRow to firstRow + count. */
export interface BlockChunk {
  readonly firstRow: number;
  count: number;
  address: WideColumn;
  userAddress: WideColumn;
  size: WideColumn;
  userSize: WideColumn;
  readonly state: Uint8Array;
  readonly kind: Uint8Array;
  segment: Int16Array | Int32Array;
  readonly container: Int32Array;
  readonly previousSize: Uint32Array;
  readonly flags: Uint8Array;
  /** Made on the first setTrace of a row of this chunk. */
  trace: Float64Array | undefined;
}

/**
 * Collects rows while a walk runs, in fixed-size chunks (growing never copies), and seals them
 * into one exact-size BlockTable at the end: one copy in all, and no slack kept. A column starts
 * 32 bits (16 for segment) wide and is widened, once, by the first value that needs it.
 */
export class BlockTableBuilder {
  /** Every chunk, the one being filled last. */
  private chunks: BlockChunk[] = [];
  private current: BlockChunk;
  /** The largest value each narrow column holds; Infinity once widened. */
  private addressLimit = U32_MAX;
  private sizeLimit = U32_MAX;
  private segmentLimit = I16_MAX;
  private traced = false;

  constructor() {
    this.current = this.newChunk(0);
  }

  get count(): number {
    return this.current.firstRow + this.current.count;
  }

  /** Appends a row; returns its index. */
  push(address: number, userAddress: number, size: number, userSize: number, state: number, kind: number,
    segment: number, container: number, previousSize: number, flags: number): number {
    // NaN and negative values fail these too, and so widen the column that then holds them as given.
    if (!(address >= 0 && address <= this.addressLimit && userAddress >= 0 && userAddress <= this.addressLimit)) this.widen("address");
    if (!(size >= 0 && size <= this.sizeLimit && userSize >= 0 && userSize <= this.sizeLimit)) this.widen("size");
    if (segment > this.segmentLimit) this.widen("segment");
    let c = this.current;
    if (c.count === CHUNK_ROWS) c = this.newChunk(c.firstRow + c.count);
    const i = c.count++;
    c.address[i] = address;
    c.userAddress[i] = userAddress;
    c.size[i] = size;
    c.userSize[i] = userSize;
    c.state[i] = state;
    c.kind[i] = kind;
    c.segment[i] = segment;
    c.container[i] = container;
    c.previousSize[i] = previousSize;
    c.flags[i] = flags;
    return c.firstRow + i;
  }

  /**
   * The chunk to write `rows` more rows into (rows ≤ CHUNK_ROWS), for a walker that appends many
   * at once (an LFH UserBlocks' blocks): it writes them from index chunk.count on, straight into
   * the columns, and adds how many it wrote to chunk.count. No address may exceed `addresses`, no
   * size `sizes`, no segment index be one no row pushed before had; previousSize and trace stay 0.
   */
  reserve(rows: number, addresses: number, sizes: number): BlockChunk {
    if (!(rows <= CHUNK_ROWS)) throw new RangeError(`${rows} rows do not fit one chunk of ${CHUNK_ROWS}`);
    if (!(addresses <= this.addressLimit)) this.widen("address");
    if (!(sizes <= this.sizeLimit)) this.widen("size");
    const c = this.current;
    return c.count + rows <= CHUNK_ROWS ? c : this.newChunk(c.firstRow + c.count);
  }

  userAddressOf(row: number): number {
    const c = this.chunkOf(row);
    return c.userAddress[row - c.firstRow];
  }

  segmentOf(row: number): number {
    const c = this.chunkOf(row);
    return c.segment[row - c.firstRow];
  }

  /** Records where the trace of a pushed row is (see BlockTable.trace); the column exists only once used. */
  setTrace(row: number, value: number): void {
    const c = this.chunkOf(row);
    if (!c.trace) c.trace = new Float64Array(CHUNK_ROWS);
    c.trace[row - c.firstRow] = value;
    this.traced = true;
  }

  seal(): BlockTable {
    const all = this.chunks;
    const n = this.count;
    const wide = (limit: number, pick: (c: BlockChunk) => WideColumn): WideColumn =>
      concat(limit === U32_MAX ? new Uint32Array(n) : new Float64Array(n), all, pick);
    const table: BlockTable = {
      count: n,
      address: wide(this.addressLimit, (c) => c.address),
      userAddress: wide(this.addressLimit, (c) => c.userAddress),
      size: wide(this.sizeLimit, (c) => c.size),
      userSize: wide(this.sizeLimit, (c) => c.userSize),
      state: concat(new Uint8Array(n), all, (c) => c.state),
      kind: concat(new Uint8Array(n), all, (c) => c.kind),
      segment: concat(this.segmentLimit === I16_MAX ? new Int16Array(n) : new Int32Array(n), all, (c) => c.segment),
      container: concat(new Int32Array(n), all, (c) => c.container),
      previousSize: concat(new Uint32Array(n), all, (c) => c.previousSize),
      flags: concat(new Uint8Array(n), all, (c) => c.flags),
      trace: this.traced ? concatOptional(new Float64Array(n), all) : undefined,
    };
    this.chunks = [];
    this.traced = false;
    this.current = this.newChunk(0);
    return table;
  }

  /** A fresh chunk, the one now filled, its first row `firstRow`. */
  private newChunk(firstRow: number): BlockChunk {
    const n = CHUNK_ROWS;
    const addresses = () => (this.addressLimit === U32_MAX ? new Uint32Array(n) : new Float64Array(n));
    const sizes = () => (this.sizeLimit === U32_MAX ? new Uint32Array(n) : new Float64Array(n));
    const c: BlockChunk = {
      firstRow,
      count: 0,
      address: addresses(),
      userAddress: addresses(),
      size: sizes(),
      userSize: sizes(),
      state: new Uint8Array(n),
      kind: new Uint8Array(n),
      segment: this.segmentLimit === I16_MAX ? new Int16Array(n) : new Int32Array(n),
      container: new Int32Array(n),
      previousSize: new Uint32Array(n),
      flags: new Uint8Array(n),
      trace: undefined,
    };
    this.chunks.push(c);
    this.current = c;
    return c;
  }

  /** Makes a column pair (or the segment column) wide in every chunk so far and in the chunks to come. */
  private widen(which: "address" | "size" | "segment"): void {
    const toDoubles = (column: WideColumn) => (column instanceof Float64Array ? column : Float64Array.from(column));
    for (let i = 0; i < this.chunks.length; i++) {
      const c = this.chunks[i];
      if (which === "address") {
        c.address = toDoubles(c.address);
        c.userAddress = toDoubles(c.userAddress);
      } else if (which === "size") {
        c.size = toDoubles(c.size);
        c.userSize = toDoubles(c.userSize);
      } else if (c.segment instanceof Int16Array) {
        c.segment = Int32Array.from(c.segment);
      }
    }
    if (which === "address") this.addressLimit = Infinity;
    else if (which === "size") this.sizeLimit = Infinity;
    else this.segmentLimit = Infinity;
  }

  /** The chunk holding a row: the current one, else found by binary search (chunks may end short of CHUNK_ROWS). */
  private chunkOf(row: number): BlockChunk {
    if (row >= this.current.firstRow) return this.current;
    let low = 0;
    let high = this.chunks.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.chunks[middle].firstRow <= row) low = middle;
      else high = middle - 1;
    }
    return this.chunks[low];
  }
}

type Column = Float64Array | Uint32Array | Uint8Array | Int16Array | Int32Array;

/** The chunks' columns one after the other. */
function concat<T extends Column>(out: T, chunks: BlockChunk[], pick: (c: BlockChunk) => Column): T {
  let offset = 0;
  for (let i = 0; i < chunks.length; i++) {
    const column = pick(chunks[i]);
    const n = chunks[i].count;
    out.set(n === column.length ? column : column.subarray(0, n), offset);
    offset += n;
  }
  return out;
}

/** The trace columns of all chunks, 0 where a chunk has none. */
function concatOptional(out: Float64Array, chunks: BlockChunk[]): Float64Array {
  let offset = 0;
  for (let i = 0; i < chunks.length; i++) {
    const column = chunks[i].trace;
    const n = chunks[i].count;
    if (column) out.set(n === column.length ? column : column.subarray(0, n), offset);
    offset += n;
  }
  return out;
}

export interface UncommittedRange {
  address: number;
  size: number;
}

export interface SegmentRecord {
  /** The segment's header (NT: the _HEAP_SEGMENT; the _HEAP itself for segment 0). */
  address: number;
  baseAddress: number;
  /** The first block after the segment's own header. */
  firstEntry: number;
  /** End of the segment's reservation. */
  lastValidEntry: number;
  /** (lastValidEntry - baseAddress) - the uncommitted ranges. */
  committedBytes: number;
  reservedBytes: number;
  uncommittedRanges: UncommittedRange[];
}

/** Kinds of heap, decided by signature in one place (src/heap/classify.ts). */
export type HeapType = "NT" | "Segment" | "PageHeap" | "Unknown";

/**
 * Where the process names a heap (docs/heap-structures.md §1.1, §2.1). PageHeapRoot: found only
 * through a page heap's root (its DPH_HEAP_ROOT.NormalHeap, or ntdll!RtlpDphPageHeapList, §1.7).
 */
export type HeapListing = "ProcessHeap" | "PEB" | "DescriptorList" | "PageHeapRoot";

/** A heap as the process names it, before anything of it is read. */
export interface HeapEntry {
  address: number;
  listedIn: HeapListing[];
}

/** What the heap's header says it is. */
export interface HeapIdentity {
  type: HeapType;
  /** _HEAP.Flags (NT, and a page heap's handle) or _SEGMENT_HEAP.GlobalFlags (segment heap); 0 when unknown. */
  flags: number;
  /** Why the type is Unknown. */
  finding: Finding | undefined;
}

/** The numbers !heap -s prints that a walk cannot recount (NT: _HEAP_COUNTERS). */
export interface HeapCounters {
  lockContention: number;
  /** Reserved bytes minus this is "Virt" (NT: Counters.TotalMemoryLargeUCR). */
  largeUncommittedBytes: number;
  /** The front end, as !heap -s names it: "LFH" or "". */
  frontEnd: string;
}

/**
 * A segment heap's own counters, in bytes, for its !heap -s numbers (docs/heap-structures.md §3.1
 * "Segment heaps"); undefined where the symbols lack the field. MemStats counts the page segments
 * only; the Large blocks have their own counters.
 */
export interface SegmentHeapCounters {
  /** _SEGMENT_HEAP.MemStats.TotalReservedPages * 4 KiB. */
  reservedBytes: number | undefined;
  /** MemStats.TotalCommittedPages * 4 KiB. */
  committedBytes: number | undefined;
  /** MemStats.FreeCommittedPages * 4 KiB: committed free page ranges. */
  freeCommittedBytes: number | undefined;
  /** MemStats.LfhFreeCommittedPages * 4 KiB. */
  lfhFreeCommittedBytes: number | undefined;
  /** VsContext.TotalCommittedUnits * granularity. */
  vsCommittedBytes: number | undefined;
  /** VsContext.FreeCommittedUnits * granularity: the free VS chunks. */
  vsFreeCommittedBytes: number | undefined;
  /** _SEGMENT_HEAP.LargeReservedPages * 4 KiB. */
  largeReservedBytes: number | undefined;
  /** _SEGMENT_HEAP.LargeCommittedPages * 4 KiB. */
  largeCommittedBytes: number | undefined;
  /** Page segments per segment context (SegContexts[0], [1]), as walked. */
  segmentsPerContext: number[];
}

/** Everything one walk of a heap found. */
export interface HeapWalk {
  address: number;
  type: HeapType;
  flags: number;
  /** Block granularity in bytes; 0 when the heap could not be walked. */
  granularity: number;
  segments: SegmentRecord[];
  blocks: BlockTable;
  /** Blocks outside any segment (VirtualAlloc'd); they are also rows of `blocks`. */
  virtualBlockCount: number;
  counters: HeapCounters;
  /** Segment heaps only: their own counters (the walk's blocks give the rest). */
  segmentHeap?: SegmentHeapCounters;
  /**
   * The heap's bookkeeping outside its segments and blocks (segment heaps: the large-block tree's
   * nodes), which the leak scan must not take for the program's memory.
   */
  metadata?: { base: number; size: number }[];
  /** Page heaps only: the NormalHeap whose blocks hold its light blocks (listed as rows of both walks). */
  normalHeap?: number;
  findings: Finding[];
}

/** A walk with nothing in it yet: walkers fill it in; a heap that cannot be walked keeps it, with its finding. */
export function emptyHeapWalk(address: number, type: HeapType, flags: number, granularity: number): HeapWalk {
  return {
    address,
    type,
    flags,
    granularity,
    segments: [],
    blocks: new BlockTableBuilder().seal(),
    virtualBlockCount: 0,
    counters: { lockContention: 0, largeUncommittedBytes: 0, frontEnd: "" },
    findings: [],
  };
}
