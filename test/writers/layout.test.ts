// Offsets of the layouts against the tables of /work/shared/heap/heap-internals.md (§ below).
import { layoutFor, moduleIsf, NTDLL_FUNCTIONS, NTDLL_IMAGE, SUPPORTED_BUILDS, symbolRva, windowsRelease, type Isf, type IsfType } from "./layout";
import type { Arch } from "./types";

type Expected = Record<string, Record<string, number>>; // type -> field path (or "size") -> value

// §1.1 PEB/TEB, §1.3 _HEAP_SEGMENT, §1.4 _HEAP_ENTRY, §1.5: the same on every build of an architecture.
const X64_COMMON: Expected = {
  _PEB: { ProcessHeap: 0x30, NtGlobalFlag: 0xbc, NumberOfHeaps: 0xe8, MaximumNumberOfHeaps: 0xec, ProcessHeaps: 0xf0 },
  _TEB: { "NtTib.StackBase": 0x8, "NtTib.StackLimit": 0x10, ProcessEnvironmentBlock: 0x60 },
  _HEAP: { SegmentSignature: 0x10, SegmentListEntry: 0x18, FirstEntry: 0x40, LastValidEntry: 0x48, Flags: 0x70, EncodeFlagMask: 0x7c, Encoding: 0x80, "Encoding.Size": 0x88 },
  _HEAP_SEGMENT: { SegmentSignature: 0x10, SegmentListEntry: 0x18, BaseAddress: 0x30, FirstEntry: 0x40, LastValidEntry: 0x48, NumberOfUnCommittedRanges: 0x54, UCRSegmentList: 0x60, size: 0x70 },
  _HEAP_ENTRY: { Size: 0x8, Flags: 0xa, SmallTagIndex: 0xb, PreviousSize: 0xc, SegmentOffset: 0xe, UnusedBytes: 0xf, size: 0x10 },
  _HEAP_VIRTUAL_ALLOC_ENTRY: { Entry: 0, ExtraStuff: 0x10, CommitSize: 0x20, ReserveSize: 0x28, BusyBlock: 0x30, size: 0x40 },
  _HEAP_UCR_DESCRIPTOR: { ListEntry: 0, SegmentEntry: 0x10, Address: 0x20, Size: 0x28, size: 0x30 },
  _HEAP_FREE_ENTRY: { FreeList: 0x10, size: 0x20 },
  _HEAP_LIST_LOOKUP: { ArraySize: 0x8, ListHead: 0x20, ListHints: 0x30, size: 0x38 },
};

// §1.6 Windows 8+ x64 column.
const X64_WIN8_LFH: Expected = {
  _LFH_HEAP: { Heap: 0x18, Buckets: 0x2a4, SegmentInfoArrays: 0x4a8, AffinitizedInfoArrays: 0x8b0, SegmentAllocator: 0xcb8, LocalData: 0xcc0, size: 0xcf0 },
  _HEAP_BUCKET: { BlockUnits: 0, SizeIndex: 2, size: 4 },
  _HEAP_LOCAL_SEGMENT_INFO: { ActiveSubsegment: 0x8, CachedItems: 0x10, BucketIndex: 0xac, size: 0xc0 },
  _HEAP_SUBSEGMENT: { LocalInfo: 0, UserBlocks: 0x8, AggregateExchg: 0x20, "AggregateExchg.Depth": 0x20, BlockSize: 0x24, BlockCount: 0x28, SizeIndex: 0x2a, size: 0x40 },
  _HEAP_USERDATA_HEADER: {
    SubSegment: 0, Signature: 0x14, EncodedOffsets: 0x18, "EncodedOffsets.BlockStride": 0x1a,
    BusyBitmap: 0x20, "BusyBitmap.Buffer": 0x28, BitmapData: 0x30, size: 0x38,
  },
};

// §1.2 x64 17763-22000 _HEAP, §1.9 _SEGMENT_HEAP / _RTLP_HP_HEAP_GLOBALS.
const X64_WIN10_HEAP: Expected = {
  _HEAP: {
    Signature: 0x98, ProcessHeapsListIndex: 0xd0, UCRList: 0xf0, VirtualAllocdBlocks: 0x110, SegmentList: 0x120, BlocksIndex: 0x138,
    FreeLists: 0x150, CommitLimitData: 0x178, FrontEndHeap: 0x198, FrontEndHeapType: 0x1a2, Counters: 0x238,
    "Counters.TotalMemoryReserved": 0x238, "Counters.TotalSegments": 0x258, TuningParameters: 0x2b0, size: 0x2c0,
  },
  _SEGMENT_HEAP: { Signature: 0x10, GlobalFlags: 0x14, ProcessHeapListIndex: 0x1c },
  _RTLP_HP_HEAP_GLOBALS: { HeapKey: 0, LfhKey: 8 },
};

const EXPECTED: Record<Arch, Record<number, Expected[]>> = {
  x64: {
    7601: [
      X64_COMMON,
      {
        // §1.2 "Windows 7 SP1 x64"; §1.6 Win7 x64 _HEAP_SUBSEGMENT / _HEAP_USERDATA_HEADER.
        _HEAP: {
          PointerKey: 0x90, Signature: 0xa0, TotalFreeSize: 0xc8, ProcessHeapsListIndex: 0xd8, UCRList: 0xf8, VirtualAllocdBlocks: 0x118,
          SegmentList: 0x128, BlocksIndex: 0x140, FreeLists: 0x158, FrontEndHeap: 0x178, FrontEndHeapType: 0x182, Counters: 0x188,
          TuningParameters: 0x1f8, size: 0x208,
        },
        _HEAP_COUNTERS: { CompactHeapCalls: 0x48, InBlockDeccomitSize: 0x58, size: 0x70 },
        _HEAP_SUBSEGMENT: { UserBlocks: 0x8, AggregateExchg: 0x10, BlockSize: 0x18, BlockCount: 0x1c, SizeIndex: 0x1e, size: 0x30 },
        _HEAP_USERDATA_HEADER: { SubSegment: 0, SizeIndex: 0x10, Signature: 0x18, size: 0x20 },
      },
    ],
    9600: [
      X64_COMMON,
      X64_WIN8_LFH,
      { _HEAP: { VirtualAllocdBlocks: 0x110, SegmentList: 0x120, FrontEndHeap: 0x170, FrontEndHeapType: 0x17a, FrontEndHeapUsageData: 0x180, Counters: 0x210, size: 0x298 } },
    ],
    17763: [X64_COMMON, X64_WIN8_LFH, X64_WIN10_HEAP, { _SEGMENT_HEAP: { size: 0x800 }, _RTLP_HP_HEAP_GLOBALS: { size: 0x38 } }],
    19041: [X64_COMMON, X64_WIN8_LFH, X64_WIN10_HEAP, { _SEGMENT_HEAP: { size: 0x800 }, _RTLP_HP_HEAP_GLOBALS: { size: 0x38 } }],
    22000: [X64_COMMON, X64_WIN8_LFH, X64_WIN10_HEAP, { _SEGMENT_HEAP: { size: 0x840 }, _RTLP_HP_HEAP_GLOBALS: { size: 0x40 } }],
    26100: [
      X64_COMMON,
      X64_WIN8_LFH,
      {
        // §1.2 "Windows 11 24H2-era x64 _HEAP", §2.1 _RTLP_PROCESS_HEAP_DESCRIPTOR.
        _HEAP: {
          SegmentList: 0x120, VirtualAllocdBlocks: 0x110, CommitLimitData: 0x178, "CommitLimitData.CommitLimitFailureCode": 0x180,
          UserContext: 0x188, Spare: 0x190, FrontEndHeap: 0x198, FrontEndHeapType: 0x1a2, InternalFlags: 0x233, Counters: 0x238, size: 0x2c0,
        },
        _RTLP_HEAP_COMMIT_LIMIT_DATA: { size: 0x10 },
        _RTLP_PROCESS_HEAP_DESCRIPTOR: { DescriptorLink: 0, "DescriptorLink.Blink": 0x8, Heap: 0x10, Flags: 0x18, PseudoGlobalLock: 0x20 },
        _SEGMENT_HEAP: { Signature: 0x10, GlobalFlags: 0x14, size: 0x840 },
      },
    ],
  },
  x86: {
    19041: [
      {
        _PEB: { ProcessHeap: 0x18, NtGlobalFlag: 0x68, NumberOfHeaps: 0x88, MaximumNumberOfHeaps: 0x8c, ProcessHeaps: 0x90 },
        _TEB: { "NtTib.StackBase": 0x4, "NtTib.StackLimit": 0x8, ProcessEnvironmentBlock: 0x30 },
        // §1.2 Windows 10 x86 _HEAP.
        _HEAP: {
          SegmentSignature: 0x8, SegmentListEntry: 0x10, FirstEntry: 0x24, LastValidEntry: 0x28, UCRSegmentList: 0x38, Flags: 0x40,
          EncodeFlagMask: 0x4c, Encoding: 0x50, Signature: 0x60, TotalFreeSize: 0x74, ProcessHeapsListIndex: 0x7c, UCRList: 0x8c,
          VirtualAllocdBlocks: 0x9c, SegmentList: 0xa4, BlocksIndex: 0xb4, FreeLists: 0xc0, CommitLimitData: 0xd4, FrontEndHeap: 0xe4,
          FrontEndHeapType: 0xea, FrontEndHeapStatusBitmap: 0xf2, Counters: 0x1f4, "Counters.LockCollisions": 0x218, TuningParameters: 0x250, size: 0x258,
        },
        _HEAP_COUNTERS: { TotalSegments: 0x10, InBlockDeccomitSize: 0x50, LastPolledSize: 0x58, size: 0x5c },
        _HEAP_SEGMENT: { SegmentSignature: 0x8, SegmentListEntry: 0x10, FirstEntry: 0x24, LastValidEntry: 0x28, UCRSegmentList: 0x38, size: 0x40 },
        _HEAP_ENTRY: { Size: 0, Flags: 2, SmallTagIndex: 3, PreviousSize: 4, SegmentOffset: 6, UnusedBytes: 7, SubSegmentCode: 0, size: 8 },
        _HEAP_EXTENDED_ENTRY: { UnusedBytesLength: 4, ExtendedBlockSignature: 7, size: 8 },
        _HEAP_VIRTUAL_ALLOC_ENTRY: { CommitSize: 0x10, ReserveSize: 0x14, BusyBlock: 0x18, size: 0x20 },
        _HEAP_UCR_DESCRIPTOR: { SegmentEntry: 0x8, Address: 0x10, Size: 0x14, size: 0x18 },
        _HEAP_FREE_ENTRY: { FreeList: 0x8, size: 0x10 },
        _HEAP_LIST_LOOKUP: { ListHead: 0x18, ListHints: 0x20, size: 0x24 },
        // §1.6 x86 column.
        _LFH_HEAP: { Heap: 0xc, Buckets: 0x1bc, SegmentInfoArrays: 0x3c0, AffinitizedInfoArrays: 0x5c4, SegmentAllocator: 0x7c8, LocalData: 0x7d0, size: 0x7e8 },
        _HEAP_LOCAL_SEGMENT_INFO: { ActiveSubsegment: 0x4, CachedItems: 0x8, SListHeader: 0x48, NoThrashCount: 0x60, size: 0x68 },
        _HEAP_SUBSEGMENT: { UserBlocks: 0x4, AggregateExchg: 0x10, BlockSize: 0x14, BlockCount: 0x18, SFreeListEntry: 0x20, size: 0x28 },
        _HEAP_USERDATA_HEADER: { Signature: 0xc, EncodedOffsets: 0x10, BusyBitmap: 0x14, "BusyBitmap.Buffer": 0x18, BitmapData: 0x1c, size: 0x20 },
        // §1.9 x86.
        _SEGMENT_HEAP: { Signature: 0x8, GlobalFlags: 0xc, UserContext: 0x1c, size: 0x580 },
        _RTLP_HP_HEAP_GLOBALS: { HeapKey: 0, LfhKey: 4 },
      },
    ],
    7601: [
      {
        _PEB: { ProcessHeap: 0x18, NtGlobalFlag: 0x68, NumberOfHeaps: 0x88, MaximumNumberOfHeaps: 0x8c, ProcessHeaps: 0x90 },
        _TEB: { "NtTib.StackBase": 0x4, "NtTib.StackLimit": 0x8, ProcessEnvironmentBlock: 0x30 },
        // §1.2 Windows 7 x86 _HEAP.
        _HEAP: {
          SegmentSignature: 0x8, FirstEntry: 0x24, Flags: 0x40, ForceFlags: 0x44, EncodeFlagMask: 0x4c, Encoding: 0x50, PointerKey: 0x58,
          Interceptor: 0x5c, VirtualMemoryThreshold: 0x60, Signature: 0x64, TotalFreeSize: 0x78, ProcessHeapsListIndex: 0x80, UCRList: 0x90,
          VirtualAllocdBlocks: 0xa0, SegmentList: 0xa8, BlocksIndex: 0xb8, UCRIndex: 0xbc, FreeLists: 0xc4, LockVariable: 0xcc,
          CommitRoutine: 0xd0, FrontEndHeap: 0xd4, FrontHeapLockCount: 0xd8, FrontEndHeapType: 0xda, Counters: 0xdc, TuningParameters: 0x130, size: 0x138,
        },
        _HEAP_COUNTERS: { size: 0x54 },
        _HEAP_SEGMENT: { UCRSegmentList: 0x38, size: 0x40 },
        _HEAP_ENTRY: { Size: 0, SubSegmentCode: 0, UnusedBytes: 7, size: 8 },
        // §1.6 Windows 7 x86.
        _LFH_HEAP: { SubSegmentZones: 0x18, ZoneBlockSize: 0x20, Heap: 0x24, RunInfo: 0x48, UserBlockCache: 0x50, Buckets: 0x110, LocalData: 0x310, size: 0x3728 },
        _HEAP_LOCAL_DATA: { SegmentInfo: 0x18, size: 0x3418 },
        _HEAP_LOCAL_SEGMENT_INFO: { Hint: 0, ActiveSubsegment: 4, CachedItems: 8, SListHeader: 0x48, Counters: 0x50, LocalData: 0x58, LastOpSequence: 0x5c, BucketIndex: 0x60, LastUsed: 0x62, size: 0x68 },
        _HEAP_SUBSEGMENT: { AggregateExchg: 0x8, BlockSize: 0x10, BlockCount: 0x14, size: 0x20 },
        _HEAP_USERDATA_HEADER: { Signature: 0xc, size: 0x10 },
      },
    ],
  },
};

const builds = (["x64", "x86"] as const).flatMap((arch) => SUPPORTED_BUILDS[arch].map((build) => [arch, build] as const));

describe.each(builds)("%s %i layout", (arch, build) => {
  const layout = layoutFor(arch, build);
  const isf = layout.isf as Isf;

  test("offsets and sizes of the heap-internals tables", () => {
    for (const expected of EXPECTED[arch][build]) {
      for (const [type, fields] of Object.entries(expected)) {
        for (const [field, value] of Object.entries(fields)) {
          const actual = field === "size" ? layout.size(type) : layout.off(type, field);
          expect([type, field, actual]).toEqual([type, field, value]);
        }
      }
    }
  });

  test("pointer size, granularity and build metadata", () => {
    expect(layout.pointerSize).toBe(arch === "x64" ? 8 : 4);
    expect(layout.granularity).toBe(arch === "x64" ? 16 : 8);
    expect(isf.base_types.pointer.size).toBe(layout.pointerSize);
    expect(isf.metadata.windows.build).toBe(build);
    expect(isf.metadata.windows.version).toBe(windowsRelease(build).version.join("."));
  });

  test("data symbols are RVAs inside ntdll's data page, code symbols below it", () => {
    const expected = [
      "RtlpLFHKey",
      ...(build >= 17763 ? ["RtlpHpHeapGlobals"] : []),
      ...(build >= 26100 ? ["RtlpProcessHeaps"] : []),
      "RtlpStackTraceDataBase",
      "RtlpDphPageHeapList",
      "RtlpDphPageHeapListInitialized",
    ];
    expect(Object.keys(isf.symbols).sort()).toEqual([...expected, ...Object.keys(NTDLL_FUNCTIONS)].sort());
    for (const [name, { rva, size }] of Object.entries(NTDLL_FUNCTIONS)) {
      expect(isf.symbols[name]).toEqual({ address: rva });
      expect(rva).toBeGreaterThanOrEqual(0x1000);
      expect(rva + size).toBeLessThanOrEqual(NTDLL_IMAGE[arch].dataRva);
      // No other function starts inside this one, so a frame in it is named after it.
      expect(Object.values(NTDLL_FUNCTIONS).filter((f) => rva < f.rva && f.rva < rva + size)).toEqual([]);
    }
    for (const name of expected) {
      const rva = symbolRva(layout, name);
      expect(rva).toBeGreaterThanOrEqual(NTDLL_IMAGE[arch].dataRva);
      expect(rva + 0x40).toBeLessThanOrEqual(NTDLL_IMAGE[arch].dataRva + 0x1000);
    }
  });

  test("the ISF is self-contained and every field lies inside its type", () => {
    const sizeOf = (type: IsfType): number => {
      switch (type.kind) {
        case "base":
          return isf.base_types[type.name].size;
        case "pointer":
          return layout.pointerSize;
        case "struct":
        case "union":
          expect(isf.user_types).toHaveProperty([type.name]);
          return isf.user_types[type.name].size;
        case "enum":
          expect(isf.enums).toHaveProperty([type.name]);
          return isf.enums[type.name].size;
        case "array":
          return type.count * sizeOf(type.subtype);
        case "bitfield":
          return sizeOf(type.type);
        case "function":
          return 0;
      }
    };
    const targetsExist = (type: IsfType): void => {
      if (type.kind === "pointer") {
        const target = type.subtype;
        if (target.kind === "struct" || target.kind === "union") expect(isf.user_types).toHaveProperty([target.name]);
        else targetsExist(target);
      }
      if (type.kind === "array") targetsExist(type.subtype);
    };
    for (const [name, type] of Object.entries(isf.user_types)) {
      for (const [field, { offset, type: fieldType }] of Object.entries(type.fields)) {
        targetsExist(fieldType);
        const end = offset + sizeOf(fieldType);
        expect(end > type.size ? `${name}.${field} ends at 0x${end.toString(16)}` : "inside").toBe("inside");
      }
    }
    for (const symbol of Object.values(isf.symbols)) if (symbol.type) sizeOf(symbol.type);
  });
});

test("the x64 ISFs are small subsets of the real ones", () => {
  for (const build of SUPPORTED_BUILDS.x64) {
    expect(JSON.stringify(layoutFor("x64", build).isf).length).toBeLessThan(100_000);
  }
});

// --- Page heap and stack trace database types (docs/heap-structures.md §1.7, §1.8) -------------
describe.each(builds)("%s %i page heap and stack trace types", (arch, build) => {
  const layout = layoutFor(arch, build);
  const x64 = arch === "x64";
  const win7 = build === 7601;
  const expected: Expected = {
    _DPH_HEAP_ROOT: x64
      ? { Signature: 0, HeapFlags: 4, BusyNodesTable: 0x38, NodeToAllocate: 0xa0, nBusyAllocations: 0xa8, pFreeAllocationListHead: 0xb8, nFreeAllocations: 0xc8, pVirtualStorageListHead: 0x18, NextHeap: 0x138, NormalHeap: 0x150, CreateStackTrace: 0x158, size: 0x168 }
      : { Signature: 0, HeapFlags: 4, BusyNodesTable: 0x20, NodeToAllocate: 0x58, nBusyAllocations: 0x5c, pFreeAllocationListHead: 0x64, nFreeAllocations: 0x6c, pVirtualStorageListHead: 0x10, NextHeap: 0xa4, NormalHeap: 0xb4, CreateStackTrace: 0xb8, size: 0xc0 },
    _DPH_HEAP_BLOCK: x64
      ? { pNextAlloc: 0, TableLinks: 0, pUserAllocation: 0x20, pVirtualBlock: 0x28, nVirtualBlockSize: 0x30, nVirtualAccessSize: 0x38, nUserRequestedSize: 0x40, StackTrace: 0x60, pVirtualRegion: 0x78, size: 0x80 }
      : { pNextAlloc: 0, TableLinks: 0, pUserAllocation: 0x10, pVirtualBlock: 0x14, nVirtualBlockSize: 0x18, nVirtualAccessSize: 0x1c, nUserRequestedSize: 0x20, StackTrace: 0x30, pVirtualRegion: 0x3c, size: 0x40 },
    _DPH_BLOCK_INFORMATION: x64
      ? { StartStamp: 0, Heap: 8, RequestedSize: 0x10, ActualSize: 0x18, FreeQueue: 0x20, TraceIndex: 0x20, StackTrace: 0x30, Padding: 0x38, EndStamp: 0x3c, size: 0x40 }
      : { StartStamp: 0, Heap: 4, RequestedSize: 8, ActualSize: 0xc, FreeQueue: 0x10, TraceIndex: 0x10, StackTrace: 0x18, EndStamp: 0x1c, size: 0x20 },
    _RTL_STACK_TRACE_ENTRY: x64 ? { Index: 0xc, Depth: 0xe, BackTrace: 0x10, size: 0x110 } : { Index: 8, Depth: 0xa, BackTrace: 0xc, size: 0x8c },
    _STACK_TRACE_DATABASE: x64
      ? { CommitBase: 0x88, NumberOfEntriesAdded: 0xb4, EntryIndexArray: 0xb8, size: win7 ? 0x1e0 : 0x2f0 }
      : { CommitBase: 0x48, NumberOfEntriesAdded: 0x60, EntryIndexArray: 0x64, size: win7 ? 0x100 : 0x188 },
    // RTL_AVL_TABLE / RTL_BALANCED_LINKS as the WDK declares them; sizes as §1.7 gives them.
    _RTL_AVL_TABLE: x64 ? { "BalancedRoot.RightChild": 0x10, NumberGenericTableElements: 0x2c, DepthOfTree: 0x30, size: 0x68 } : { "BalancedRoot.RightChild": 8, NumberGenericTableElements: 0x18, DepthOfTree: 0x1c, size: 0x38 },
    _RTL_BALANCED_LINKS: x64 ? { Parent: 0, LeftChild: 8, RightChild: 0x10, Balance: 0x18, size: 0x20 } : { Parent: 0, LeftChild: 4, RightChild: 8, Balance: 0xc, size: 0x10 },
    _HEAP_ENTRY_EXTRA: x64 ? { AllocatorBackTraceIndex: 0, TagIndex: 2, Settable: 8, size: 0x10 } : { AllocatorBackTraceIndex: 0, TagIndex: 2, Settable: 4, size: 8 },
    _HEAP_VIRTUAL_ALLOC_ENTRY: { "ExtraStuff.AllocatorBackTraceIndex": x64 ? 0x10 : 8 },
  };
  test("offsets and sizes of §1.7, §1.8 (and §1.5 _HEAP_ENTRY_EXTRA)", () => {
    for (const [type, fields] of Object.entries(expected)) {
      for (const [field, value] of Object.entries(fields)) {
        const actual = field === "size" ? layout.size(type) : layout.off(type, field);
        expect([type, field, actual]).toEqual([type, field, value]);
      }
    }
  });
});

test("moduleIsf: a symbol file with the given symbols as RVAs and no types", () => {
  const isf = moduleIsf("x86", "widgets.pdb", { "Widget::`vftable'": 0x22000, CreateWidget: 0x1200 });
  expect(isf.metadata.windows.pdb).toEqual({ database: "widgets.pdb", machine_type: 0x14c });
  expect(isf.base_types.pointer.size).toBe(4);
  expect(isf.user_types).toEqual({});
  expect(isf.symbols).toEqual({ "Widget::`vftable'": { address: 0x22000 }, CreateWidget: { address: 0x1200 } });
});
// --- end page heap and stack trace database types
