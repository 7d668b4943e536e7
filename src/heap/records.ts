// The records every walker produces and every analysis reads. Blocks live in a columnar
// BlockTable (typed arrays, one row per block) so a heap of millions of blocks costs no
// object per block; the dx objects (src/model) are made from rows only when dx asks.
// Addresses are JS numbers: user-mode addresses are below 2^47 and so exact in a double
// (src/host/convert.ts turns them into host.Int64 at the boundary).

export type BlockState = "Busy" | "Free" | "Internal";
export type BlockKind = "Backend" | "LFH" | "VirtualAlloc";
export const BLOCK_STATES: readonly BlockState[] = ["Busy", "Free", "Internal"];
export const BLOCK_KINDS: readonly BlockKind[] = ["Backend", "LFH", "VirtualAlloc"];
export const STATE_BUSY = 0;
export const STATE_FREE = 1;
export const STATE_INTERNAL = 2;
export const KIND_BACKEND = 0;
export const KIND_LFH = 1;
export const KIND_VIRTUAL_ALLOC = 2;

/** One row per block. Columns grow by doubling; `count` rows are valid. */
export class BlockTable {
  count = 0;
  /** The HEAP_ENTRY as !heap prints it (VirtualAlloc: the BusyBlock header). */
  address: Float64Array;
  /** The UserPtr. */
  userAddress: Float64Array;
  /** Bytes, header included (LFH: the block stride; VirtualAlloc: CommitSize). */
  size: Float64Array;
  /** Bytes the user asked for; 0 for free blocks. */
  userSize: Float64Array;
  /** Bytes of the previous block (backend PreviousSize * granularity), 0 when not known. */
  previousSize: Float64Array;
  state: Uint8Array;
  kind: Uint8Array;
  /** The decoded _HEAP_ENTRY.Flags byte (LFH: 0x01 when busy). */
  flags: Uint8Array;
  /** Index into the heap's segments; -1 for VirtualAlloc blocks. */
  segment: Int32Array;
  /** LFH: the UserBlocks container holding the block; 0 otherwise. */
  container: Float64Array;

  constructor(capacity = 256) {
    this.address = new Float64Array(capacity);
    this.userAddress = new Float64Array(capacity);
    this.size = new Float64Array(capacity);
    this.userSize = new Float64Array(capacity);
    this.previousSize = new Float64Array(capacity);
    this.state = new Uint8Array(capacity);
    this.kind = new Uint8Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.segment = new Int32Array(capacity);
    this.container = new Float64Array(capacity);
  }

  push(row: BlockRow): number {
    if (this.count === this.address.length) this.grow();
    const i = this.count++;
    this.address[i] = row.address;
    this.userAddress[i] = row.userAddress;
    this.size[i] = row.size;
    this.userSize[i] = row.userSize;
    this.previousSize[i] = row.previousSize;
    this.state[i] = row.state;
    this.kind[i] = row.kind;
    this.flags[i] = row.flags;
    this.segment[i] = row.segment;
    this.container[i] = row.container;
    return i;
  }

  row(i: number): BlockRow {
    return {
      address: this.address[i],
      userAddress: this.userAddress[i],
      size: this.size[i],
      userSize: this.userSize[i],
      previousSize: this.previousSize[i],
      state: this.state[i],
      kind: this.kind[i],
      flags: this.flags[i],
      segment: this.segment[i],
      container: this.container[i],
    };
  }

  private grow(): void {
    const n = this.address.length * 2;
    const f64 = (a: Float64Array) => { const b = new Float64Array(n); b.set(a); return b; };
    this.address = f64(this.address);
    this.userAddress = f64(this.userAddress);
    this.size = f64(this.size);
    this.userSize = f64(this.userSize);
    this.previousSize = f64(this.previousSize);
    this.container = f64(this.container);
    const u8 = (a: Uint8Array) => { const b = new Uint8Array(n); b.set(a); return b; };
    this.state = u8(this.state);
    this.kind = u8(this.kind);
    this.flags = u8(this.flags);
    const s = new Int32Array(n);
    s.set(this.segment);
    this.segment = s;
  }
}

/** One block, as pushed into or read from a BlockTable. */
export interface BlockRow {
  address: number;
  userAddress: number;
  size: number;
  userSize: number;
  previousSize: number;
  state: number;
  kind: number;
  flags: number;
  segment: number;
  container: number;
}

export interface UncommittedRange {
  address: number;
  size: number;
}

export interface SegmentRecord {
  /** The _HEAP_SEGMENT (the _HEAP itself for segment 0). */
  address: number;
  baseAddress: number;
  firstEntry: number;
  lastValidEntry: number;
  /** (lastValidEntry - baseAddress) - the uncommitted ranges. */
  committedBytes: number;
  reservedBytes: number;
  uncommittedRanges: UncommittedRange[];
}

/** Something wrong found while walking: never thrown, always reported. */
export interface Finding {
  kind: "Corruption" | "Unreadable";
  /** The address the finding is about (the bad header, the unreadable page). */
  address: number;
  message: string;
}

export type HeapType = "NT" | "Segment";

/** A heap as enumeration finds it, before any walk. */
export interface HeapDescriptor {
  address: number;
  type: HeapType;
  /** _HEAP.Flags (NT) or _SEGMENT_HEAP.GlobalFlags (segment heap). */
  flags: number;
  /** Where the heap was found. */
  listedIn: ("PEB" | "DescriptorList")[];
}

/** Everything one walk of an NT heap found. */
export interface HeapWalk {
  heap: HeapDescriptor;
  granularity: number;
  segments: SegmentRecord[];
  blocks: BlockTable;
  /** Number of VirtualAlloc'd blocks (they are also rows of `blocks`). */
  virtualBlockCount: number;
  /** True when the LFH front end is active (FrontEndHeapType == 2). */
  lfh: boolean;
  /** _HEAP_COUNTERS values !heap -s prints that a walk cannot recount. */
  counters: { lockCollisions: number; totalMemoryLargeUCR: number };
  findings: Finding[];
}
