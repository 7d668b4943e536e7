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
  /** Busy blocks of the leak and triage images (leaks.ts): whether the scan of LeakTruth reaches it. */
  reachable?: boolean;
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

// --- Leak scan and triage (leaks.ts) -----------------------------------------------------------
/**
 * What the leak and triage images are built to, the leak scan's semantics (docs/heap-structures.md
 * §3.6, !heap -l's reading made exact):
 * - Roots: each thread's stack from its stack pointer (from StackLimit when the dump holds no
 *   CONTEXT for it) up to StackBase; each thread's registers; each module's writable sections,
 *   found from its PE headers in memory; each thread's TLS (TEB.ThreadLocalStoragePointer, the
 *   vector it points to and each module's TLS data there, both allocated from the process heap as
 *   ReactOS' LdrpAllocateTls does); and every other committed page that is neither a module's
 *   image, a thread's stack, a heap segment nor a VirtualAlloc'd or Large block (the TEBs and
 *   PEB, a buffer the program VirtualAlloc'd, heap metadata kept outside segments).
 * - A reference is a pointer-sized, pointer-aligned value, in a root or in the user data of a
 *   marked block, that lies in a busy block's user range [userAddress, userAddress + userSize):
 *   interior pointers count, to the last byte, also where x64 user data runs into the next block's
 *   header (§2.2, PreviousBlockPrivateData); a pointer to the block's HEAP_ENTRY or one past its
 *   user data does not (LeakTruth.nearMisses).
 * - The busy blocks references point into are marked; marks propagate through marked blocks' user
 *   data; the busy blocks left unmarked are unreachable.
 * - Not roots: a stack below its stack pointer, read-only module sections (.rdata), free blocks,
 *   and the rest of a heap segment (headers, internal blocks, bytes after user data).
 * Every pointer into user data that the images hold in a root, in user data, in a free block, a
 * dead stack or a read-only section is in LeakTruth.references, with two exceptions that change no
 * block's reachability: in the rest of a heap's own memory an encoded value (a header, an LFH code) may
 * happen to read as one, and a segment heap's own large-block records (§2.5 step 5), kept outside
 * its segments, point into its Large blocks, which the images also reference from a root.
 */
export interface LeakTruth {
  /** User addresses of the busy blocks the scan does not reach, in address order. */
  unreachable: bigint[];
  /** Every planted pointer into a busy block's user range. */
  references: ReferenceTruth[];
  /** Pointers just outside a busy block's user range, which mark nothing. */
  nearMisses: { location: bigint; value: bigint; block: bigint; what: "HeapEntry" | "PastUserData" }[];
  /** The planted cases by name (see leaks.ts LEAK_CASES): the user addresses of their blocks, in order. */
  cases: Record<string, bigint[]>;
  process: ProcessRootsTruth;
}

/**
 * Where a reference is. thread: the index in the dump's thread list (WinDbg's thread number).
 * stack: live when at or above the stack pointer (or anywhere without a CONTEXT). module: the
 * section's name; symbol when the module's symbol file names the global (module!global).
 * tls: in the thread's TLS data of module, or without module TEB.ThreadLocalStoragePointer
 * itself. block: in the user data of the block whose user address is block (free: a free block,
 * never scanned).
 */
export type ReferenceHolder =
  | { kind: "stack"; thread: number; live: boolean }
  | { kind: "register"; thread: number; register: string }
  | { kind: "module"; module: string; section: string; symbol?: string }
  | { kind: "tls"; thread: number; module?: string }
  | { kind: "private" }
  | { kind: "block"; block: bigint; free: boolean };

export interface ReferenceTruth {
  /** Where the pointer is; absent for a register. */
  location?: bigint;
  value: bigint;
  /** The user address of the busy block it points into. */
  target: bigint;
  holder: ReferenceHolder;
  /** A root per the semantics above: live stack, register, writable section, TLS, private memory. */
  root: boolean;
}

/** What the process's roots are made of, as planted. */
export interface ProcessRootsTruth {
  threads: {
    id: number;
    teb: bigint;
    stackBase: bigint;
    stackLimit: bigint;
    /** Absent: the dump holds no CONTEXT for the thread. */
    stackPointer?: bigint;
    registers?: Record<string, bigint>;
    /** TEB.ThreadLocalStoragePointer and each TLS module's block (by module name). */
    tls?: { vector: bigint; blocks: Record<string, bigint> };
  }[];
  modules: {
    name: string;
    base: bigint;
    size: number;
    /** From the section table in the image's header page. */
    sections: { name: string; rva: number; size: number; characteristics: number }[];
    /** The IMAGE_TLS_DIRECTORY, the module's _tls_index (holding index) and its template [start, end). */
    tls?: { index: number; directory: bigint; indexAddress: bigint; template: { start: bigint; end: bigint } };
  }[];
  /** Committed private memory the program owns, in no heap. */
  privateBuffers: { address: bigint; size: number }[];
}

/**
 * A planted leak as a triage ranks it: the busy blocks sharing an allocation stack (or none), a
 * type and a requested size, which no other block shares. A naive ranking by bytes (and by count
 * and unreachable bytes, unless the image says otherwise) puts it first.
 */
export interface SuspectTruth {
  stack?: StackTruth;
  typeName?: string;
  userSize: number;
  kind: BlockKind;
  count: number;
  /** count * userSize. */
  bytes: number;
  /** User addresses, in address order. */
  blocks: bigint[];
  /** How many of them the scan does not reach. */
  unreachable: number;
  /** The giant's only reference: where it is and how WinDbg names that place (module!global). */
  referrer?: { location: bigint; symbol: string };
}

/** smallBlocks (a), giant (b), lfhBucket (c), the sample's segment heap leak. */
export type SuspectName = "smallBlocks" | "giant" | "lfhBucket" | "segmentHeap";

export interface TriageTruth {
  /** +ust: busy blocks carry their allocation stacks (else the "enable stacks" path). */
  stacks: boolean;
  suspects: Partial<Record<SuspectName, SuspectTruth>>;
}

/** How much one allocation stack (none: the blocks without one) grew between two snapshots. */
export interface GrowthTruth {
  stack?: StackTruth;
  count: number;
  bytes: number;
}
// --- end leak scan and triage --------------------------------------------------------------------
