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
export type BlockState = "Busy" | "Free" | "Internal" | "Freed";
export type BlockKind = "Backend" | "LFH" | "VirtualAlloc" | "PageHeap" | SegmentHeapBlockKind;

// --- Allocation stacks and page heap (stack-traces.ts, page-heap.ts) -------------------------
/**
 * Why a busy (or Freed) block of an image with any tracing has no stack. Every such block has
 * exactly one of BlockTruth.stack and BlockTruth.noStack; images without tracing have neither.
 * - TraceDatabaseOff: the block's heap records no traces because +ust (NtGlobalFlag 0x1000) is
 *   off, e.g. the NT heaps of a +hpa-only image, a page heap's NormalHeap included (the light
 *   blocks' traces are on the page heap's own truth, from their DPH_BLOCK_INFORMATION).
 * - BeforeTracing: a block of a +ust heap allocated before tracing began: Windows 8+ a plain
 *   block, without the 0x40 extended header that carries the trace pointer; Windows 7 a block
 *   without HEAP_ENTRY_EXTRA_PRESENT (docs/heap-structures.md §2.7).
 * - VirtualAllocNoTrace: a VirtualAlloc'd block of a +ust heap on Windows 8+: the notes give
 *   big blocks no trace header (§2.7). Windows 7 ones carry theirs in ExtraStuff.
 * - TraceUnreadable: the block names a trace (pointer or index) whose _RTL_STACK_TRACE_ENTRY
 *   is not in the dump; nothing else about the block is unreadable.
 */
export type NoStackReason = "TraceDatabaseOff" | "BeforeTracing" | "VirtualAllocNoTrace" | "TraceUnreadable";

/** An allocation (or, for Freed page-heap blocks, the free) call stack, innermost frame first. */
export interface StackTruth {
  /** _RTL_STACK_TRACE_ENTRY.BackTrace[0 .. frame count). */
  frames: bigint[];
  /** How WinDbg names each frame: module!symbol+0xoffset, or module+0xoffset without symbols. */
  symbols: string[];
}
// --- end allocation stacks and page heap -------------------------------------------------------

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
  // --- Allocation stacks and page heap (stack-traces.ts, page-heap.ts) -----------------------
  // Kind "PageHeap" (a page heap's own truth, docs/heap-structures.md §1.7, §2.6):
  // - full-page block: address = DPH_HEAP_BLOCK.pVirtualBlock, size = nVirtualBlockSize (the
  //   trailing no-access page included), userAddress = pUserAllocation, userSize =
  //   nUserRequestedSize; dphHeapBlock = the DPH_HEAP_BLOCK node.
  // - light block (in the root's NormalHeap): address = the NormalHeap's HEAP_ENTRY, size = its
  //   Size*granularity, userAddress = after the DPH_BLOCK_INFORMATION that follows the entry
  //   (x64 entry+0x50, §6c.8), userSize = DPH_BLOCK_INFORMATION.RequestedSize; no dphHeapBlock.
  // - state Busy or Freed (delayed free: freed stamps; userSize stays the size it had).
  /** Full-page page-heap blocks only: the DPH_HEAP_BLOCK describing the block. */
  dphHeapBlock?: bigint;
  /** The block's trace, for images with tracing (see NoStackReason). */
  stack?: StackTruth;
  noStack?: NoStackReason;
  /** The class whose vftable symbol (Class::`vftable') the user data's first pointer equals exactly. */
  typeName?: string;
  // --- end allocation stacks and page heap ---------------------------------------------------
}

export interface SegmentTruth {
  /** The _HEAP_SEGMENT (the _HEAP itself for the first segment; segment heaps: see SegmentHeapBlockKind). */
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
  /** "PageHeap": a page-heap handle (docs/heap-structures.md §1.7, §2.1 item 2), see pageHeap. */
  type: "NT" | "Segment" | "PageHeap";
  /** _HEAP.Flags (NT) or _SEGMENT_HEAP.GlobalFlags (segment heap). */
  flags: number;
  granularity: number;
  /**
   * Where the heap is listed: PEB.ProcessHeap (the default heap), PEB.ProcessHeaps, the ntdll
   * process heap descriptor list; PageHeapRoot: only as a page heap's DPH_HEAP_ROOT.NormalHeap.
   */
  listedIn: ("ProcessHeap" | "PEB" | "DescriptorList" | "PageHeapRoot")[];
  segments: SegmentTruth[];
  /** Every block in address order within its segment; LFH blocks after their container. */
  blocks: BlockTruth[];
  lfh: boolean;
  /** WOW64 images (wow64.ts) only: the heap's side, x64 (listed in the 64-bit PEB) or x86 (the 32-bit PEB). */
  architecture?: Arch;
  // --- Segment heaps (segment-heap.ts) -------------------------------------------------------
  /** Type "Segment" only: the numbers of its !heap -s summary (§3.1 "Segment heaps"). */
  segmentHeap?: SegmentHeapSummaryTruth;
  // --- end segment heaps ---------------------------------------------------------------------
  /**
   * Type "PageHeap" only. The handle's page is DPH fill (0xEE) with _HEAP.Flags/ForceFlags
   * (0x01000000 set), no segment signature; the root is at handle+0x1000 (§1.7). Such a heap
   * has no segments; flags is _HEAP.Flags at the handle, granularity its NormalHeap's; blocks
   * are the full-page busy blocks (BusyNodesTable, in pUserAllocation order), the delayed-free
   * ones (pFreeAllocationListHead order), then the light ones (NormalHeap address order).
   */
  pageHeap?: { root: bigint; normalHeap: bigint };
}

// --- Segment heaps (segment-heap.ts, docs/heap-structures.md §1.9, §2.5) ----------------------
/**
 * The blocks of a segment heap ("LFH" is shared with the NT front end):
 * - VS chunk: address = its _HEAP_VS_CHUNK_HEADER, userAddress = address + sizeof(header), size =
 *   the chunk's bytes, userSize = the request (Busy) or 0 (Free).
 * - LFH block: address = userAddress = the block (it has no header), size = BlockSize, userSize =
 *   BlockSize minus its unused bytes (Busy) or 0 (Free).
 * - Large block: address = userAddress = the VirtualAddress, size = AllocatedPages * 4 KiB,
 *   userSize = size - UnusedBytes; always Busy.
 * - PageRange: address = userAddress = the range's first byte, size = its bytes. Busy: a backend
 *   allocation served straight from the segment, userSize = size - the descriptor's UnusedBytes.
 *   Free: a free range, committed or not (an uncommitted one is also in its segment's
 *   uncommittedRanges), userSize 0. Internal, userSize = size: a range holding a VS or LFH
 *   subsegment (its chunks or blocks come right after it), or the segment's own header (the units
 *   before FirstDescriptorIndex, first in each segment).
 * HeapTruth.blocks: context 0's segments in list order, then context 1's, each in address order;
 * the Large blocks last, in address order.
 * SegmentTruth of a page segment: address = baseAddress = its start, firstEntry = the first range
 * after the header, lastValidEntry = its end; uncommittedRanges = its free ranges whose descriptor
 * counts no committed page (all other ranges are committed).
 */
export type SegmentHeapBlockKind = "VS" | "LFH" | "Large" | "PageRange";

/**
 * _SEGMENT_HEAP.MemStats, the VS context's free units and the Large counters, in bytes, consistent
 * with the blocks. MemStats counts the page segments only: Large blocks have their own counters.
 */
export interface SegmentHeapSummaryTruth {
  /** MemStats.TotalReservedPages * 4 KiB: the page segments' bytes. */
  reservedBytes: number;
  /** MemStats.TotalCommittedPages * 4 KiB: their committed bytes. */
  committedBytes: number;
  /** MemStats.FreeCommittedPages * 4 KiB: the committed free page ranges. */
  freeCommittedBytes: number;
  /** MemStats.LfhFreeCommittedPages * 4 KiB: LFH subsegments without a busy block (none in the images). */
  lfhFreeCommittedBytes: number;
  /** VsContext.FreeCommittedUnits * granularity: the free VS chunks. */
  vsFreeCommittedBytes: number;
  /** _SEGMENT_HEAP.LargeReservedPages * 4 KiB. */
  largeReservedBytes: number;
  /** _SEGMENT_HEAP.LargeCommittedPages * 4 KiB: the Large blocks' sizes. */
  largeCommittedBytes: number;
}
// --- end segment heaps -------------------------------------------------------------------------
