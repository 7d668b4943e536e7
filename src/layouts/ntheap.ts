// Every offset the NT heap walk uses, resolved once from ntdll's symbols. The walker reads
// these numbers and nothing else: no offset is written down where a symbol can answer.
// Structure facts: docs/heap-structures.md §1.1-§1.6 (x86 and x64, Windows 7-11).
import { TypeSource } from "../host/symbols";
import { namedMissing, requiredFields } from "./required";

export interface EntryLayout {
  /** sizeof(_HEAP_ENTRY): the block granularity (8 on x86, 16 on x64). */
  granularity: number;
  /** Offset of the 8 encoded bytes (Size..UnusedBytes): 0 on x86, 8 on x64 (§1.4). */
  core: number;
  size: number;
  flags: number;
  smallTagIndex: number;
  previousSize: number;
  unusedBytes: number;
  /** _HEAP_EXTENDED_ENTRY.UnusedBytesLength (the same slot as PreviousSize, §1.4). */
  unusedBytesLength: number;
  /** LFH blocks (Windows 8+): the encoded offset of the block in its UserBlocks (§2.4). */
  subSegmentCode: number | undefined;
}

export interface LfhLayout {
  /** "win8": EncodedOffsets + busy bitmap (Windows 8-11); "win7": contiguous blocks (§2.4). */
  scheme: "win8" | "win7";
  userDataHeaderSize: number;
  userDataSubSegment: number;
  userDataSignature: number;
  encodedOffsets: number;
  busyBitmapSize: number;
  busyBitmapBuffer: number;
  subSegmentUserBlocks: number;
  subSegmentBlockSize: number;
  subSegmentBlockCount: number;
}

export interface NtHeapLayout {
  pointerSize: 4 | 8;
  entry: EntryLayout;
  peb: { processHeap: number; numberOfHeaps: number; maximumNumberOfHeaps: number; processHeaps: number };
  /**
   * _TEB: the stack bounds, for scanning thread stacks; Self, to check a TEB; its PEB; and the
   * WOW64 links (docs/heap-structures.md §1.1): WowTebOffset (Windows 10+, a LONG) and, before
   * it, NtTib.ExceptionList of a TEB64 holding its TEB32.
   */
  teb: { stackBase: number; stackLimit: number; self: number; peb: number; exceptionList: number; wowTebOffset: number | undefined; tlsSlots: number | undefined };
  heap: {
    segmentSignature: number;
    signature: number;
    flags: number;
    encodeFlagMask: number;
    encoding: number;
    segmentList: number;
    virtualAllocdBlocks: number;
    frontEndHeap: number;
    frontEndHeapType: number;
    lockCollisions: number | undefined;
    totalMemoryLargeUCR: number | undefined;
    /** Counters and limits the walk cross-checks against (undefined where a build lacks them). */
    virtualMemoryThreshold: number | undefined;
    totalFreeSize: number | undefined;
    freeLists: number | undefined;
    totalSizeInVirtualBlocks: number | undefined;
    totalSegments: number | undefined;
    totalUCRs: number | undefined;
  };
  /** _HEAP_FREE_ENTRY.FreeList: the link of a free block on _HEAP.FreeLists. */
  freeEntryList: number | undefined;
  /**
   * Where Windows 7 records a block's allocation stack (§2.7): the AllocatorBackTraceIndex of the
   * _HEAP_ENTRY_EXTRA in a block's last granule, or in a VirtualAlloc'd block's ExtraStuff.
   */
  extraBackTraceIndex: number | undefined;
  virtualAllocExtraStuff: number | undefined;
  /** _PEB.NtGlobalFlag: 0x1000 is +ust, 0x02000000 +hpa (§1.1). */
  ntGlobalFlag: number | undefined;
  segment: {
    segmentListEntry: number;
    baseAddress: number;
    firstEntry: number;
    lastValidEntry: number;
    numberOfUnCommittedRanges: number;
    ucrSegmentList: number;
  };
  ucr: { segmentEntry: number; address: number; size: number };
  virtualAlloc: { size: number; entry: number; commitSize: number; reserveSize: number | undefined; busyBlock: number };
  /** undefined when ntdll has no NT LFH types (then LFH blocks are not decoded, with a finding). */
  lfh: LfhLayout | undefined;
  lfhKeyAddress: number | undefined;
  /** _SEGMENT_HEAP (Windows 10+), for telling segment heaps from NT heaps. */
  segmentHeap: { signature: number; globalFlags: number } | undefined;
  /** ntdll's process heap descriptor list (Windows 11 24H2+, §2.1). */
  heapDescriptors: { listHead: number; link: number; heap: number } | undefined;
}

export class MissingSymbolsError extends Error {
  constructor(missing: string[]) {
    const named = namedMissing(missing);
    super(`ntdll's symbols do not describe ${named}: dxheap needs ntdll's types (check .sympath, then .reload /f ntdll.dll)`);
  }
}

/** Reads the layout from symbols; throws MissingSymbolsError naming every essential field that is absent. */
export function resolveNtHeapLayout(types: TypeSource): NtHeapLayout {
  const { missing, need, needSize } = requiredFields(types);
  const granularity = needSize("_HEAP_ENTRY");
  const entrySize = need("_HEAP_ENTRY", "Size");
  const previousSize = need("_HEAP_ENTRY", "PreviousSize");
  const layout: NtHeapLayout = {
    // A _HEAP_ENTRY is two pointers wide on every build (§1.4).
    pointerSize: granularity === 8 ? 4 : 8,
    entry: {
      granularity,
      core: entrySize,
      size: entrySize,
      flags: need("_HEAP_ENTRY", "Flags"),
      smallTagIndex: need("_HEAP_ENTRY", "SmallTagIndex"),
      previousSize,
      unusedBytes: need("_HEAP_ENTRY", "UnusedBytes"),
      unusedBytesLength: types.fieldOffset("_HEAP_ENTRY", "UnusedBytesLength") ?? previousSize,
      subSegmentCode: types.fieldOffset("_HEAP_ENTRY", "SubSegmentCode"),
    },
    peb: {
      processHeap: need("_PEB", "ProcessHeap"),
      numberOfHeaps: need("_PEB", "NumberOfHeaps"),
      maximumNumberOfHeaps: need("_PEB", "MaximumNumberOfHeaps"),
      processHeaps: need("_PEB", "ProcessHeaps"),
    },
    teb: {
      stackBase: need("_TEB", "NtTib.StackBase"),
      stackLimit: need("_TEB", "NtTib.StackLimit"),
      self: need("_TEB", "NtTib.Self"),
      peb: need("_TEB", "ProcessEnvironmentBlock"),
      exceptionList: need("_TEB", "NtTib.ExceptionList"),
      wowTebOffset: types.fieldOffset("_TEB", "WowTebOffset"),
      tlsSlots: types.fieldOffset("_TEB", "TlsSlots"),
    },
    heap: {
      segmentSignature: need("_HEAP", "SegmentSignature"),
      signature: need("_HEAP", "Signature"),
      flags: need("_HEAP", "Flags"),
      encodeFlagMask: need("_HEAP", "EncodeFlagMask"),
      encoding: need("_HEAP", "Encoding"),
      segmentList: need("_HEAP", "SegmentList"),
      virtualAllocdBlocks: need("_HEAP", "VirtualAllocdBlocks"),
      frontEndHeap: need("_HEAP", "FrontEndHeap"),
      frontEndHeapType: need("_HEAP", "FrontEndHeapType"),
      lockCollisions: types.fieldOffset("_HEAP", "Counters.LockCollisions"),
      totalMemoryLargeUCR: types.fieldOffset("_HEAP", "Counters.TotalMemoryLargeUCR"),
      virtualMemoryThreshold: types.fieldOffset("_HEAP", "VirtualMemoryThreshold"),
      totalFreeSize: types.fieldOffset("_HEAP", "TotalFreeSize"),
      freeLists: types.fieldOffset("_HEAP", "FreeLists"),
      totalSizeInVirtualBlocks: types.fieldOffset("_HEAP", "Counters.TotalSizeInVirtualBlocks"),
      totalSegments: types.fieldOffset("_HEAP", "Counters.TotalSegments"),
      totalUCRs: types.fieldOffset("_HEAP", "Counters.TotalUCRs"),
    },
    freeEntryList: types.fieldOffset("_HEAP_FREE_ENTRY", "FreeList"),
    extraBackTraceIndex: types.fieldOffset("_HEAP_ENTRY_EXTRA", "AllocatorBackTraceIndex"),
    virtualAllocExtraStuff: types.fieldOffset("_HEAP_VIRTUAL_ALLOC_ENTRY", "ExtraStuff"),
    ntGlobalFlag: types.fieldOffset("_PEB", "NtGlobalFlag"),
    segment: {
      segmentListEntry: need("_HEAP_SEGMENT", "SegmentListEntry"),
      baseAddress: need("_HEAP_SEGMENT", "BaseAddress"),
      firstEntry: need("_HEAP_SEGMENT", "FirstEntry"),
      lastValidEntry: need("_HEAP_SEGMENT", "LastValidEntry"),
      numberOfUnCommittedRanges: need("_HEAP_SEGMENT", "NumberOfUnCommittedRanges"),
      ucrSegmentList: need("_HEAP_SEGMENT", "UCRSegmentList"),
    },
    ucr: {
      segmentEntry: need("_HEAP_UCR_DESCRIPTOR", "SegmentEntry"),
      address: need("_HEAP_UCR_DESCRIPTOR", "Address"),
      size: need("_HEAP_UCR_DESCRIPTOR", "Size"),
    },
    virtualAlloc: {
      size: needSize("_HEAP_VIRTUAL_ALLOC_ENTRY"),
      entry: need("_HEAP_VIRTUAL_ALLOC_ENTRY", "Entry"),
      commitSize: need("_HEAP_VIRTUAL_ALLOC_ENTRY", "CommitSize"),
      reserveSize: types.fieldOffset("_HEAP_VIRTUAL_ALLOC_ENTRY", "ReserveSize"),
      busyBlock: need("_HEAP_VIRTUAL_ALLOC_ENTRY", "BusyBlock"),
    },
    lfh: resolveLfhLayout(types),
    lfhKeyAddress: types.symbolAddress("RtlpLFHKey"),
    segmentHeap: resolveSegmentHeap(types),
    heapDescriptors: resolveHeapDescriptors(types),
  };
  if (missing.length > 0) throw new MissingSymbolsError(missing);
  return layout;
}

/** The NT LFH front end is described only by ntdll's own PDB (§1.6); any gap disables LFH decoding. */
function resolveLfhLayout(types: TypeSource): LfhLayout | undefined {
  const header = "_HEAP_USERDATA_HEADER";
  const sub = "_HEAP_SUBSEGMENT";
  const userDataHeaderSize = types.typeSize(header);
  const userDataSubSegment = types.fieldOffset(header, "SubSegment");
  const userDataSignature = types.fieldOffset(header, "Signature");
  const subSegmentUserBlocks = types.fieldOffset(sub, "UserBlocks");
  const subSegmentBlockSize = types.fieldOffset(sub, "BlockSize");
  const subSegmentBlockCount = types.fieldOffset(sub, "BlockCount");
  if (
    userDataHeaderSize === undefined || userDataSubSegment === undefined || userDataSignature === undefined ||
    subSegmentUserBlocks === undefined || subSegmentBlockSize === undefined || subSegmentBlockCount === undefined
  ) {
    return undefined;
  }
  const encodedOffsets = types.fieldOffset(header, "EncodedOffsets");
  const busyBitmapSize = types.fieldOffset(header, "BusyBitmap.SizeOfBitMap");
  const busyBitmapBuffer = types.fieldOffset(header, "BusyBitmap.Buffer");
  const win8 = encodedOffsets !== undefined && busyBitmapSize !== undefined && busyBitmapBuffer !== undefined;
  return {
    scheme: win8 ? "win8" : "win7",
    userDataHeaderSize,
    userDataSubSegment,
    userDataSignature,
    encodedOffsets: encodedOffsets ?? 0,
    busyBitmapSize: busyBitmapSize ?? 0,
    busyBitmapBuffer: busyBitmapBuffer ?? 0,
    subSegmentUserBlocks,
    subSegmentBlockSize,
    subSegmentBlockCount,
  };
}

function resolveSegmentHeap(types: TypeSource): NtHeapLayout["segmentHeap"] {
  const signature = types.fieldOffset("_SEGMENT_HEAP", "Signature");
  const globalFlags = types.fieldOffset("_SEGMENT_HEAP", "GlobalFlags");
  return signature === undefined || globalFlags === undefined ? undefined : { signature, globalFlags };
}

function resolveHeapDescriptors(types: TypeSource): NtHeapLayout["heapDescriptors"] {
  const listHead = types.symbolAddress("RtlpProcessHeaps");
  const link = types.fieldOffset("_RTLP_PROCESS_HEAP_DESCRIPTOR", "DescriptorLink");
  const heap = types.fieldOffset("_RTLP_PROCESS_HEAP_DESCRIPTOR", "Heap");
  return listHead === undefined || link === undefined || heap === undefined ? undefined : { listHead, link, heap };
}
