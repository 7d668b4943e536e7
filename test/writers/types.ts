// Shared vocabulary of the test-image writers. Nothing here (or anywhere under test/writers)
// imports from src/: the writers follow ../shared/heap/heap-internals.md, not the extension.

export type Arch = "x86" | "x64";

/**
 * Layout facts for one (arch, build), looked up in the very ISF the image ships for ntdll,
 * so the writer and the Node host agree on offsets by construction of the data, not of code.
 */
export interface Layout {
  readonly arch: Arch;
  readonly build: number;
  readonly pointerSize: 4 | 8;
  /** sizeof(_HEAP_ENTRY): 8 on x86, 16 on x64. */
  readonly granularity: 8 | 16;
  /** Offset of a (possibly dotted) field path, e.g. off("_HEAP", "Counters.TotalMemoryReserved"). Throws if absent. */
  off(type: string, fieldPath: string): number;
  has(type: string, field: string): boolean;
  size(type: string): number;
  /** The ntdll ISF JSON this layout was read from (types plus symbols as RVAs). */
  readonly isf: any;
}

/** The target's address space as a writer builds it. Addresses are bigint; page size 0x1000. */
export interface AddressSpace {
  readonly arch: Arch;
  readonly pointerSize: 4 | 8;
  /** Reserves size bytes (rounded up to 64 KiB) at a fresh 64 KiB-aligned address; nothing committed. */
  reserve(size: number): bigint;
  /** Commits [addr, addr+size), page-aligned, zero-filled. Only committed pages reach the dump. */
  commit(addr: bigint, size: number): void;
  /** reserve + commit of the whole reservation. */
  allocate(size: number): bigint;
  /** Makes committed pages unreadable in the dump (left out of the memory list). */
  drop(addr: bigint, size: number): void;
  write(addr: bigint, bytes: Uint8Array): void;
  read(addr: bigint, length: number): Uint8Array;
  u8(addr: bigint, v: number): void;
  u16(addr: bigint, v: number): void;
  u32(addr: bigint, v: number): void;
  u64(addr: bigint, v: bigint): void;
  /** Pointer-sized write. */
  ptr(addr: bigint, v: bigint): void;
  readU32(addr: bigint): number;
  readPtr(addr: bigint): bigint;
}

/** What the writer placed: the truth the walker's output is compared with, field by field. */
export type BlockState = "Busy" | "Free" | "Internal";
export type BlockKind = "Backend" | "LFH" | "VirtualAlloc";

export interface BlockTruth {
  /** The HEAP_ENTRY, as !heap prints it (for VirtualAlloc blocks: the BusyBlock header). */
  address: bigint;
  /** The UserPtr. */
  userAddress: bigint;
  /** Bytes, header included (Size*granularity; BlockStride for LFH; CommitSize for VirtualAlloc). */
  size: number;
  /** Bytes requested by the user; 0 for free blocks. */
  userSize: number;
  state: BlockState;
  kind: BlockKind;
}

export interface SegmentTruth {
  /** The _HEAP_SEGMENT (the _HEAP itself for the first segment). */
  address: bigint;
  baseAddress: bigint;
  firstEntry: bigint;
  lastValidEntry: bigint;
  /** (lastValidEntry - baseAddress) minus the uncommitted ranges. */
  committedBytes: number;
  uncommittedRanges: { address: bigint; size: number }[];
}

export interface HeapTruth {
  address: bigint;
  type: "NT" | "Segment";
  /** _HEAP.Flags (NT) or _SEGMENT_HEAP.GlobalFlags (segment heap). */
  flags: number;
  granularity: number;
  /** Where the heap is listed: PEB.ProcessHeap (the default heap), PEB.ProcessHeaps, the ntdll process heap descriptor list. */
  listedIn: ("ProcessHeap" | "PEB" | "DescriptorList")[];
  segments: SegmentTruth[];
  /** Every block in address order within its segment; LFH blocks after their container. */
  blocks: BlockTruth[];
  lfh: boolean;
}
