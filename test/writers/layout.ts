// The ntdll symbol tables (volatility3 ISF) the test images ship, and the Layout the writers read
// from them. Facts come from /work/shared/heap/heap-internals.md ("§" below) with its source tags;
// x64 types are subsets of the real kernel-PDB ISFs in test/fixtures/layouts ([JPCERT-<build>]),
// which match ntdll's copies for the same build (§5). DERIVED = computed from a related layout
// with x86 sizes, not read from a PDB; UNVERIFIED = inference or a single weak source.
import * as fs from "fs";
import * as path from "path";
import type { Arch, Layout } from "./types";

// ---------------------------------------------------------------------------------------------
// ISF vocabulary (§4.1: anonymous unions are flattened into the parent's fields).

export type IsfType =
  | { kind: "base"; name: string }
  | { kind: "pointer"; subtype: IsfType }
  | { kind: "struct" | "union" | "enum"; name: string }
  | { kind: "array"; count: number; subtype: IsfType }
  | { kind: "bitfield"; bit_position: number; bit_length: number; type: IsfType }
  | { kind: "function" };

interface IsfField {
  offset: number;
  type: IsfType;
}

interface IsfUserType {
  kind: "struct" | "union";
  size: number;
  fields: Record<string, IsfField>;
}

interface IsfSymbol {
  /** RVA from ntdll's base. */
  address: number;
  /** Absent on code symbols (public symbols carry no type). */
  type?: IsfType;
}

export interface Isf {
  metadata: any;
  base_types: Record<string, { endian: "little"; kind: string; signed: boolean; size: number }>;
  user_types: Record<string, IsfUserType>;
  enums: Record<string, any>;
  symbols: Record<string, IsfSymbol>;
}

// ---------------------------------------------------------------------------------------------
// Windows releases the images model. Versions of the x64 ones are those of the fixture ISFs
// (test/fixtures/layouts/README.md); 26100 is synthetic (no public ISF of 24H2 exists, §4.1).

interface WindowsRelease {
  version: [number, number, number, number];
  csdVersion: string;
}

const RELEASES: Record<number, WindowsRelease> = {
  7601: { version: [6, 1, 7601, 24540], csdVersion: "Service Pack 1" },
  9600: { version: [6, 3, 9600, 19913], csdVersion: "" },
  17763: { version: [10, 0, 17763, 379], csdVersion: "" },
  19041: { version: [10, 0, 19041, 3324], csdVersion: "" },
  22000: { version: [10, 0, 22000, 2538], csdVersion: "" },
  26100: { version: [10, 0, 26100, 1742], csdVersion: "" },
};

/** The builds layoutFor knows, per architecture. */
export const SUPPORTED_BUILDS: Record<Arch, readonly number[]> = {
  x64: [7601, 9600, 17763, 19041, 22000, 26100],
  x86: [7601, 19041],
};

export function windowsRelease(build: number): WindowsRelease {
  const release = RELEASES[build];
  if (!release) throw new Error(`no Windows release known for build ${build}`);
  return release;
}

// ---------------------------------------------------------------------------------------------
// The synthetic ntdll image: where its globals live. These RVAs are ours, not Windows facts;
// they only have to agree between the ISF symbols and the image (test/writers/process.ts).

export const NTDLL_IMAGE: Record<Arch, { size: number; dataRva: number }> = {
  x64: { size: 0x1f8000, dataRva: 0x16b000 },
  x86: { size: 0x1a0000, dataRva: 0x133000 },
};

const SYMBOL_OFFSETS_IN_DATA = {
  RtlpHpHeapGlobals: 0x100,
  RtlpLFHKey: 0x1c8,
  RtlpProcessHeaps: 0x200,
  // Page heap and stack trace database (page-heap.ts, stack-traces.ts).
  RtlpStackTraceDataBase: 0x220,
  RtlpDphPageHeapList: 0x230,
  RtlpDphPageHeapListInitialized: 0x240,
};

/** RVA of an ntdll global in this layout's ISF; throws if the build has no such symbol. */
export function symbolRva(layout: Layout, name: string): number {
  const symbol = (layout.isf as Isf).symbols[name];
  if (!symbol) throw new Error(`ntdll ${layout.arch} ${layout.build} has no symbol ${name}`);
  return symbol.address;
}

// ---------------------------------------------------------------------------------------------
// Table vocabulary: a field type as a function of the architecture, so that one table row can
// describe both the x64 and the x86 column of a §1.6 table.

type TypeOf = (arch: Arch) => IsfType;

const base = (name: string): IsfType => ({ kind: "base", name });
const UCHAR: TypeOf = () => base("unsigned char");
const USHORT: TypeOf = () => base("unsigned short");
const ULONG: TypeOf = () => base("unsigned long");
const ULONGLONG: TypeOf = () => base("unsigned long long");
const LONGLONG: TypeOf = () => base("long long");
const WCHAR: TypeOf = () => base("wchar");
/** SIZE_T / ULONG_PTR: 8 bytes on x64, 4 on x86. */
const SIZE_T: TypeOf = (arch) => base(arch === "x64" ? "unsigned long long" : "unsigned long");
const PVOID: TypeOf = () => ({ kind: "pointer", subtype: base("void") });
const FUNCTION_POINTER: TypeOf = () => ({ kind: "pointer", subtype: { kind: "function" } });
const embed = (struct: string): TypeOf => () => ({ kind: "struct", name: struct });
const pointerTo = (target: TypeOf): TypeOf => (arch) => ({ kind: "pointer", subtype: target(arch) });
const ptrTo = (struct: string): TypeOf => pointerTo(embed(struct));
const arrayOf = (count: number, element: TypeOf): TypeOf => (arch) => ({ kind: "array", count, subtype: element(arch) });
const bitsOf = (position: number, length: number, container: TypeOf): TypeOf => (arch) => ({
  kind: "bitfield",
  bit_position: position,
  bit_length: length,
  type: container(arch),
});
/** A member whose inner layout no table gives: only its size is known. */
const opaqueBytes = (size: { x64: number; x86: number } | number): TypeOf => (arch) =>
  arrayOf(typeof size === "number" ? size : size[arch], UCHAR)(arch);

type Row = [field: string, offset: number, type: TypeOf];
interface Table {
  name: string;
  size: number;
  rows: Row[];
}

/** A §1.6-style table with an x64 and an x86 column. */
type DualRow = [field: string, x64: number, x86: number, type: TypeOf];
interface DualTable {
  name: string;
  size: { x64: number; x86: number };
  rows: DualRow[];
}

function column(table: DualTable, arch: Arch): Table {
  const rows = table.rows.map(([field, x64, x86, type]): Row => [field, arch === "x64" ? x64 : x86, type]);
  return { name: table.name, size: table.size[arch], rows };
}

function defineType(table: Table, arch: Arch): IsfUserType {
  const fields: Record<string, IsfField> = {};
  for (const [field, offset, type] of table.rows) {
    if (fields[field]) throw new Error(`${table.name}.${field} defined twice`);
    if (offset >= table.size) throw new Error(`${table.name}.${field} at ${offset} is outside the type`);
    fields[field] = { offset, type: type(arch) };
  }
  return { kind: "struct", size: table.size, fields };
}

// ---------------------------------------------------------------------------------------------
// NT LFH front end, Windows 8 through 11 (ntdll only, absent from the kernel ISF): §1.6.

// x64 0xCF0 [NTDIFF id 7842498633]; x86 0x7E8 [NTDIFF Win10_1903_19H1/x86/.../_LFH_HEAP.h].
const LFH_HEAP: DualTable = {
  name: "_LFH_HEAP",
  size: { x64: 0xcf0, x86: 0x7e8 },
  rows: [
    ["Lock", 0x00, 0x00, SIZE_T], // an SRWLOCK: one pointer-sized word
    ["SubSegmentZones", 0x08, 0x04, embed("_LIST_ENTRY")],
    ["Heap", 0x18, 0x0c, ptrTo("_HEAP")],
    ["NextSegmentInfoArrayAddress", 0x20, 0x10, PVOID],
    ["FirstUncommittedAddress", 0x28, 0x14, PVOID],
    ["ReservedAddressLimit", 0x30, 0x18, PVOID],
    ["SegmentCreate", 0x38, 0x1c, ULONG],
    ["SegmentDelete", 0x3c, 0x20, ULONG],
    ["MinimumCacheDepth", 0x40, 0x24, ULONG],
    ["CacheShiftThreshold", 0x44, 0x28, ULONG],
    ["SizeInCache", 0x48, 0x2c, SIZE_T],
    ["RunInfo", 0x50, 0x30, opaqueBytes(8)], // 8 bytes: the gap to UserBlockCache (x86)
    ["UserBlockCache", 0x60, 0x38, opaqueBytes({ x64: 12 * 0x30, x86: 12 * 0x20 })], // [12], 0x30 / 0x20 each
    ["MemoryPolicies", 0x2a0, 0x1b8, ULONG],
    ["Buckets", 0x2a4, 0x1bc, arrayOf(129, embed("_HEAP_BUCKET"))],
    ["SegmentInfoArrays", 0x4a8, 0x3c0, arrayOf(129, ptrTo("_HEAP_LOCAL_SEGMENT_INFO"))],
    ["AffinitizedInfoArrays", 0x8b0, 0x5c4, arrayOf(129, ptrTo("_HEAP_LOCAL_SEGMENT_INFO"))],
    ["SegmentAllocator", 0xcb8, 0x7c8, ptrTo("_SEGMENT_HEAP")],
    ["LocalData", 0xcc0, 0x7d0, opaqueBytes({ x64: 0x30, x86: 0x18 })], // _HEAP_LOCAL_DATA[1]
  ],
};

// 4 bytes on both architectures, §1.6.
const HEAP_BUCKET: DualTable = {
  name: "_HEAP_BUCKET",
  size: { x64: 4, x86: 4 },
  rows: [
    ["BlockUnits", 0, 0, USHORT],
    ["SizeIndex", 2, 2, UCHAR],
    ["Flags", 3, 3, UCHAR],
    ["UseAffinity", 3, 3, bitsOf(0, 1, UCHAR)],
    ["DebugFlags", 3, 3, bitsOf(1, 2, UCHAR)],
  ],
};

// x64 0xC0 [NTDIFF Win10_1903_19H1/x64/.../_HEAP_LOCAL_SEGMENT_INFO.h]; x86 0x68 [NTDIFF id 8689010652].
const HEAP_LOCAL_SEGMENT_INFO: DualTable = {
  name: "_HEAP_LOCAL_SEGMENT_INFO",
  size: { x64: 0xc0, x86: 0x68 },
  rows: [
    ["LocalData", 0x00, 0x00, PVOID], // _HEAP_LOCAL_DATA*
    ["ActiveSubsegment", 0x08, 0x04, ptrTo("_HEAP_SUBSEGMENT")],
    ["CachedItems", 0x10, 0x08, arrayOf(16, ptrTo("_HEAP_SUBSEGMENT"))],
    ["SListHeader", 0x90, 0x48, embed("_SLIST_HEADER")],
    ["Counters", 0xa0, 0x50, embed("_HEAP_BUCKET_COUNTERS")],
    ["LastOpSequence", 0xa8, 0x58, ULONG],
    ["BucketIndex", 0xac, 0x5c, USHORT],
    ["LastUsed", 0xae, 0x5e, USHORT],
    ["NoThrashCount", 0xb0, 0x60, USHORT],
  ],
};

// The "Counters (TotalBlocks, SubSegmentCounts)" member of §1.6: two ULONGs (8 bytes between
// Counters and LastOpSequence on both architectures). Type name UNVERIFIED.
const HEAP_BUCKET_COUNTERS: DualTable = {
  name: "_HEAP_BUCKET_COUNTERS",
  size: { x64: 8, x86: 8 },
  rows: [
    ["TotalBlocks", 0, 0, ULONG],
    ["SubSegmentCounts", 4, 4, ULONG],
  ],
};

// x64 0x40 [NTDIFF id 8033323157], [DECOMP ids 65713159395, 65190902940]; x86 0x28 [NTDIFF id 7879606733].
const HEAP_SUBSEGMENT: DualTable = {
  name: "_HEAP_SUBSEGMENT",
  size: { x64: 0x40, x86: 0x28 },
  rows: [
    ["LocalInfo", 0x00, 0x00, ptrTo("_HEAP_LOCAL_SEGMENT_INFO")],
    ["UserBlocks", 0x08, 0x04, ptrTo("_HEAP_USERDATA_HEADER")],
    ["DelayFreeList", 0x10, 0x08, embed("_SLIST_HEADER")],
    ["AggregateExchg", 0x20, 0x10, embed("_INTERLOCK_SEQ")],
    ["BlockSize", 0x24, 0x14, USHORT], // granules
    ["Flags", 0x26, 0x16, USHORT],
    ["BlockCount", 0x28, 0x18, USHORT],
    ["SizeIndex", 0x2a, 0x1a, UCHAR],
    ["AffinityIndex", 0x2b, 0x1b, UCHAR],
    ["Lock", 0x2c, 0x1c, ULONG],
    ["SFreeListEntry", 0x30, 0x20, embed("_SINGLE_LIST_ENTRY")],
  ],
};

// Windows 8+ _INTERLOCK_SEQ, 4 bytes: Depth u16, Hint:15/Lock:1 (§1.6 _HEAP_SUBSEGMENT table).
// The Exchg view of the whole dword is DERIVED from the Windows 7 type ([JPCERT-7601]).
const INTERLOCK_SEQ: DualTable = {
  name: "_INTERLOCK_SEQ",
  size: { x64: 4, x86: 4 },
  rows: [
    ["Depth", 0, 0, USHORT],
    ["Hint", 2, 2, bitsOf(0, 15, USHORT)],
    ["Lock", 2, 2, bitsOf(15, 1, USHORT)],
    ["Exchg", 0, 0, ULONG],
  ],
};

// x64 0x38 [NTDIFF Win10_1903_19H1/x64/.../_HEAP_USERDATA_HEADER.h], [DECOMP id 65713159395];
// x86 0x20 [NTDIFF id 7847399322].
const HEAP_USERDATA_HEADER: DualTable = {
  name: "_HEAP_USERDATA_HEADER",
  size: { x64: 0x38, x86: 0x20 },
  rows: [
    ["SFreeListEntry", 0x00, 0x00, embed("_SINGLE_LIST_ENTRY")],
    ["SubSegment", 0x00, 0x00, ptrTo("_HEAP_SUBSEGMENT")],
    ["Reserved", 0x08, 0x04, PVOID],
    ["SizeIndexAndPadding", 0x10, 0x08, ULONG],
    ["SizeIndex", 0x10, 0x08, UCHAR],
    ["GuardPagePresent", 0x11, 0x09, UCHAR],
    ["PaddingBytes", 0x12, 0x0a, USHORT],
    ["Signature", 0x14, 0x0c, ULONG], // 0xF0E0D0C0
    ["EncodedOffsets", 0x18, 0x10, embed("_HEAP_USERDATA_OFFSETS")],
    // RTL_BITMAP_EX (SizeOfBitMap u64, Buffer) on x64; RTL_BITMAP (SizeOfBitMap u32, Buffer) on x86.
    ["BusyBitmap", 0x20, 0x14, (arch) => embed(arch === "x64" ? "_RTL_BITMAP_EX" : "_RTL_BITMAP")(arch)],
    ["BitmapData", 0x30, 0x1c, arrayOf(1, SIZE_T)], // u64[] on x64, u32[] on x86
  ],
};

// 4 bytes, §1.6: FirstAllocationOffset u16 @0, BlockStride u16 @2, StrideAndOffset u32 @0.
const HEAP_USERDATA_OFFSETS: DualTable = {
  name: "_HEAP_USERDATA_OFFSETS",
  size: { x64: 4, x86: 4 },
  rows: [
    ["FirstAllocationOffset", 0, 0, USHORT],
    ["BlockStride", 2, 2, USHORT],
    ["StrideAndOffset", 0, 0, ULONG],
  ],
};

const WIN8_LFH_TABLES = [
  LFH_HEAP,
  HEAP_BUCKET,
  HEAP_LOCAL_SEGMENT_INFO,
  HEAP_BUCKET_COUNTERS,
  HEAP_SUBSEGMENT,
  INTERLOCK_SEQ,
  HEAP_USERDATA_HEADER,
  HEAP_USERDATA_OFFSETS,
];

// ---------------------------------------------------------------------------------------------
// Windows 11 24H2-era x64 changes (synthetic build 26100): §1.2 and §2.1.

// §1.2 "Windows 11 24H2-era x64 _HEAP" [PDBDUMP id 56121209889]: CommitLimitData is now
// _RTLP_HEAP_COMMIT_LIMIT_DATA (0x10) at 0x178, UserContext at 0x188, Spare at 0x190, the
// {ReadOnly:1 | InternalFlags} union at 0x233; everything else as in 22000.
const HEAP_24H2_CHANGES: Row[] = [
  ["CommitLimitData", 0x178, embed("_RTLP_HEAP_COMMIT_LIMIT_DATA")],
  ["UserContext", 0x188, PVOID],
  ["Spare", 0x190, PVOID],
  ["ReadOnly", 0x233, bitsOf(0, 1, UCHAR)],
  ["InternalFlags", 0x233, UCHAR],
];

const RTLP_HEAP_COMMIT_LIMIT_DATA: Table = {
  name: "_RTLP_HEAP_COMMIT_LIMIT_DATA", // §1.2 [PDBDUMP id 56121209889]
  size: 0x10,
  rows: [
    ["CommitLimitBytes", 0x0, ULONGLONG],
    ["CommitLimitFailureCode", 0x8, ULONGLONG],
  ],
};

// §2.1 [NTOSKRNLIB RtlpProcessHeapDescriptor] (x64 offsets). The Flags and PseudoGlobalLock
// types and the size (0x28: end of a pointer-sized lock) are UNVERIFIED.
const RTLP_PROCESS_HEAP_DESCRIPTOR: Table = {
  name: "_RTLP_PROCESS_HEAP_DESCRIPTOR",
  size: 0x28,
  rows: [
    ["DescriptorLink", 0x00, embed("_LIST_ENTRY")],
    ["Heap", 0x10, PVOID],
    ["Flags", 0x18, ULONG],
    ["PseudoGlobalLock", 0x20, PVOID],
  ],
};

// ---------------------------------------------------------------------------------------------
// x86 types, from the tables (the kernel ISF has no x86 layouts, §4.1).

// Pointer-size rule applied to the x64 ISF shapes: DERIVED.
const X86_LIST_ENTRY: Table = {
  name: "_LIST_ENTRY",
  size: 8,
  rows: [
    ["Flink", 0, ptrTo("_LIST_ENTRY")],
    ["Blink", 4, ptrTo("_LIST_ENTRY")],
  ],
};
const X86_SINGLE_LIST_ENTRY: Table = { name: "_SINGLE_LIST_ENTRY", size: 4, rows: [["Next", 0, ptrTo("_SINGLE_LIST_ENTRY")]] };
// 8 bytes on x86: _HEAP_SUBSEGMENT.DelayFreeList spans 0x08..0x10 (§1.6). DERIVED.
const X86_SLIST_HEADER: Table = { name: "_SLIST_HEADER", size: 8, rows: [["Alignment", 0, ULONGLONG]] };

// [JPCERT-19041 _NT_TIB32] (0x1c), with the ULONGs typed as pointers again.
const X86_NT_TIB: Table = {
  name: "_NT_TIB",
  size: 0x1c,
  rows: [
    ["ExceptionList", 0x00, PVOID],
    ["StackBase", 0x04, PVOID],
    ["StackLimit", 0x08, PVOID],
    ["SubSystemTib", 0x0c, PVOID],
    ["FiberData", 0x10, PVOID],
    ["Version", 0x10, ULONG],
    ["ArbitraryUserPointer", 0x14, PVOID],
    ["Self", 0x18, ptrTo("_NT_TIB")],
  ],
};

// _TEB32: NtTib at 0, ProcessEnvironmentBlock at 0x30 (§1.1); sizes [JPCERT-7601/19041 _TEB32].
// WowTebOffset (a LONG) where the build has it: 0xfdc in [JPCERT-19041 _TEB32], absent in 7601's.
const x86Teb = (size: number, wowTebOffset?: number): Table => ({
  name: "_TEB",
  size,
  rows: [
    ["NtTib", 0x00, embed("_NT_TIB")],
    // The leak scan's TLS roots (test/writers/leaks.ts): the same 0x2c in [JPCERT-7601/19041 _TEB32].
    ["ThreadLocalStoragePointer", 0x2c, PVOID],
    ["ProcessEnvironmentBlock", 0x30, ptrTo("_PEB")],
    ...(wowTebOffset === undefined ? [] : [["WowTebOffset", wowTebOffset, () => base("long")] satisfies Row]),
  ],
});

// §1.1 x86 column (the same on every build scanned); sizes [JPCERT-7601/19041 _PEB32].
const x86Peb = (size: number): Table => ({
  name: "_PEB",
  size,
  rows: [
    ["ProcessHeap", 0x18, PVOID],
    ["NtGlobalFlag", 0x68, ULONG],
    ["HeapSegmentReserve", 0x78, SIZE_T],
    ["NumberOfHeaps", 0x88, ULONG],
    ["MaximumNumberOfHeaps", 0x8c, ULONG],
    ["ProcessHeaps", 0x90, pointerTo(PVOID)],
  ],
});

// §1.3 x86 column [NTDIFF id 8228449482]; identical on Windows 7 [MEMPROCFS _HEAP_SEGMENT32].
// _HEAP begins with the same members.
const X86_SEGMENT_ROWS: Row[] = [
  ["Entry", 0x00, embed("_HEAP_ENTRY")],
  ["SegmentSignature", 0x08, ULONG], // 0xFFEEFFEE
  ["SegmentFlags", 0x0c, ULONG],
  ["SegmentListEntry", 0x10, embed("_LIST_ENTRY")],
  ["Heap", 0x18, ptrTo("_HEAP")],
  ["BaseAddress", 0x1c, PVOID],
  ["NumberOfPages", 0x20, ULONG],
  ["FirstEntry", 0x24, ptrTo("_HEAP_ENTRY")],
  ["LastValidEntry", 0x28, ptrTo("_HEAP_ENTRY")],
  ["NumberOfUnCommittedPages", 0x2c, ULONG],
  ["NumberOfUnCommittedRanges", 0x30, ULONG],
  ["SegmentAllocatorBackTraceIndex", 0x34, USHORT],
  ["Reserved", 0x36, USHORT],
  ["UCRSegmentList", 0x38, embed("_LIST_ENTRY")],
];
const X86_HEAP_SEGMENT: Table = { name: "_HEAP_SEGMENT", size: 0x40, rows: X86_SEGMENT_ROWS };

// §1.4 x86 column [NTDIFF id 8228449482]: the 8-byte core at +0.
const X86_ENTRY_CORE_ROWS: Row[] = [
  ["Size", 0, USHORT], // granules
  ["FunctionIndex", 0, USHORT],
  ["InterceptorValue", 0, ULONG],
  ["Code1", 0, ULONG],
  ["AgregateCode", 0, ULONGLONG],
  ["Flags", 2, UCHAR],
  ["ContextValue", 2, USHORT],
  ["SmallTagIndex", 3, UCHAR], // checksum
  ["PreviousSize", 4, USHORT],
  ["UnusedBytesLength", 4, USHORT],
  ["Code2", 4, USHORT],
  ["SegmentOffset", 6, UCHAR],
  ["LFHFlags", 6, UCHAR],
  ["EntryOffset", 6, UCHAR],
  ["Code3", 6, UCHAR],
  ["UnusedBytes", 7, UCHAR],
  ["ExtendedBlockSignature", 7, UCHAR],
  ["Code4", 7, UCHAR],
];
// Windows 10: SubSegmentCode is a ULONG, and the unpacked/extended views exist (§1.4).
const WIN10_X86_ENTRY_ROWS: Row[] = [
  ...X86_ENTRY_CORE_ROWS,
  ["SubSegmentCode", 0, ULONG],
  ["Code234", 4, ULONG],
  ["UnpackedEntry", 0, embed("_HEAP_UNPACKED_ENTRY")],
  ["ExtendedEntry", 0, embed("_HEAP_EXTENDED_ENTRY")],
];
// Windows 7: SubSegmentCode is a void* at 0 (§1.4, keyreaper nt_heap.h citing Vergilius, and
// [NTDIFF WinXP_SP3/x86/.../_HEAP_ENTRY.h]); the other views as in [JPCERT-7601] x64 (DERIVED).
const WIN7_X86_ENTRY_ROWS: Row[] = [...X86_ENTRY_CORE_ROWS, ["SubSegmentCode", 0, PVOID]];

const X86_HEAP_UNPACKED_ENTRY: Table = {
  name: "_HEAP_UNPACKED_ENTRY", // §1.4: _HEAP_ENTRY minus the extended/code views
  size: 8,
  rows: [
    ["Size", 0, USHORT],
    ["SubSegmentCode", 0, ULONG],
    ["Flags", 2, UCHAR],
    ["SmallTagIndex", 3, UCHAR],
    ["PreviousSize", 4, USHORT],
    ["SegmentOffset", 6, UCHAR],
    ["LFHFlags", 6, UCHAR],
    ["UnusedBytes", 7, UCHAR],
  ],
};
const X86_HEAP_EXTENDED_ENTRY: Table = {
  name: "_HEAP_EXTENDED_ENTRY", // §1.4 x86 column
  size: 8,
  rows: [
    ["FunctionIndex", 0, USHORT],
    ["InterceptorValue", 0, ULONG],
    ["ContextValue", 2, USHORT],
    ["UnusedBytesLength", 4, USHORT],
    ["EntryOffset", 6, UCHAR],
    ["ExtendedBlockSignature", 7, UCHAR],
  ],
};

// §1.5 x86 column, DERIVED; CommitSize/ReserveSize/BusyBlock confirmed by [MEMPROCFS].
const X86_HEAP_VIRTUAL_ALLOC_ENTRY: Table = {
  name: "_HEAP_VIRTUAL_ALLOC_ENTRY",
  size: 0x20,
  rows: [
    ["Entry", 0x00, embed("_LIST_ENTRY")],
    ["ExtraStuff", 0x08, embed("_HEAP_ENTRY_EXTRA")],
    ["CommitSize", 0x10, SIZE_T],
    ["ReserveSize", 0x14, SIZE_T],
    ["BusyBlock", 0x18, embed("_HEAP_ENTRY")],
  ],
};
const X86_HEAP_UCR_DESCRIPTOR: Table = {
  name: "_HEAP_UCR_DESCRIPTOR", // §1.5, DERIVED
  size: 0x18,
  rows: [
    ["ListEntry", 0x00, embed("_LIST_ENTRY")],
    ["SegmentEntry", 0x08, embed("_LIST_ENTRY")],
    ["Address", 0x10, PVOID],
    ["Size", 0x14, SIZE_T],
  ],
};
const X86_HEAP_ENTRY_EXTRA: Table = {
  name: "_HEAP_ENTRY_EXTRA", // §1.5, DERIVED; struct in [REACTOS heap.h]
  size: 8,
  rows: [
    ["AllocatorBackTraceIndex", 0, USHORT],
    ["TagIndex", 2, USHORT],
    ["Settable", 4, SIZE_T],
    ["ZeroInit", 0, ULONGLONG],
  ],
};
const X86_HEAP_LIST_LOOKUP: Table = {
  name: "_HEAP_LIST_LOOKUP", // §1.5, DERIVED; field list in [REACTOS heap.h]
  size: 0x24,
  rows: [
    ["ExtendedLookup", 0x00, ptrTo("_HEAP_LIST_LOOKUP")],
    ["ArraySize", 0x04, ULONG],
    ["ExtraItem", 0x08, ULONG],
    ["ItemCount", 0x0c, ULONG],
    ["OutOfRangeItems", 0x10, ULONG],
    ["BaseIndex", 0x14, ULONG],
    ["ListHead", 0x18, ptrTo("_LIST_ENTRY")],
    ["ListsInUseUlong", 0x1c, pointerTo(ULONG)],
    ["ListHints", 0x20, pointerTo(ptrTo("_LIST_ENTRY"))],
  ],
};
// _HEAP_FREE_ENTRY: a _HEAP_ENTRY with FreeList after it (§1.5), its views flattened as in the
// x64 ISFs (DERIVED).
const x86FreeEntry = (entryRows: Row[]): Table => ({
  name: "_HEAP_FREE_ENTRY",
  size: 0x10,
  rows: [...entryRows, ["FreeList", 0x08, embed("_LIST_ENTRY")]],
});
// x64 [JPCERT-*]: CommittThresholdShift ULONG @0, MaxPreCommittThreshold SIZE_T @8. DERIVED.
const X86_HEAP_TUNING_PARAMETERS: Table = {
  name: "_HEAP_TUNING_PARAMETERS",
  size: 8,
  rows: [
    ["CommittThresholdShift", 0, ULONG],
    ["MaxPreCommittThreshold", 4, SIZE_T],
  ],
};
// §1.6: BusyBitmap is an RTL_BITMAP (SizeOfBitMap u32, Buffer) on x86.
const X86_RTL_BITMAP: Table = {
  name: "_RTL_BITMAP",
  size: 8,
  rows: [
    ["SizeOfBitMap", 0, ULONG],
    ["Buffer", 4, pointerTo(ULONG)],
  ],
};

// Windows 10 x86 _HEAP (0x258) [NTDIFF id 8228449482], [PDBDUMP id 56525683942]. The member
// types follow the x64 ISF with SIZE_T at 4 bytes (DERIVED).
const WIN10_X86_HEAP: Table = {
  name: "_HEAP",
  size: 0x258,
  rows: [
    ...X86_SEGMENT_ROWS,
    ["Segment", 0x00, embed("_HEAP_SEGMENT")],
    ["Flags", 0x40, ULONG],
    ["ForceFlags", 0x44, ULONG],
    ["CompatibilityFlags", 0x48, ULONG],
    ["EncodeFlagMask", 0x4c, ULONG],
    ["Encoding", 0x50, embed("_HEAP_ENTRY")],
    ["Interceptor", 0x58, ULONG],
    ["VirtualMemoryThreshold", 0x5c, ULONG],
    ["Signature", 0x60, ULONG], // 0xEEFFEEFF
    ["SegmentReserve", 0x64, SIZE_T],
    ["SegmentCommit", 0x68, SIZE_T],
    ["DeCommitFreeBlockThreshold", 0x6c, SIZE_T],
    ["DeCommitTotalFreeThreshold", 0x70, SIZE_T],
    ["TotalFreeSize", 0x74, SIZE_T],
    ["MaximumAllocationSize", 0x78, SIZE_T],
    ["ProcessHeapsListIndex", 0x7c, USHORT],
    ["HeaderValidateLength", 0x7e, USHORT],
    ["HeaderValidateCopy", 0x80, PVOID],
    ["NextAvailableTagIndex", 0x84, USHORT],
    ["MaximumTagIndex", 0x86, USHORT],
    ["TagEntries", 0x88, PVOID],
    ["UCRList", 0x8c, embed("_LIST_ENTRY")],
    ["AlignRound", 0x94, SIZE_T],
    ["AlignMask", 0x98, SIZE_T],
    ["VirtualAllocdBlocks", 0x9c, embed("_LIST_ENTRY")],
    ["SegmentList", 0xa4, embed("_LIST_ENTRY")],
    ["AllocatorBackTraceIndex", 0xac, USHORT],
    ["NonDedicatedListLength", 0xb0, ULONG],
    ["BlocksIndex", 0xb4, PVOID],
    ["UCRIndex", 0xb8, PVOID],
    ["PseudoTagEntries", 0xbc, PVOID],
    ["FreeLists", 0xc0, embed("_LIST_ENTRY")],
    ["LockVariable", 0xc8, PVOID],
    ["CommitRoutine", 0xcc, FUNCTION_POINTER],
    ["StackTraceInitVar", 0xd0, PVOID], // RTL_RUN_ONCE: one pointer
    ["CommitLimitData", 0xd4, embed("_RTL_HEAP_MEMORY_LIMIT_DATA")],
    ["FrontEndHeap", 0xe4, PVOID],
    ["FrontHeapLockCount", 0xe8, USHORT],
    ["FrontEndHeapType", 0xea, UCHAR],
    ["RequestedFrontEndHeapType", 0xeb, UCHAR],
    ["FrontEndHeapUsageData", 0xec, pointerTo(WCHAR)],
    ["FrontEndHeapMaximumIndex", 0xf0, USHORT],
    ["FrontEndHeapStatusBitmap", 0xf2, arrayOf(257, UCHAR)],
    ["Counters", 0x1f4, embed("_HEAP_COUNTERS")],
    ["TuningParameters", 0x250, embed("_HEAP_TUNING_PARAMETERS")],
  ],
};

// x86 _HEAP_COUNTERS (0x5c) [NTDIFF id 8228449482]: the x64 list with SIZE_T at 4 bytes; the
// table gives 0x00-0x0c, 0x10, 0x14, 0x24, 0x50-0x58, the rest follows in order (DERIVED).
const WIN10_X86_HEAP_COUNTERS: Table = {
  name: "_HEAP_COUNTERS",
  size: 0x5c,
  rows: [
    ["TotalMemoryReserved", 0x00, SIZE_T],
    ["TotalMemoryCommitted", 0x04, SIZE_T],
    ["TotalMemoryLargeUCR", 0x08, SIZE_T],
    ["TotalSizeInVirtualBlocks", 0x0c, SIZE_T],
    ["TotalSegments", 0x10, ULONG],
    ["TotalUCRs", 0x14, ULONG],
    ["CommittOps", 0x18, ULONG],
    ["DeCommitOps", 0x1c, ULONG],
    ["LockAcquires", 0x20, ULONG],
    ["LockCollisions", 0x24, ULONG],
    ["CommitRate", 0x28, ULONG],
    ["DecommittRate", 0x2c, ULONG],
    ["CommitFailures", 0x30, ULONG],
    ["InBlockCommitFailures", 0x34, ULONG],
    ["PollIntervalCounter", 0x38, ULONG],
    ["DecommitsSinceLastCheck", 0x3c, ULONG],
    ["HeapPollInterval", 0x40, ULONG],
    ["AllocAndFreeOps", 0x44, ULONG],
    ["AllocationIndicesActive", 0x48, ULONG],
    ["InBlockDeccommits", 0x4c, ULONG],
    ["InBlockDeccomitSize", 0x50, SIZE_T],
    ["HighWatermarkSize", 0x54, SIZE_T],
    ["LastPolledSize", 0x58, SIZE_T],
  ],
};

// x64 (0x20): four SIZE_T (§1.2); x86 CommitLimitData spans 0xd4..0xe4 of _HEAP (0x10). DERIVED.
const X86_RTL_HEAP_MEMORY_LIMIT_DATA: Table = {
  name: "_RTL_HEAP_MEMORY_LIMIT_DATA",
  size: 0x10,
  rows: [
    ["CommitLimitBytes", 0x0, SIZE_T],
    ["CommitLimitFailureCode", 0x4, SIZE_T],
    ["MaxAllocationSizeBytes", 0x8, SIZE_T],
    ["AllocationLimitFailureCode", 0xc, SIZE_T],
  ],
};

// §1.9 x86 "newest layout found" (0x580) [PDBDUMP id 56170840439], build unidentified: that it is
// the 19041 layout is UNVERIFIED. Only what the images write is kept (see SEGMENT_HEAP_FIELDS).
const X86_SEGMENT_HEAP: Table = {
  name: "_SEGMENT_HEAP",
  size: 0x580,
  rows: [
    ["Signature", 0x08, ULONG], // 0xDDEEDDEE
    ["GlobalFlags", 0x0c, ULONG],
    ["ProcessHeapListIndex", 0x14, USHORT],
    ["UserContext", 0x1c, PVOID],
    ["LargeAllocMetadata", 0x44, embed("_RTL_RB_TREE")],
    ["LargeReservedPages", 0x4c, SIZE_T],
    ["LargeCommittedPages", 0x50, SIZE_T],
    ["MemStats", 0x80, embed("_HEAP_RUNTIME_MEMORY_STATS")],
    ["SegContexts", 0x100, arrayOf(2, embed("_HEAP_SEG_CONTEXT"))],
    ["VsContext", 0x200, embed("_HEAP_VS_CONTEXT")],
  ],
};

// §1.9 x86: HeapKey at 0, LfhKey at 4 ([MEMPROCFS vmmheap.c]: LFH key at +4 on 32-bit). The size
// and the rest of the type are unknown: 8 bytes (UNVERIFIED).
const X86_RTLP_HP_HEAP_GLOBALS: Table = {
  name: "_RTLP_HP_HEAP_GLOBALS",
  size: 8,
  rows: [
    ["HeapKey", 0, SIZE_T],
    ["LfhKey", 4, ULONG],
  ],
};

// Windows 7 x86 _HEAP (0x138), §1.2: DERIVED from the Win7 x64 PDB layout with x86 sizes,
// consistent with [TERMINUS _HEAP_x86]. Rows marked (D) are not in the §1.2 table; they fill the
// gaps in the order of [JPCERT-7601] x64 _HEAP. Like 7601 x64, no Segment view at 0.
const WIN7_X86_HEAP: Table = {
  name: "_HEAP",
  size: 0x138,
  rows: [
    ...X86_SEGMENT_ROWS,
    ["Flags", 0x40, ULONG],
    ["ForceFlags", 0x44, ULONG],
    ["CompatibilityFlags", 0x48, ULONG], // (D)
    ["EncodeFlagMask", 0x4c, ULONG],
    ["Encoding", 0x50, embed("_HEAP_ENTRY")],
    ["PointerKey", 0x58, SIZE_T],
    ["Interceptor", 0x5c, ULONG],
    ["VirtualMemoryThreshold", 0x60, ULONG],
    ["Signature", 0x64, ULONG],
    ["SegmentReserve", 0x68, SIZE_T], // (D)
    ["SegmentCommit", 0x6c, SIZE_T], // (D)
    ["DeCommitFreeBlockThreshold", 0x70, SIZE_T], // (D)
    ["DeCommitTotalFreeThreshold", 0x74, SIZE_T], // (D)
    ["TotalFreeSize", 0x78, SIZE_T],
    ["MaximumAllocationSize", 0x7c, SIZE_T], // (D)
    ["ProcessHeapsListIndex", 0x80, USHORT],
    ["HeaderValidateLength", 0x82, USHORT], // (D)
    ["HeaderValidateCopy", 0x84, PVOID], // (D)
    ["NextAvailableTagIndex", 0x88, USHORT], // (D)
    ["MaximumTagIndex", 0x8a, USHORT], // (D)
    ["TagEntries", 0x8c, PVOID], // (D)
    ["UCRList", 0x90, embed("_LIST_ENTRY")],
    ["AlignRound", 0x98, SIZE_T], // (D)
    ["AlignMask", 0x9c, SIZE_T], // (D)
    ["VirtualAllocdBlocks", 0xa0, embed("_LIST_ENTRY")],
    ["SegmentList", 0xa8, embed("_LIST_ENTRY")],
    ["AllocatorBackTraceIndex", 0xb0, USHORT], // (D)
    ["NonDedicatedListLength", 0xb4, ULONG], // (D)
    ["BlocksIndex", 0xb8, PVOID],
    ["UCRIndex", 0xbc, PVOID],
    ["PseudoTagEntries", 0xc0, PVOID], // (D)
    ["FreeLists", 0xc4, embed("_LIST_ENTRY")],
    ["LockVariable", 0xcc, PVOID],
    ["CommitRoutine", 0xd0, FUNCTION_POINTER],
    ["FrontEndHeap", 0xd4, PVOID],
    ["FrontHeapLockCount", 0xd8, USHORT],
    ["FrontEndHeapType", 0xda, UCHAR],
    ["Counters", 0xdc, embed("_HEAP_COUNTERS")],
    ["TuningParameters", 0x130, embed("_HEAP_TUNING_PARAMETERS")],
  ],
};

// Windows 7 x86 _HEAP_COUNTERS (0x54, §1.2): [JPCERT-7601] x64 _HEAP_COUNTERS with SIZE_T at
// 4 bytes. DERIVED.
const WIN7_X86_HEAP_COUNTERS: Table = {
  name: "_HEAP_COUNTERS",
  size: 0x54,
  rows: [
    ["TotalMemoryReserved", 0x00, SIZE_T],
    ["TotalMemoryCommitted", 0x04, SIZE_T],
    ["TotalMemoryLargeUCR", 0x08, SIZE_T],
    ["TotalSizeInVirtualBlocks", 0x0c, SIZE_T],
    ["TotalSegments", 0x10, ULONG],
    ["TotalUCRs", 0x14, ULONG],
    ["CommittOps", 0x18, ULONG],
    ["DeCommitOps", 0x1c, ULONG],
    ["LockAcquires", 0x20, ULONG],
    ["LockCollisions", 0x24, ULONG],
    ["CommitRate", 0x28, ULONG],
    ["DecommittRate", 0x2c, ULONG],
    ["CommitFailures", 0x30, ULONG],
    ["InBlockCommitFailures", 0x34, ULONG],
    ["CompactHeapCalls", 0x38, ULONG],
    ["CompactedUCRs", 0x3c, ULONG],
    ["AllocAndFreeOps", 0x40, ULONG],
    ["InBlockDeccommits", 0x44, ULONG],
    ["InBlockDeccomitSize", 0x48, SIZE_T],
    ["HighWatermarkSize", 0x4c, SIZE_T],
    ["LastPolledSize", 0x50, SIZE_T],
  ],
};

// Windows 7 x86 NT LFH front end, §1.6 "Windows 7" [NTDIFF Win7_SP1/x86/.../_LFH_HEAP.h].
const WIN7_X86_LFH_HEAP: Table = {
  name: "_LFH_HEAP",
  size: 0x3728,
  rows: [
    ["Lock", 0x00, opaqueBytes(0x18)], // RTL_CRITICAL_SECTION
    ["SubSegmentZones", 0x18, embed("_LIST_ENTRY")],
    ["ZoneBlockSize", 0x20, SIZE_T],
    ["Heap", 0x24, ptrTo("_HEAP")],
    ["RunInfo", 0x48, opaqueBytes(8)],
    ["UserBlockCache", 0x50, opaqueBytes(0xc0)], // [12], up to Buckets
    ["Buckets", 0x110, arrayOf(128, embed("_HEAP_BUCKET"))],
    ["LocalData", 0x310, arrayOf(1, embed("_HEAP_LOCAL_DATA"))],
  ],
};
// 0x3418, SegmentInfo[128] at +0x18 (§1.6, same source).
const WIN7_X86_HEAP_LOCAL_DATA: Table = {
  name: "_HEAP_LOCAL_DATA",
  size: 0x3418,
  rows: [["SegmentInfo", 0x18, arrayOf(128, embed("_HEAP_LOCAL_SEGMENT_INFO"))]],
};
// 0x68 (§1.6, same source).
const WIN7_X86_HEAP_LOCAL_SEGMENT_INFO: Table = {
  name: "_HEAP_LOCAL_SEGMENT_INFO",
  size: 0x68,
  rows: [
    ["Hint", 0x00, ptrTo("_HEAP_SUBSEGMENT")],
    ["ActiveSubsegment", 0x04, ptrTo("_HEAP_SUBSEGMENT")],
    ["CachedItems", 0x08, arrayOf(16, ptrTo("_HEAP_SUBSEGMENT"))],
    ["SListHeader", 0x48, embed("_SLIST_HEADER")],
    ["Counters", 0x50, embed("_HEAP_BUCKET_COUNTERS")],
    ["LocalData", 0x58, ptrTo("_HEAP_LOCAL_DATA")],
    ["LastOpSequence", 0x5c, ULONG],
    ["BucketIndex", 0x60, USHORT],
    ["LastUsed", 0x62, USHORT],
  ],
};
// 0x20: AggregateExchg 0x08, BlockSize 0x10, BlockCount 0x14 [MEMPROCFS NtInitLfhUserDataWin7],
// [NTDIFF id 40530768322]; the other members in the order of [JPCERT-7601] x64 (DERIVED).
const WIN7_X86_HEAP_SUBSEGMENT: Table = {
  name: "_HEAP_SUBSEGMENT",
  size: 0x20,
  rows: [
    ["LocalInfo", 0x00, ptrTo("_HEAP_LOCAL_SEGMENT_INFO")],
    ["UserBlocks", 0x04, ptrTo("_HEAP_USERDATA_HEADER")],
    ["AggregateExchg", 0x08, embed("_INTERLOCK_SEQ")],
    ["BlockSize", 0x10, USHORT],
    ["Flags", 0x12, USHORT],
    ["BlockCount", 0x14, USHORT],
    ["SizeIndex", 0x16, UCHAR],
    ["AffinityIndex", 0x17, UCHAR],
    ["SFreeListEntry", 0x18, embed("_SINGLE_LIST_ENTRY")],
    ["Lock", 0x1c, ULONG],
  ],
};
// [JPCERT-7601] x64 _INTERLOCK_SEQ (8 bytes, no pointers): the same on x86 (DERIVED).
const WIN7_X86_INTERLOCK_SEQ: Table = {
  name: "_INTERLOCK_SEQ",
  size: 8,
  rows: [
    ["Depth", 0, USHORT],
    ["FreeEntryOffset", 2, USHORT],
    ["OffsetAndDepth", 0, ULONG],
    ["Sequence", 4, ULONG],
    ["Exchg", 0, LONGLONG],
  ],
};
// 0x10, Signature at 0x0c [MEMPROCFS]; the rest as [JPCERT-7601] x64 with x86 sizes (DERIVED).
const WIN7_X86_HEAP_USERDATA_HEADER: Table = {
  name: "_HEAP_USERDATA_HEADER",
  size: 0x10,
  rows: [
    ["SFreeListEntry", 0x00, embed("_SINGLE_LIST_ENTRY")],
    ["SubSegment", 0x00, ptrTo("_HEAP_SUBSEGMENT")],
    ["Reserved", 0x04, PVOID],
    ["SizeIndex", 0x08, SIZE_T],
    ["Signature", 0x0c, SIZE_T], // 0xF0E0D0C0
  ],
};

// ---------------------------------------------------------------------------------------------
// Segment heap (§1.9, §2.5): the types the segment-heap writer uses, the x86 tables of build
// 19041, and the synthetic 26100's variants. x64 17763-22000 take these types from the real ISFs.

/** Roots besides _SEGMENT_HEAP (which embeds the contexts and MemStats): the walk's structures. */
const SEGMENT_HEAP_TYPES = [
  "_HEAP_PAGE_SEGMENT",
  "_HEAP_PAGE_RANGE_DESCRIPTOR",
  "_HEAP_VS_SUBSEGMENT",
  "_HEAP_VS_CHUNK_HEADER",
  "_HEAP_VS_CHUNK_FREE_HEADER",
  "_HEAP_VS_UNUSED_BYTES_INFO",
  "_HEAP_LFH_SUBSEGMENT",
  "_HEAP_LFH_UNUSED_BYTES_INFO",
  "_HEAP_LARGE_ALLOC_DATA",
];

const SHORT: TypeOf = () => base("short");

// The RB tree types with x86 pointers: the x64 ISF shapes with 4-byte pointers (DERIVED).
const X86_RTL_BALANCED_NODE: Table = {
  name: "_RTL_BALANCED_NODE",
  size: 0xc,
  rows: [
    ["Children", 0, arrayOf(2, ptrTo("_RTL_BALANCED_NODE"))],
    ["Left", 0, ptrTo("_RTL_BALANCED_NODE")],
    ["Right", 4, ptrTo("_RTL_BALANCED_NODE")],
    ["ParentValue", 8, SIZE_T],
    ["Red", 8, bitsOf(0, 1, UCHAR)],
    ["Balance", 8, bitsOf(0, 2, UCHAR)],
  ],
};
const X86_RTL_RB_TREE: Table = {
  name: "_RTL_RB_TREE",
  size: 8,
  rows: [
    ["Root", 0, ptrTo("_RTL_BALANCED_NODE")],
    ["Min", 4, ptrTo("_RTL_BALANCED_NODE")],
    ["Encoded", 4, bitsOf(0, 1, UCHAR)],
  ],
};

// §1.9 x86 MemStats (0x2c): the x64 _HEAP_RUNTIME_MEMORY_STATS counters as SIZE_T (DERIVED); only
// the page counters the images write.
const X86_HEAP_RUNTIME_MEMORY_STATS: Table = {
  name: "_HEAP_RUNTIME_MEMORY_STATS",
  size: 0x2c,
  rows: [
    ["TotalReservedPages", 0x0, SIZE_T],
    ["TotalCommittedPages", 0x4, SIZE_T],
    ["FreeCommittedPages", 0x8, SIZE_T],
    ["LfhFreeCommittedPages", 0xc, SIZE_T],
  ],
};

// §1.9 x86 _HEAP_SEG_CONTEXT (0x80) [PDBDUMP id 56170840439]; member types as in the x64 ISF.
const X86_HEAP_SEG_CONTEXT: Table = {
  name: "_HEAP_SEG_CONTEXT",
  size: 0x80,
  rows: [
    ["SegmentMask", 0x00, SIZE_T],
    ["UnitShift", 0x04, UCHAR],
    ["PagesPerUnitShift", 0x05, UCHAR],
    ["FirstDescriptorIndex", 0x06, UCHAR],
    ["CachedCommitSoftShift", 0x07, UCHAR],
    ["CachedCommitHighShift", 0x08, UCHAR],
    ["Flags", 0x09, UCHAR],
    ["MaxAllocationSize", 0x0c, ULONG],
    ["OlpStatsOffset", 0x10, SHORT],
    ["MemStatsOffset", 0x12, SHORT],
    ["LfhContext", 0x14, PVOID],
    ["VsContext", 0x18, PVOID],
    ["EnvHandle", 0x1c, opaqueBytes(8)],
    ["Heap", 0x24, PVOID],
    ["SegmentLock", 0x40, SIZE_T],
    ["SegmentListHead", 0x44, embed("_LIST_ENTRY")],
    ["SegmentCount", 0x4c, SIZE_T],
    ["FreePageRanges", 0x50, embed("_RTL_RB_TREE")],
    ["FreeSegmentListLock", 0x58, SIZE_T],
    ["FreeSegmentList", 0x5c, arrayOf(2, embed("_SINGLE_LIST_ENTRY"))],
  ],
};

// §1.9 x86 _HEAP_VS_CONTEXT (0xc0); DelayFreeContext and Callbacks only by their extent.
const X86_HEAP_VS_CONTEXT: Table = {
  name: "_HEAP_VS_CONTEXT",
  size: 0xc0,
  rows: [
    ["Lock", 0x00, SIZE_T],
    ["LockType", 0x04, ULONG],
    ["FreeChunkTree", 0x08, embed("_RTL_RB_TREE")],
    ["SubsegmentList", 0x10, embed("_LIST_ENTRY")],
    ["TotalCommittedUnits", 0x18, SIZE_T],
    ["FreeCommittedUnits", 0x1c, SIZE_T],
    ["DelayFreeContext", 0x40, opaqueBytes(0x40)],
    ["BackendCtx", 0x80, PVOID],
    ["Callbacks", 0x84, opaqueBytes(0x14)],
    ["Config", 0x98, ULONG],
    ["Flags", 0x9c, ULONG],
  ],
};

// §1.9 x86 _HEAP_PAGE_SEGMENT (0x1000) [NTDIFF id 8026691387]: the header overlays the descriptors.
const X86_HEAP_PAGE_SEGMENT: Table = {
  name: "_HEAP_PAGE_SEGMENT",
  size: 0x1000,
  rows: [
    ["DescArray", 0x00, arrayOf(256, embed("_HEAP_PAGE_RANGE_DESCRIPTOR"))],
    ["ListEntry", 0x00, embed("_LIST_ENTRY")],
    ["Signature", 0x08, ULONG],
    ["SegmentCommitState", 0x0c, PVOID],
    ["UnusedWatermark", 0x10, UCHAR],
  ],
};

// §1.9 x86 _HEAP_PAGE_RANGE_DESCRIPTOR (0x10) [PDBDUMP id 56273628050], [NTDIFF id 8026691387].
const X86_HEAP_PAGE_RANGE_DESCRIPTOR: Table = {
  name: "_HEAP_PAGE_RANGE_DESCRIPTOR",
  size: 0x10,
  rows: [
    ["TreeNode", 0x00, embed("_RTL_BALANCED_NODE")],
    ["TreeSignature", 0x00, ULONG],
    ["UnusedBytes", 0x04, ULONG],
    ["ExtraPresent", 0x08, bitsOf(0, 1, USHORT)],
    ["Spare0", 0x08, bitsOf(1, 15, USHORT)],
    ["RangeFlags", 0x0c, UCHAR],
    ["RangeFlagBits", 0x0c, bitsOf(0, 5, UCHAR)],
    ["CommittedPageCount", 0x0c, bitsOf(5, 3, UCHAR)],
    ["Key", 0x0c, embed("_HEAP_DESCRIPTOR_KEY")],
    ["Align", 0x0c, arrayOf(3, UCHAR)],
    ["UnitOffset", 0x0f, UCHAR],
    ["UnitSize", 0x0f, UCHAR],
  ],
};
// §1.9 x86 Key: its low byte is RangeFlags ("Ignore"), its high byte UnitSize.
const X86_HEAP_DESCRIPTOR_KEY: Table = {
  name: "_HEAP_DESCRIPTOR_KEY",
  size: 4,
  rows: [
    ["Key", 0, ULONG],
    ["Ignore", 0, bitsOf(0, 8, ULONG)],
    ["EncodedCommittedPageCount", 0, bitsOf(8, 16, ULONG)],
    ["UnitCount", 0, bitsOf(24, 8, ULONG)],
  ],
};

// §1.9 x86 VS chunk header (8) [NTDIFF id 8082224547], [MEMPROCFS VS_CHUNK_HEADER_SIZE32].
const X86_HEAP_VS_CHUNK_HEADER_SIZE: Table = {
  name: "_HEAP_VS_CHUNK_HEADER_SIZE",
  size: 4,
  rows: [
    ["HeaderBits", 0, ULONG],
    ["MemoryCost", 0, bitsOf(0, 1, ULONG)],
    ["UnsafeSize", 0, bitsOf(1, 15, ULONG)],
    ["UnsafePrevSize", 0, bitsOf(16, 15, ULONG)],
    ["Allocated", 0, bitsOf(31, 1, ULONG)],
  ],
};
const X86_HEAP_VS_CHUNK_HEADER: Table = {
  name: "_HEAP_VS_CHUNK_HEADER",
  size: 8,
  rows: [
    ["Sizes", 0, embed("_HEAP_VS_CHUNK_HEADER_SIZE")],
    ["AllocatedChunkBits", 4, ULONG],
    ["EncodedSegmentPageOffset", 4, bitsOf(0, 8, ULONG)],
    ["UnusedBytes", 4, bitsOf(8, 1, ULONG)],
    ["SkipDuringWalk", 4, bitsOf(9, 1, ULONG)],
    ["Spare", 4, bitsOf(10, 22, ULONG)],
  ],
};
// The x64 shape (the tree node right after HeaderBits, over AllocatedChunkBits) on x86: DERIVED.
const X86_HEAP_VS_CHUNK_FREE_HEADER: Table = {
  name: "_HEAP_VS_CHUNK_FREE_HEADER",
  size: 0x10,
  rows: [
    ["Header", 0, embed("_HEAP_VS_CHUNK_HEADER")],
    ["OverlapsHeader", 0, ULONG],
    ["Node", 4, embed("_RTL_BALANCED_NODE")],
  ],
};
// §1.9: stored in the chunk's last 2 bytes; no pointers, so the x64 type as it is.
const HEAP_VS_UNUSED_BYTES_INFO: Table = {
  name: "_HEAP_VS_UNUSED_BYTES_INFO",
  size: 2,
  rows: [
    ["Bytes", 0, arrayOf(2, UCHAR)],
    ["UnusedBytes", 0, bitsOf(0, 13, USHORT)],
    ["LfhSubsegment", 0, bitsOf(13, 1, USHORT)],
    ["ExtraPresent", 0, bitsOf(14, 1, USHORT)],
    ["OneByteUnused", 0, bitsOf(15, 1, USHORT)],
  ],
};
// §1.9 x86: Size 0x14, Signature 0x16, first chunk at +0x18 [MEMPROCFS SegVS]; the members before
// Size follow the x64 order (CommitBitmap stays a u64: Size lands at 0x14) (DERIVED).
const X86_HEAP_VS_SUBSEGMENT: Table = {
  name: "_HEAP_VS_SUBSEGMENT",
  size: 0x18,
  rows: [
    ["ListEntry", 0x00, embed("_LIST_ENTRY")],
    ["CommitBitmap", 0x08, ULONGLONG],
    ["CommitLock", 0x10, SIZE_T],
    ["Size", 0x14, USHORT],
    ["Signature", 0x16, bitsOf(0, 15, USHORT)],
    ["FullCommit", 0x16, bitsOf(15, 1, USHORT)],
  ],
};

// §1.9 x86 _HEAP_LFH_SUBSEGMENT (0x24) [PDBDUMP id 56630458732]; 0x1d-0x20 DERIVED.
const X86_HEAP_LFH_SUBSEGMENT: Table = {
  name: "_HEAP_LFH_SUBSEGMENT",
  size: 0x24,
  rows: [
    ["ListEntry", 0x00, embed("_LIST_ENTRY")],
    ["Owner", 0x08, PVOID],
    ["DelayFree", 0x08, SIZE_T],
    ["CommitLock", 0x0c, SIZE_T],
    ["FreeCount", 0x10, USHORT],
    ["BlockCount", 0x12, USHORT],
    ["FreeHint", 0x14, USHORT],
    ["Location", 0x16, UCHAR],
    ["WitheldBlockCount", 0x17, UCHAR],
    ["BlockOffsets", 0x18, embed("_HEAP_LFH_SUBSEGMENT_ENCODED_OFFSETS")],
    ["CommitUnitShift", 0x1c, UCHAR],
    ["CommitUnitCount", 0x1d, UCHAR],
    ["CommitStateOffset", 0x1e, USHORT],
    ["BlockBitmap", 0x20, arrayOf(1, ULONG)],
  ],
};
// §1.9 BlockOffsets: BlockSize u16 @0, FirstBlockOffset u16 @2, EncodedData u32 @0.
const HEAP_LFH_SUBSEGMENT_ENCODED_OFFSETS: Table = {
  name: "_HEAP_LFH_SUBSEGMENT_ENCODED_OFFSETS",
  size: 4,
  rows: [
    ["BlockSize", 0, USHORT],
    ["EncodedData", 0, ULONG],
    ["FirstBlockOffset", 2, USHORT],
  ],
};
// §1.9, §2.5 step 4: in the block's last 2 bytes.
const HEAP_LFH_UNUSED_BYTES_INFO: Table = {
  name: "_HEAP_LFH_UNUSED_BYTES_INFO",
  size: 2,
  rows: [
    ["Bytes", 0, arrayOf(2, UCHAR)],
    ["UnusedBytes", 0, bitsOf(0, 14, USHORT)],
    ["ExtraPresent", 0, bitsOf(14, 1, USHORT)],
    ["OneByteUnused", 0, bitsOf(15, 1, USHORT)],
  ],
};

// §1.9 x86 _HEAP_LARGE_ALLOC_DATA (0x14) [MEMPROCFS _HEAP_LARGE_ALLOC_DATA32]; the flag bits
// before AllocatedPages as in the x64 ISF (DERIVED).
const X86_HEAP_LARGE_ALLOC_DATA: Table = {
  name: "_HEAP_LARGE_ALLOC_DATA",
  size: 0x14,
  rows: [
    ["TreeNode", 0x00, embed("_RTL_BALANCED_NODE")],
    ["VirtualAddress", 0x0c, ULONG],
    ["UnusedBytes", 0x0c, bitsOf(0, 16, ULONG)],
    ["ExtraPresent", 0x10, bitsOf(0, 1, ULONG)],
    ["GuardPageCount", 0x10, bitsOf(1, 1, ULONG)],
    ["GuardPageAlignment", 0x10, bitsOf(2, 6, ULONG)],
    ["Spare", 0x10, bitsOf(8, 4, ULONG)],
    ["AllocatedPages", 0x10, bitsOf(12, 20, ULONG)],
  ],
};

/** x86 19041 (with X86_SEGMENT_HEAP and X86_RTLP_HP_HEAP_GLOBALS above). */
const X86_SEGMENT_HEAP_TABLES = [
  X86_RTL_BALANCED_NODE,
  X86_RTL_RB_TREE,
  X86_HEAP_RUNTIME_MEMORY_STATS,
  X86_HEAP_SEG_CONTEXT,
  X86_HEAP_VS_CONTEXT,
  X86_HEAP_PAGE_SEGMENT,
  X86_HEAP_PAGE_RANGE_DESCRIPTOR,
  X86_HEAP_DESCRIPTOR_KEY,
  X86_HEAP_VS_CHUNK_HEADER_SIZE,
  X86_HEAP_VS_CHUNK_HEADER,
  X86_HEAP_VS_CHUNK_FREE_HEADER,
  HEAP_VS_UNUSED_BYTES_INFO,
  X86_HEAP_VS_SUBSEGMENT,
  X86_HEAP_LFH_SUBSEGMENT,
  HEAP_LFH_SUBSEGMENT_ENCODED_OFFSETS,
  HEAP_LFH_UNUSED_BYTES_INFO,
  X86_HEAP_LARGE_ALLOC_DATA,
];

// Synthetic 26100 (x64): the "newer" descriptor and LFH subsegment of §1.9, whose builds are
// unidentified (§6b item 7): that they are 24H2's is UNVERIFIED. Every other segment-heap type,
// _SEGMENT_HEAP included, keeps its 22000 layout: the notes give no 24H2 one.

// §1.9 "Newer x64 variant" [PDBDUMP id 56115263696]: UnusedBytes u16 at 6, the Key u16 at 0x1a
// whose high byte is UnitOffset/UnitSize. (A decompiled 24H2-era ntdll reads the unit size at
// 0x1f instead [DECOMP id 64786510576]: another variant, not modelled.)
const X64_26100_HEAP_PAGE_RANGE_DESCRIPTOR: Table = {
  name: "_HEAP_PAGE_RANGE_DESCRIPTOR",
  size: 0x20,
  rows: [
    ["TreeNode", 0x00, embed("_RTL_BALANCED_NODE")],
    ["ExtraPresent", 0x04, bitsOf(0, 1, USHORT)],
    ["Spare0", 0x04, bitsOf(1, 15, USHORT)],
    ["UnusedBytes", 0x06, USHORT],
    ["RangeFlags", 0x18, UCHAR],
    ["Spare1", 0x19, UCHAR],
    ["Key", 0x1a, embed("_HEAP_DESCRIPTOR_KEY")],
    ["UnitOffset", 0x1b, UCHAR],
    ["UnitSize", 0x1b, UCHAR],
  ],
};
const X64_26100_HEAP_DESCRIPTOR_KEY: Table = {
  name: "_HEAP_DESCRIPTOR_KEY",
  size: 2,
  rows: [
    ["Key", 0, USHORT],
    ["EncodedCommitCount", 0, UCHAR],
    ["PageCount", 1, UCHAR],
  ],
};
// §1.9 the 0x48 variant [PDBDUMP id 56325205784]: BlockOffsets still at 0x28, BlockBitmap at 0x40.
// Member types are read off the offsets (UNVERIFIED).
const X64_26100_HEAP_LFH_SUBSEGMENT: Table = {
  name: "_HEAP_LFH_SUBSEGMENT",
  size: 0x48,
  rows: [
    ["ListEntry", 0x00, embed("_LIST_ENTRY")],
    ["State", 0x10, ULONGLONG],
    ["OwnerFreeListEntry", 0x18, PVOID],
    ["CommitStateOffset", 0x18, USHORT],
    ["FreeCount", 0x20, USHORT],
    ["BlockCount", 0x22, USHORT],
    ["FreeHint", 0x24, UCHAR],
    ["WitheldBlockCount", 0x25, UCHAR],
    ["CommitUnitInfo", 0x26, USHORT],
    ["BlockOffsets", 0x28, embed("_HEAP_LFH_SUBSEGMENT_ENCODED_OFFSETS")],
    ["BucketRef", 0x2c, USHORT],
    ["PrivateSlotMapRef", 0x2e, USHORT],
    ["HighWatermarkBlockIndex", 0x30, USHORT],
    ["BitmapSearchWidth", 0x32, UCHAR],
    ["UChar", 0x33, UCHAR],
    ["Spare3", 0x34, ULONG],
    ["CommitLock", 0x38, ULONGLONG],
    ["BlockBitmap", 0x40, arrayOf(1, ULONGLONG)],
  ],
};

/** Replace the 22000 types of the same names in the 26100 ISF. */
const SEGMENT_HEAP_26100_TABLES = [X64_26100_HEAP_PAGE_RANGE_DESCRIPTOR, X64_26100_HEAP_DESCRIPTOR_KEY, X64_26100_HEAP_LFH_SUBSEGMENT];

// --- Page heap and stack trace database (page-heap.ts, stack-traces.ts) ---------------------
// docs/heap-structures.md §1.7 (page heap) and §1.8 (user-mode stack trace database): ntdll-only
// types, absent from the kernel ISF (§1.0), so x64 comes from the tables as well.

// HashChain's type (§1.8): one pointer, Next. DERIVED from its name and the offsets around it.
const RTL_STD_LIST_ENTRY: DualTable = {
  name: "_RTL_STD_LIST_ENTRY",
  size: { x64: 8, x86: 4 },
  rows: [["Next", 0, 0, ptrTo("_RTL_STD_LIST_ENTRY")]],
};

// §1.8 Windows 8+ layout: x64 0x110 [NTDIFF id 8188299721] (also Vista x64, so used for 7601 x64:
// UNVERIFIED for that build), x86 0x8c [NTDIFF id 8301495382].
const RTL_STACK_TRACE_ENTRY: DualTable = {
  name: "_RTL_STACK_TRACE_ENTRY",
  size: { x64: 0x110, x86: 0x8c },
  rows: [
    ["HashChain", 0x00, 0x00, embed("_RTL_STD_LIST_ENTRY")],
    ["TraceCount", 0x08, 0x04, bitsOf(0, 11, USHORT)],
    ["BlockDepth", 0x08, 0x04, bitsOf(11, 5, USHORT)],
    ["IndexHigh", 0x0a, 0x06, USHORT],
    ["Index", 0x0c, 0x08, USHORT],
    ["Depth", 0x0e, 0x0a, USHORT],
    ["BackTrace", 0x10, 0x0c, arrayOf(32, PVOID)],
  ],
};
// §1.8 older x86 layout (0x8c) [NTDIFF id 39932310688], used for Windows 7 x86: the notes do not
// name its build (UNVERIFIED). Index, Depth and BackTrace sit where the newer layout has them.
const WIN7_X86_RTL_STACK_TRACE_ENTRY: Table = {
  name: "_RTL_STACK_TRACE_ENTRY",
  size: 0x8c,
  rows: [
    ["HashChain", 0x00, ptrTo("_RTL_STACK_TRACE_ENTRY")],
    ["TraceCount", 0x04, ULONG],
    ["Index", 0x08, USHORT],
    ["Depth", 0x0a, USHORT],
    ["BackTrace", 0x0c, arrayOf(32, PVOID)],
  ],
};

// §1.8 Windows 10: x64 0x2f0 [NTDIFF Win10_1903_19H1/x64/.../_STACK_TRACE_DATABASE.h], x86 0x188
// [NTDIFF id 8468468574]; used for every Windows 8+ build (9600 UNVERIFIED). The lock union,
// FreeLists[32] and Buckets[] keep only their sizes; scalar types are read off the offsets.
const STACK_TRACE_DATABASE: DualTable = {
  name: "_STACK_TRACE_DATABASE",
  size: { x64: 0x2f0, x86: 0x188 },
  rows: [
    ["Reserved", 0x00, 0x00, opaqueBytes({ x64: 104, x86: 56 })], // union { Reserved[]; Lock }
    ["Reserved2", 0x68, 0x38, PVOID],
    ["PeakHashCollisionListLength", 0x70, 0x3c, ULONG],
    ["LowerMemoryStart", 0x78, 0x40, PVOID],
    ["PreCommitted", 0x80, 0x44, UCHAR],
    ["DumpInProgress", 0x81, 0x45, UCHAR],
    ["CommitBase", 0x88, 0x48, PVOID],
    ["CurrentLowerCommitLimit", 0x90, 0x4c, PVOID],
    ["CurrentUpperCommitLimit", 0x98, 0x50, PVOID],
    ["NextFreeLowerMemory", 0xa0, 0x54, PVOID],
    ["NextFreeUpperMemory", 0xa8, 0x58, PVOID],
    ["NumberOfEntriesLookedUp", 0xb0, 0x5c, ULONG],
    ["NumberOfEntriesAdded", 0xb4, 0x60, ULONG],
    ["EntryIndexArray", 0xb8, 0x64, pointerTo(ptrTo("_RTL_STACK_TRACE_ENTRY"))],
    ["NumberOfEntriesAllocated", 0xc0, 0x68, ULONG],
    ["NumberOfEntriesAvailable", 0xc4, 0x6c, ULONG],
    ["NumberOfAllocationFailures", 0xc8, 0x70, ULONG],
    ["FreeLists", 0xd0, 0x78, opaqueBytes({ x64: 0x200, x86: 0x100 })], // [32]
    ["NumberOfBuckets", 0x2d0, 0x178, ULONG],
    ["Buckets", 0x2d8, 0x17c, opaqueBytes({ x64: 0x18, x86: 0xc })],
  ],
};
// §1.8 the Vista/Windows 7-era variant: x64 0x1e0 [NTDIFF id 40307701939]; x86 0x100 with
// EntryIndexArray at 0x64 [NTDIFF id 39853953055]. The members the notes elide ("…") and the
// whole x86 column apart from EntryIndexArray and the size are DERIVED from the Windows 10 order.
const WIN7_STACK_TRACE_DATABASE: DualTable = {
  name: "_STACK_TRACE_DATABASE",
  size: { x64: 0x1e0, x86: 0x100 },
  rows: [
    ["Resource", 0x00, 0x00, opaqueBytes({ x64: 104, x86: 56 })], // union { Resource[]; Lock }
    ["Reserved", 0x68, 0x38, opaqueBytes({ x64: 0x18, x86: 0xc })], // [3]
    ["PreCommitted", 0x80, 0x44, UCHAR],
    ["DumpInProgress", 0x81, 0x45, UCHAR],
    ["CommitBase", 0x88, 0x48, PVOID],
    ["CurrentLowerCommitLimit", 0x90, 0x4c, PVOID],
    ["CurrentUpperCommitLimit", 0x98, 0x50, PVOID],
    ["NextFreeLowerMemory", 0xa0, 0x54, PVOID],
    ["NextFreeUpperMemory", 0xa8, 0x58, PVOID],
    ["NumberOfEntriesLookedUp", 0xb0, 0x5c, ULONG],
    ["NumberOfEntriesAdded", 0xb4, 0x60, ULONG],
    ["EntryIndexArray", 0xb8, 0x64, pointerTo(ptrTo("_RTL_STACK_TRACE_ENTRY"))],
    ["NumberOfEntriesDeleted", 0xc0, 0x68, ULONG],
    ["NumberOfEntriesAvailable", 0xc4, 0x6c, ULONG],
    ["NumberOfEntriesReused", 0xc8, 0x70, ULONG],
    ["NumberOfAllocationFailures", 0xcc, 0x74, ULONG],
    ["FreeLists", 0xd0, 0x78, opaqueBytes({ x64: 0x100, x86: 0x80 })], // [32]
    ["NumberOfBuckets", 0x1d0, 0xf8, ULONG],
    ["Buckets", 0x1d8, 0xfc, opaqueBytes({ x64: 8, x86: 4 })],
  ],
};

// §1.7: x64 0x168 [NTDIFF Win10_1903_19H1/x64/.../_DPH_HEAP_ROOT.h], field order [REACTOS]; the
// x86 column is DERIVED. Counts are ULONGs and byte counts SIZE_T, as the x64 gaps allow (DERIVED).
const DPH_HEAP_ROOT: DualTable = {
  name: "_DPH_HEAP_ROOT",
  size: { x64: 0x168, x86: 0xc0 },
  rows: [
    ["Signature", 0x000, 0x00, ULONG], // 0xFFEEDDCC
    ["HeapFlags", 0x004, 0x04, ULONG],
    ["HeapCritSect", 0x008, 0x08, PVOID],
    ["nRemoteLockAcquired", 0x010, 0x0c, ULONG],
    ["pVirtualStorageListHead", 0x018, 0x10, ptrTo("_DPH_HEAP_BLOCK")],
    ["pVirtualStorageListTail", 0x020, 0x14, ptrTo("_DPH_HEAP_BLOCK")],
    ["nVirtualStorageRanges", 0x028, 0x18, ULONG],
    ["nVirtualStorageBytes", 0x030, 0x1c, SIZE_T],
    ["BusyNodesTable", 0x038, 0x20, embed("_RTL_AVL_TABLE")],
    ["NodeToAllocate", 0x0a0, 0x58, ptrTo("_DPH_HEAP_BLOCK")],
    ["nBusyAllocations", 0x0a8, 0x5c, ULONG],
    ["nBusyAllocationBytesCommitted", 0x0b0, 0x60, SIZE_T],
    ["pFreeAllocationListHead", 0x0b8, 0x64, ptrTo("_DPH_HEAP_BLOCK")],
    ["pFreeAllocationListTail", 0x0c0, 0x68, ptrTo("_DPH_HEAP_BLOCK")],
    ["nFreeAllocations", 0x0c8, 0x6c, ULONG],
    ["nFreeAllocationBytesCommitted", 0x0d0, 0x70, SIZE_T],
    ["AvailableAllocationHead", 0x0d8, 0x74, embed("_LIST_ENTRY")],
    ["nAvailableAllocations", 0x0e8, 0x7c, ULONG],
    ["nAvailableAllocationBytesCommitted", 0x0f0, 0x80, SIZE_T],
    ["pUnusedNodeListHead", 0x0f8, 0x84, ptrTo("_DPH_HEAP_BLOCK")],
    ["pUnusedNodeListTail", 0x100, 0x88, ptrTo("_DPH_HEAP_BLOCK")],
    ["nUnusedNodes", 0x108, 0x8c, ULONG],
    ["nBusyAllocationBytesAccessible", 0x110, 0x90, SIZE_T],
    ["pNodePoolListHead", 0x118, 0x94, ptrTo("_DPH_HEAP_BLOCK")],
    ["pNodePoolListTail", 0x120, 0x98, ptrTo("_DPH_HEAP_BLOCK")],
    ["nNodePools", 0x128, 0x9c, ULONG],
    ["nNodePoolBytes", 0x130, 0xa0, SIZE_T],
    ["NextHeap", 0x138, 0xa4, embed("_LIST_ENTRY")],
    ["ExtraFlags", 0x148, 0xac, ULONG],
    ["Seed", 0x14c, 0xb0, ULONG],
    ["NormalHeap", 0x150, 0xb4, PVOID],
    ["CreateStackTrace", 0x158, 0xb8, PVOID], // _RTL_TRACE_BLOCK* in the PDB (§2.6)
    ["FirstThread", 0x160, 0xbc, PVOID],
  ],
};

// §1.7: x64 0x80 [NTDIFF Win10_1903_19H1/x64/.../_DPH_HEAP_BLOCK.h], [REACTOS]; x86 DERIVED.
const DPH_HEAP_BLOCK: DualTable = {
  name: "_DPH_HEAP_BLOCK",
  size: { x64: 0x80, x86: 0x40 },
  rows: [
    ["pNextAlloc", 0x00, 0x00, ptrTo("_DPH_HEAP_BLOCK")],
    ["AvailableEntry", 0x00, 0x00, embed("_LIST_ENTRY")],
    ["TableLinks", 0x00, 0x00, embed("_RTL_BALANCED_LINKS")],
    ["pUserAllocation", 0x20, 0x10, pointerTo(UCHAR)],
    ["pVirtualBlock", 0x28, 0x14, pointerTo(UCHAR)],
    ["nVirtualBlockSize", 0x30, 0x18, SIZE_T],
    ["nVirtualAccessSize", 0x38, 0x1c, SIZE_T],
    ["nUserRequestedSize", 0x40, 0x20, SIZE_T],
    ["nUserActualSize", 0x48, 0x24, SIZE_T],
    ["UserValue", 0x50, 0x28, PVOID],
    ["UserFlags", 0x58, 0x2c, ULONG],
    ["StackTrace", 0x60, 0x30, PVOID], // _RTL_TRACE_BLOCK* in the PDB, read as _RTL_STACK_TRACE_ENTRY (§2.6)
    ["AdjacencyEntry", 0x68, 0x34, embed("_LIST_ENTRY")],
    ["pVirtualRegion", 0x78, 0x3c, pointerTo(UCHAR)],
  ],
};

// §1.7 VERIFIED: x64 0x40, x86 0x20 [NTDIFF .../_DPH_BLOCK_INFORMATION.h]; x86 has no Padding.
const dphBlockInformation = (arch: Arch): Table => {
  const x64 = arch === "x64";
  const rows: Row[] = [
    ["StartStamp", 0x00, ULONG],
    ["Heap", x64 ? 0x08 : 0x04, PVOID],
    ["RequestedSize", x64 ? 0x10 : 0x08, SIZE_T],
    ["ActualSize", x64 ? 0x18 : 0x0c, SIZE_T],
    ["FreeQueue", x64 ? 0x20 : 0x10, embed("_LIST_ENTRY")],
    ["FreePushList", x64 ? 0x20 : 0x10, embed("_SINGLE_LIST_ENTRY")],
    ["TraceIndex", x64 ? 0x20 : 0x10, USHORT],
    ["StackTrace", x64 ? 0x30 : 0x18, PVOID],
    ["EndStamp", x64 ? 0x3c : 0x1c, ULONG],
  ];
  if (x64) rows.push(["Padding", 0x38, ULONG]);
  return { name: "_DPH_BLOCK_INFORMATION", size: x64 ? 0x40 : 0x20, rows };
};

// BusyNodesTable's type: RTL_AVL_TABLE and RTL_BALANCED_LINKS as the WDK declares them (ntddk.h,
// Microsoft Learn "RTL_AVL_TABLE structure"); their sizes (0x68/0x38, 0x20/0x10) agree with §1.7.
const RTL_AVL_TABLE: DualTable = {
  name: "_RTL_AVL_TABLE",
  size: { x64: 0x68, x86: 0x38 },
  rows: [
    ["BalancedRoot", 0x00, 0x00, embed("_RTL_BALANCED_LINKS")],
    ["OrderedPointer", 0x20, 0x10, PVOID],
    ["WhichOrderedElement", 0x28, 0x14, ULONG],
    ["NumberGenericTableElements", 0x2c, 0x18, ULONG],
    ["DepthOfTree", 0x30, 0x1c, ULONG],
    ["RestartKey", 0x38, 0x20, ptrTo("_RTL_BALANCED_LINKS")],
    ["DeleteCount", 0x40, 0x24, ULONG],
    ["CompareRoutine", 0x48, 0x28, FUNCTION_POINTER],
    ["AllocateRoutine", 0x50, 0x2c, FUNCTION_POINTER],
    ["FreeRoutine", 0x58, 0x30, FUNCTION_POINTER],
    ["TableContext", 0x60, 0x34, PVOID],
  ],
};
const RTL_BALANCED_LINKS: DualTable = {
  name: "_RTL_BALANCED_LINKS",
  size: { x64: 0x20, x86: 0x10 },
  rows: [
    ["Parent", 0x00, 0x00, ptrTo("_RTL_BALANCED_LINKS")],
    ["LeftChild", 0x08, 0x04, ptrTo("_RTL_BALANCED_LINKS")],
    ["RightChild", 0x10, 0x08, ptrTo("_RTL_BALANCED_LINKS")],
    ["Balance", 0x18, 0x0c, () => base("char")],
    ["Reserved", 0x19, 0x0d, arrayOf(3, UCHAR)],
  ],
};

/** The page heap and stack trace database types of one (arch, build). */
function traceTables(arch: Arch, build: number): Table[] {
  const win7 = build < 9200;
  const entry = win7 && arch === "x86" ? WIN7_X86_RTL_STACK_TRACE_ENTRY : column(RTL_STACK_TRACE_ENTRY, arch);
  const database = column(win7 ? WIN7_STACK_TRACE_DATABASE : STACK_TRACE_DATABASE, arch);
  const tables = [RTL_STD_LIST_ENTRY, DPH_HEAP_ROOT, DPH_HEAP_BLOCK, RTL_AVL_TABLE, RTL_BALANCED_LINKS].map((t) => column(t, arch));
  return [entry, database, dphBlockInformation(arch), ...tables];
}

/**
 * ntdll functions the images' stack frames run through: RVAs and sizes in the synthetic ntdll's
 * code, ours (not Windows facts), below its data page. The ISF carries the RVAs only (an ISF
 * symbol has no size), so frames stay inside [rva, rva + size) and the next symbol is further.
 */
export const NTDLL_FUNCTIONS: Record<string, { rva: number; size: number }> = {
  RtlpAllocateHeapInternal: { rva: 0x34e20, size: 0x6a0 },
  RtlAllocateHeap: { rva: 0x3b4c0, size: 0x120 },
  RtlFreeHeap: { rva: 0x3c1f0, size: 0x110 },
  RtlpFreeHeapInternal: { rva: 0x3d300, size: 0x5c0 },
  RtlDebugAllocateHeap: { rva: 0x8f2b0, size: 0x260 },
  RtlDebugFreeHeap: { rva: 0x8f6a0, size: 0x230 },
};

/**
 * The symbol file of a module other than ntdll: no types, the given symbols (name → RVA, as
 * WinDbg displays the names, e.g. "Widget::`vftable'"), in the same ISF dialect as ntdll's.
 */
export function moduleIsf(arch: Arch, pdbName: string, symbols: Record<string, number>): Isf {
  return {
    metadata: {
      format: "6.1.0",
      producer: { name: "dxheap test writers", version: "1" },
      windows: { pdb: { database: pdbName, machine_type: arch === "x64" ? 0x8664 : 0x14c }, synthetic: true },
      note: "Public symbols of a test image's module; addresses are RVAs.",
    },
    base_types: baseTypes(arch === "x64" ? 8 : 4),
    user_types: {},
    enums: {},
    symbols: Object.fromEntries(Object.entries(symbols).map(([name, rva]) => [name, { address: rva }])),
  };
}
// --- end page heap and stack trace database -----------------------------------------------------

// ---------------------------------------------------------------------------------------------
// Assembling an ISF.

/** The types the images need (brief of this writer); their embedded types come along. */
const IMAGE_TYPES = [
  "_PEB",
  "_TEB",
  "_NT_TIB",
  "_LIST_ENTRY",
  "_HEAP",
  "_HEAP_SEGMENT",
  "_HEAP_ENTRY",
  "_HEAP_UNPACKED_ENTRY",
  "_HEAP_EXTENDED_ENTRY",
  "_HEAP_VIRTUAL_ALLOC_ENTRY",
  "_HEAP_UCR_DESCRIPTOR",
  "_HEAP_FREE_ENTRY",
  "_HEAP_ENTRY_EXTRA",
  "_HEAP_LIST_LOOKUP",
  "_HEAP_COUNTERS",
  "_HEAP_TUNING_PARAMETERS",
  "_RTL_HEAP_MEMORY_LIMIT_DATA",
  "_SEGMENT_HEAP",
  "_RTLP_HP_HEAP_GLOBALS",
  "_HEAP_SUBSEGMENT",
  "_HEAP_USERDATA_HEADER",
  ...SEGMENT_HEAP_TYPES,
];

/** _SEGMENT_HEAP keeps its size and only the members the images write (§1.9, §2.1). */
const SEGMENT_HEAP_FIELDS = [
  "Signature",
  "GlobalFlags",
  "ProcessHeapListIndex",
  "UserContext",
  "LargeAllocMetadata",
  "LargeReservedPages",
  "LargeCommittedPages",
  "MemStats",
  "SegContexts",
  "VsContext",
];

function baseTypes(pointerSize: 4 | 8): Isf["base_types"] {
  const sizes: [string, string, boolean, number][] = [
    ["HRESULT", "int", false, 4],
    ["char", "char", true, 1],
    ["double", "float", true, 8],
    ["f32", "float", true, 4],
    ["int", "int", true, 4],
    ["long", "int", true, 4],
    ["long long", "int", true, 8],
    ["pointer", "int", false, pointerSize],
    ["short", "int", true, 2],
    ["unsigned char", "char", false, 1],
    ["unsigned int", "int", false, 4],
    ["unsigned long", "int", false, 4],
    ["unsigned long long", "int", false, 8],
    ["unsigned short", "int", false, 2],
    ["void", "void", true, 0],
    ["wchar", "int", true, 2],
  ];
  const types: Isf["base_types"] = {};
  for (const [name, kind, signed, size] of sizes) types[name] = { endian: "little", kind, signed, size };
  return types;
}

/** The named struct/union/enum types a type embeds (pointers do not pull their targets in). */
function embeddedNames(type: IsfType, into: { types: Set<string>; enums: Set<string> }): void {
  switch (type.kind) {
    case "struct":
    case "union":
      into.types.add(type.name);
      break;
    case "enum":
      into.enums.add(type.name);
      break;
    case "array":
      embeddedNames(type.subtype, into);
      break;
    case "bitfield":
      embeddedNames(type.type, into);
      break;
  }
}

/** Pointers to types the subset leaves out become void pointers: the ISF stays self-contained. */
function withoutDanglingPointers(type: IsfType, kept: Record<string, IsfUserType>): IsfType {
  switch (type.kind) {
    case "pointer": {
      const target = type.subtype;
      if ((target.kind === "struct" || target.kind === "union") && !kept[target.name]) {
        return { kind: "pointer", subtype: base("void") };
      }
      return { kind: "pointer", subtype: withoutDanglingPointers(target, kept) };
    }
    case "array":
      return { ...type, subtype: withoutDanglingPointers(type.subtype, kept) };
    default:
      return type;
  }
}

/**
 * The types reachable from roots by embedding, taken from the tables first and the real ISF
 * (x64) second; a type neither has is an error.
 */
function closeOver(
  roots: string[],
  tables: Record<string, IsfUserType>,
  real: Isf | undefined,
): { types: Record<string, IsfUserType>; enums: Record<string, any> } {
  const types: Record<string, IsfUserType> = {};
  const enums: Record<string, any> = {};
  const pending = [...roots];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (types[name]) continue;
    const fromTable = tables[name];
    const fromReal = real?.user_types[name];
    if (fromTable && fromReal) throw new Error(`${name} is both in a table and in the real ISF`);
    const type = fromTable ?? (fromReal && structuredClone(fromReal));
    if (!type) throw new Error(`no layout for ${name}`);
    if (name === "_SEGMENT_HEAP") {
      for (const field of Object.keys(type.fields)) if (!SEGMENT_HEAP_FIELDS.includes(field)) delete type.fields[field];
    }
    types[name] = type;
    const found = { types: new Set<string>(), enums: new Set<string>() };
    for (const field of Object.values(type.fields)) embeddedNames(field.type, found);
    pending.push(...found.types);
    for (const enumName of found.enums) enums[enumName] = real!.enums[enumName];
  }
  for (const type of Object.values(types)) {
    for (const field of Object.values(type.fields)) field.type = withoutDanglingPointers(field.type, types);
  }
  return { types, enums };
}

function realIsf(build: number): Isf {
  const version = windowsRelease(build).version.join(".");
  const file = path.join(__dirname, "..", "fixtures", "layouts", `x64-${version}.isf.json`);
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

function tablesFor(arch: Arch, build: number): Table[] {
  if (arch === "x64") {
    // 7601: _HEAP_SUBSEGMENT/_HEAP_USERDATA_HEADER come from the real ISF (§1.0).
    const lfh = build >= 9200 ? WIN8_LFH_TABLES.map((t) => column(t, "x64")) : [];
    const win11_24h2 = build >= 26100 ? [RTLP_HEAP_COMMIT_LIMIT_DATA, RTLP_PROCESS_HEAP_DESCRIPTOR] : [];
    return [...lfh, ...win11_24h2];
  }
  const common = [
    X86_LIST_ENTRY,
    X86_SINGLE_LIST_ENTRY,
    X86_SLIST_HEADER,
    X86_NT_TIB,
    X86_HEAP_SEGMENT,
    X86_HEAP_VIRTUAL_ALLOC_ENTRY,
    X86_HEAP_UCR_DESCRIPTOR,
    X86_HEAP_ENTRY_EXTRA,
    X86_HEAP_LIST_LOOKUP,
    X86_HEAP_TUNING_PARAMETERS,
  ];
  if (build === 7601) {
    return [
      ...common,
      x86Peb(0x248), // [JPCERT-7601 _PEB32]
      x86Teb(0xfe4), // [JPCERT-7601 _TEB32]
      WIN7_X86_HEAP,
      WIN7_X86_HEAP_COUNTERS,
      { name: "_HEAP_ENTRY", size: 8, rows: WIN7_X86_ENTRY_ROWS },
      x86FreeEntry(WIN7_X86_ENTRY_ROWS),
      WIN7_X86_LFH_HEAP,
      WIN7_X86_HEAP_LOCAL_DATA,
      WIN7_X86_HEAP_LOCAL_SEGMENT_INFO,
      WIN7_X86_HEAP_SUBSEGMENT,
      WIN7_X86_INTERLOCK_SEQ,
      WIN7_X86_HEAP_USERDATA_HEADER,
      column(HEAP_BUCKET, "x86"), // the Windows 8+ table; for Windows 7 UNVERIFIED
      column(HEAP_BUCKET_COUNTERS, "x86"), // likewise
    ];
  }
  return [
    ...common,
    x86Peb(0x480), // [JPCERT-19041 _PEB32]
    x86Teb(0x1000, 0xfdc), // [JPCERT-19041 _TEB32]
    WIN10_X86_HEAP,
    WIN10_X86_HEAP_COUNTERS,
    X86_RTL_HEAP_MEMORY_LIMIT_DATA,
    { name: "_HEAP_ENTRY", size: 8, rows: WIN10_X86_ENTRY_ROWS },
    X86_HEAP_UNPACKED_ENTRY,
    X86_HEAP_EXTENDED_ENTRY,
    x86FreeEntry([...WIN10_X86_ENTRY_ROWS, ["HeapEntry", 0, embed("_HEAP_ENTRY")]]),
    X86_RTL_BITMAP,
    X86_SEGMENT_HEAP,
    X86_RTLP_HP_HEAP_GLOBALS,
    ...X86_SEGMENT_HEAP_TABLES,
    ...WIN8_LFH_TABLES.map((t) => column(t, "x86")),
  ];
}

function symbolsFor(arch: Arch, build: number, types: Record<string, IsfUserType>): Record<string, IsfSymbol> {
  const at = (name: keyof typeof SYMBOL_OFFSETS_IN_DATA) => NTDLL_IMAGE[arch].dataRva + SYMBOL_OFFSETS_IN_DATA[name];
  const symbols: Record<string, IsfSymbol> = {
    // u32 on Windows 8+ (§2.4, [MEMPROCFS]); that Windows 7 keeps the key in the same u32 global is
    // UNVERIFIED (§2.4 "Windows 7", [SYRINGE]).
    RtlpLFHKey: { address: at("RtlpLFHKey"), type: ULONG(arch) },
  };
  // Segment-heap keys (§1.9, [MEMPROCFS GetHeapKeys]); the images have segment heaps from 17763.
  if (types["_RTLP_HP_HEAP_GLOBALS"]) {
    symbols.RtlpHpHeapGlobals = { address: at("RtlpHpHeapGlobals"), type: embed("_RTLP_HP_HEAP_GLOBALS")(arch) };
  }
  // The process heap descriptor list head (§2.1, [DECOMP RtlpGetNextProcessHeapDescriptor]).
  if (build >= 26100) {
    symbols.RtlpProcessHeaps = { address: at("RtlpProcessHeaps"), type: embed("_LIST_ENTRY")(arch) };
  }
  // --- Page heap and stack trace database: §1.8 (RtlpStackTraceDataBase, UNVERIFIED beyond the
  // name), §2.1 item 3 and §6 (RtlpDphPageHeapList, RtlpDphPageHeapListInitialized, a BOOLEAN).
  symbols.RtlpStackTraceDataBase = { address: at("RtlpStackTraceDataBase"), type: ptrTo("_STACK_TRACE_DATABASE")(arch) };
  symbols.RtlpDphPageHeapList = { address: at("RtlpDphPageHeapList"), type: embed("_LIST_ENTRY")(arch) };
  symbols.RtlpDphPageHeapListInitialized = { address: at("RtlpDphPageHeapListInitialized"), type: UCHAR(arch) };
  for (const [name, { rva }] of Object.entries(NTDLL_FUNCTIONS)) symbols[name] = { address: rva };
  // --- end page heap and stack trace database
  return symbols;
}

function buildIsf(arch: Arch, build: number): Isf {
  const real = arch === "x64" ? realIsf(Math.min(build, 22000)) : undefined;
  const tables: Record<string, IsfUserType> = {};
  for (const table of [...tablesFor(arch, build), ...traceTables(arch, build)]) tables[table.name] = defineType(table, arch);
  const roots = [...IMAGE_TYPES, ...Object.keys(tables)].filter((name) => tables[name] || real?.user_types[name]);
  const { types, enums } = closeOver(roots, tables, real);
  if (arch === "x64" && build >= 26100) {
    for (const [field, offset, type] of HEAP_24H2_CHANGES) types["_HEAP"].fields[field] = { offset, type: type(arch) };
    for (const table of SEGMENT_HEAP_26100_TABLES) types[table.name] = defineType(table, arch);
  }
  const release = windowsRelease(build);
  return {
    metadata: {
      format: "6.1.0",
      producer: { name: "dxheap test writers", version: "1" },
      windows: {
        build,
        version: release.version.join("."),
        pdb: { database: "ntdll.pdb", machine_type: arch === "x64" ? 0x8664 : 0x14c },
        synthetic: arch === "x86" || build >= 26100,
      },
      note:
        arch === "x64"
          ? `Types of ntkrnlmp ${real!.metadata.windows.pdb.GUID} (JPCERTCC/Windows-Symbol-Tables, BSD-3-Clause)` +
            " plus ntdll-only types from tables; symbol addresses are RVAs of the test images' ntdll."
          : "x86 types from the tables of the dxheap research notes; symbol addresses are RVAs of the test images' ntdll.",
    },
    base_types: baseTypes(arch === "x64" ? 8 : 4),
    user_types: types,
    enums,
    symbols: symbolsFor(arch, build, types),
  };
}

// ---------------------------------------------------------------------------------------------
// The Layout: offsets looked up in the ISF itself.

class IsfLayout implements Layout {
  readonly pointerSize: 4 | 8;
  readonly granularity: 8 | 16;

  constructor(
    readonly arch: Arch,
    readonly build: number,
    readonly isf: Isf,
  ) {
    this.pointerSize = isf.base_types.pointer.size as 4 | 8;
    this.granularity = this.size("_HEAP_ENTRY") as 8 | 16;
  }

  off(type: string, fieldPath: string): number {
    let offset = 0;
    let current: IsfType = { kind: "struct", name: type };
    for (const part of fieldPath.split(".")) {
      if (current.kind !== "struct" && current.kind !== "union") {
        throw new Error(`${type}.${fieldPath}: ${part} is not inside a struct`);
      }
      const field: IsfField | undefined = this.userType(current.name).fields[part];
      if (!field) throw new Error(`${current.name} has no field ${part} (${this.arch} ${this.build})`);
      offset += field.offset;
      current = field.type;
    }
    return offset;
  }

  has(type: string, field: string): boolean {
    return this.isf.user_types[type]?.fields[field] !== undefined;
  }

  size(type: string): number {
    const size = this.isf.user_types[type]?.size ?? this.isf.base_types[type]?.size;
    if (size === undefined) throw new Error(`no type ${type} (${this.arch} ${this.build})`);
    return size;
  }

  private userType(name: string): IsfUserType {
    const type = this.isf.user_types[name];
    if (!type) throw new Error(`no type ${name} (${this.arch} ${this.build})`);
    return type;
  }
}

const layouts = new Map<string, Layout>();

/** The layout of ntdll for one (arch, build) of SUPPORTED_BUILDS; its isf is shared, do not modify it. */
export function layoutFor(arch: Arch, build: number): Layout {
  if (!SUPPORTED_BUILDS[arch].includes(build)) throw new Error(`no ${arch} layout for build ${build}`);
  const key = `${arch}-${build}`;
  let layout = layouts.get(key);
  if (!layout) {
    layout = new IsfLayout(arch, build, buildIsf(arch, build));
    layouts.set(key, layout);
  }
  return layout;
}
