// Every offset the segment-heap walk uses, resolved from ntdll's symbols the first time a segment
// heap is walked (a process without one never asks). Layout facts: docs/heap-structures.md §1.9
// (x64 and x86, Windows 10 1709 to 11 24H2); what the symbols cannot say (bit positions, constants)
// is written down here with its section. Byte offsets always come from the symbols.
import { TypeSource } from "../host/symbols";
import { requiredFields } from "./required";

export interface SegmentHeapLayout {
  pointerSize: 4 | 8;
  /** The VS unit and LFH alignment: sizeof(_HEAP_VS_CHUNK_HEADER)'s granularity, 16 on x64, 8 on x86 (§2.5 step 3). */
  granularity: number;
  /** Bytes of _SEGMENT_HEAP the walk reads: up to the last field it uses. */
  heapSpan: number;
  heap: {
    segContexts: number;
    largeAllocMetadata: number | undefined;
    largeReservedPages: number | undefined;
    largeCommittedPages: number | undefined;
    /** _SEGMENT_HEAP.MemStats fields (SIZE_T page counts, §1.9), each optional. */
    totalReservedPages: number | undefined;
    totalCommittedPages: number | undefined;
    freeCommittedPages: number | undefined;
    lfhFreeCommittedPages: number | undefined;
    /** _SEGMENT_HEAP.VsContext.{Total,Free}CommittedUnits (§1.9). */
    vsTotalCommittedUnits: number | undefined;
    vsFreeCommittedUnits: number | undefined;
  };
  segContext: { size: number; segmentMask: number; unitShift: number; firstDescriptorIndex: number; segmentListHead: number };
  pageSegment: {
    /** sizeof(_HEAP_PAGE_SEGMENT): the descriptor array the header lies over (§1.9). */
    size: number;
    listEntry: number;
    signature: number;
    /** DescArray entries: sizeof(_HEAP_PAGE_SEGMENT) / sizeof(_HEAP_PAGE_RANGE_DESCRIPTOR) (256). */
    descriptorCount: number;
  };
  descriptor: {
    size: number;
    rangeFlags: number;
    /** x86 keeps CommittedPageCount in RangeFlags' top 3 bits (§2.5 step 2): 0x1F there, 0xFF on x64. */
    rangeFlagsMask: number;
    /** UnitSize (the range's first descriptor) / UnitOffset (its others): one byte (§1.9). */
    unitSize: number;
    unusedBytes: number;
    /** 4 (builds 17763-22000, x86) or 2 (the newer x64 variant, UnusedBytes u16 at 0x06), §1.9. */
    unusedBytesWidth: 2 | 4;
    /** _HEAP_DESCRIPTOR_KEY's committed count (EncodedCommittedPageCount, or EncodedCommitCount in the newer variant), or undefined. */
    encodedCommittedPageCount: number | undefined;
    /** Its width: 16 bits, or 8 in the newer x64 variant's 2-byte key (§1.9). */
    encodedCommittedPageCountBits: 8 | 16;
    /** CommittedPageCount (x64 u8 at 0x19), or undefined. */
    committedPageCount: number | undefined;
  };
  vs: VsLayout | undefined;
  lfh: LfhLayout | undefined;
  large: LargeLayout | undefined;
  /** ntdll!RtlpHpHeapGlobals and its key fields, or undefined without the symbol. */
  globals: { address: number; heapKey: number; lfhKey: number } | undefined;
  /** _PEB.OSBuildNumber, the build the process reports, or undefined. */
  pebOsBuildNumber: number | undefined;
  /** Why segment heaps cannot be walked with these symbols (an essential field is missing), or undefined. */
  problem: string | undefined;
  /** Components that cannot be decoded (their subsegments are listed as containers only), one line each. */
  gaps: string[];
}

export interface VsLayout {
  /** _HEAP_VS_SUBSEGMENT.Size (u16) and Signature:15 (u16), §1.9. */
  size: number;
  signature: number;
  /** sizeof(_HEAP_VS_CHUNK_HEADER): 0x10 on x64, 8 on x86. */
  chunkHeaderSize: number;
  /** _HEAP_VS_CHUNK_HEADER.AllocatedChunkBits: +8 on x64, +4 on x86 (§1.9). */
  allocatedChunkBits: number;
  /** The first chunk: sizeof(_HEAP_VS_SUBSEGMENT) rounded up to a chunk header, +0x30 x64 / +0x18 x86 (§1.9, §6c.10). */
  firstChunk: number;
}

export interface LfhLayout {
  blockCount: number;
  blockOffsets: number;
  blockBitmap: number;
}

export interface LargeLayout {
  /** _RTL_RB_TREE.Root and .Min (bit 0 of Min = Encoded), §1.9 Appendix A. */
  root: number;
  min: number;
  /** _RTL_BALANCED_NODE.Left / Right. */
  left: number;
  right: number;
  /** sizeof(_HEAP_LARGE_ALLOC_DATA); TreeNode is at its start (§2.5 step 5). */
  nodeSize: number;
  treeNode: number;
  virtualAddress: number;
  /** The container of AllocatedPages (bits 12 and up, §1.9). */
  allocatedPages: number;
}

/**
 * The segment-heap layout of one ntdll. Never throws: a missing essential field sets `problem`
 * (the heap is reported Unsupported), a missing component field adds a line to `gaps`.
 */
export function resolveSegmentHeapLayout(types: TypeSource, pointerSize: 4 | 8): SegmentHeapLayout {
  const { missing, need, needSize } = requiredFields(types);
  const opt = (type: string, field: string) => types.fieldOffset(type, field);
  const H = "_SEGMENT_HEAP";
  const D = "_HEAP_PAGE_RANGE_DESCRIPTOR";

  const segContexts = need(H, "SegContexts");
  const segContext = {
    size: needSize("_HEAP_SEG_CONTEXT"),
    segmentMask: need("_HEAP_SEG_CONTEXT", "SegmentMask"),
    unitShift: need("_HEAP_SEG_CONTEXT", "UnitShift"),
    firstDescriptorIndex: need("_HEAP_SEG_CONTEXT", "FirstDescriptorIndex"),
    segmentListHead: need("_HEAP_SEG_CONTEXT", "SegmentListHead"),
  };
  const pageSegmentSize = needSize("_HEAP_PAGE_SEGMENT");
  const descriptorSize = needSize(D);
  const pageSegment = {
    size: pageSegmentSize,
    listEntry: need("_HEAP_PAGE_SEGMENT", "ListEntry"),
    signature: need("_HEAP_PAGE_SEGMENT", "Signature"),
    descriptorCount: descriptorSize > 0 ? Math.floor(pageSegmentSize / descriptorSize) : 0,
  };
  const rangeFlags = need(D, "RangeFlags");
  const unusedBytes = need(D, "UnusedBytes");
  // UnitSize shares its byte with UnitOffset (§1.9); some dumps name only one of them.
  const unitSize = opt(D, "UnitSize") !== undefined ? opt(D, "UnitSize")! : need(D, "UnitOffset");
  const key = opt(D, "Key");
  // The newer x64 variant's key is 2 bytes: EncodedCommitCount (u8) then PageCount (§1.9).
  const commitCount8 = opt("_HEAP_DESCRIPTOR_KEY", "EncodedCommitCount");
  const descriptor: SegmentHeapLayout["descriptor"] = {
    size: descriptorSize,
    rangeFlags,
    rangeFlagsMask: pointerSize === 4 ? 0x1f : 0xff,
    unitSize,
    unusedBytes,
    // A u32 UnusedBytes is 4-aligned (0x04); the newer x64 variant's u16 sits at 0x06 (§1.9).
    unusedBytesWidth: unusedBytes % 4 === 0 ? 4 : 2,
    // _HEAP_DESCRIPTOR_KEY: EncodedCommittedPageCount:16@0 on x64; on x86 the key's first byte is
    // RangeFlags ("Ignore:8@0") and the count is at bits 8..23 (§1.9).
    encodedCommittedPageCount: key === undefined ? undefined : commitCount8 !== undefined ? key + commitCount8 : key === rangeFlags ? key + 1 : key,
    encodedCommittedPageCountBits: commitCount8 !== undefined ? 8 : 16,
    committedPageCount: pointerSize === 8 ? opt(D, "CommittedPageCount") : undefined,
  };

  const gaps: string[] = [];
  const vs = resolveVs(types, gaps);
  const lfh = resolveLfh(types, gaps);
  const large = resolveLarge(types, gaps);
  const globalsAddress = types.symbolAddress("RtlpHpHeapGlobals");
  const globals = globalsAddress === undefined ? undefined : {
    address: globalsAddress,
    heapKey: opt("_RTLP_HP_HEAP_GLOBALS", "HeapKey") ?? 0,
    // MemProcFS reads the LFH key at +8 (x64) / +4 (x86) when the type is unknown (§2.5).
    lfhKey: opt("_RTLP_HP_HEAP_GLOBALS", "LfhKey") ?? pointerSize,
  };
  if (!globals) gaps.push("ntdll!RtlpHpHeapGlobals (the segment heap keys)");

  const heap: SegmentHeapLayout["heap"] = {
    segContexts,
    largeAllocMetadata: large ? opt(H, "LargeAllocMetadata") : undefined,
    largeReservedPages: opt(H, "LargeReservedPages"),
    largeCommittedPages: opt(H, "LargeCommittedPages"),
    totalReservedPages: opt(H, "MemStats.TotalReservedPages"),
    totalCommittedPages: opt(H, "MemStats.TotalCommittedPages"),
    freeCommittedPages: opt(H, "MemStats.FreeCommittedPages"),
    lfhFreeCommittedPages: opt(H, "MemStats.LfhFreeCommittedPages"),
    vsTotalCommittedUnits: opt(H, "VsContext.TotalCommittedUnits"),
    vsFreeCommittedUnits: opt(H, "VsContext.FreeCommittedUnits"),
  };
  if (large && heap.largeAllocMetadata === undefined) gaps.push(`${H}.LargeAllocMetadata (large blocks)`);
  let heapSpan = segContexts + 2 * segContext.size;
  const fields = [heap.largeAllocMetadata, heap.largeReservedPages, heap.largeCommittedPages, heap.totalReservedPages, heap.totalCommittedPages,
    heap.freeCommittedPages, heap.lfhFreeCommittedPages, heap.vsTotalCommittedUnits, heap.vsFreeCommittedUnits];
  for (let i = 0; i < fields.length; i++) {
    const at = fields[i];
    if (at !== undefined) heapSpan = Math.max(heapSpan, at + 2 * pointerSize);
  }
  if (pageSegment.descriptorCount < 2 && missing.length === 0) missing.push(`a _HEAP_PAGE_SEGMENT of descriptors (${pageSegmentSize}/${descriptorSize})`);

  return {
    pointerSize,
    granularity: 2 * pointerSize,
    heapSpan,
    heap,
    segContext,
    pageSegment,
    descriptor,
    vs,
    lfh,
    large: heap.largeAllocMetadata === undefined ? undefined : large,
    globals,
    pebOsBuildNumber: types.fieldOffset("_PEB", "OSBuildNumber"),
    problem: missing.length === 0 ? undefined
      : `ntdll symbols do not describe ${missing.join(", ")}: dxheap cannot walk segment heaps (check .sympath and run .reload /f ntdll.dll)`,
    gaps,
  };
}

function resolveVs(types: TypeSource, gaps: string[]): VsLayout | undefined {
  const S = "_HEAP_VS_SUBSEGMENT";
  const C = "_HEAP_VS_CHUNK_HEADER";
  const subsegmentSize = types.typeSize(S);
  const chunkHeaderSize = types.typeSize(C);
  const size = types.fieldOffset(S, "Size");
  const signature = types.fieldOffset(S, "Signature");
  if (!subsegmentSize || !chunkHeaderSize || size === undefined || signature === undefined) {
    gaps.push(`${S}/${C} (VS chunks)`);
    return undefined;
  }
  return {
    size,
    signature,
    chunkHeaderSize,
    allocatedChunkBits: types.fieldOffset(C, "AllocatedChunkBits") ?? chunkHeaderSize / 2,
    firstChunk: Math.ceil(subsegmentSize / chunkHeaderSize) * chunkHeaderSize,
  };
}

function resolveLfh(types: TypeSource, gaps: string[]): LfhLayout | undefined {
  const S = "_HEAP_LFH_SUBSEGMENT";
  const blockCount = types.fieldOffset(S, "BlockCount");
  const blockOffsets = types.fieldOffset(S, "BlockOffsets");
  const blockBitmap = types.fieldOffset(S, "BlockBitmap");
  if (blockCount === undefined || blockOffsets === undefined || blockBitmap === undefined) {
    gaps.push(`${S} (segment LFH blocks)`);
    return undefined;
  }
  return { blockCount, blockOffsets, blockBitmap };
}

function resolveLarge(types: TypeSource, gaps: string[]): LargeLayout | undefined {
  const A = "_HEAP_LARGE_ALLOC_DATA";
  const root = types.fieldOffset("_RTL_RB_TREE", "Root");
  const min = types.fieldOffset("_RTL_RB_TREE", "Min");
  const left = types.fieldOffset("_RTL_BALANCED_NODE", "Left") ?? types.fieldOffset("_RTL_BALANCED_NODE", "Children");
  const right = types.fieldOffset("_RTL_BALANCED_NODE", "Right");
  const nodeSize = types.typeSize(A);
  const virtualAddress = types.fieldOffset(A, "VirtualAddress");
  const allocatedPages = types.fieldOffset(A, "AllocatedPages");
  if (root === undefined || min === undefined || left === undefined || right === undefined || !nodeSize || virtualAddress === undefined || allocatedPages === undefined) {
    gaps.push(`${A}/_RTL_RB_TREE (large blocks)`);
    return undefined;
  }
  return { root, min, left, right, nodeSize, treeNode: types.fieldOffset(A, "TreeNode") ?? 0, virtualAddress, allocatedPages };
}
