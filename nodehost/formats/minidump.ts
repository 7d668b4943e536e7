// A minidump reader: the streams the Node host needs, each read as minidumpapiset.h lays it out
// (Microsoft Learn, "minidumpapiset.h" structures; the type names below are those of the header).
// Every read is checked against the file's size, so a truncated or corrupt file gives an Error
// that names what is wrong; every loop runs over a count that was checked against the file first.

/** MINIDUMP_SIGNATURE ('MDMP') and MINIDUMP_VERSION, the low word of MINIDUMP_HEADER.Version. */
export const MINIDUMP_SIGNATURE = 0x504d444d;
export const MINIDUMP_VERSION = 0xa793;

/** MINIDUMP_STREAM_TYPE values of the streams read here. */
export const StreamType = {
  ThreadList: 3,
  ModuleList: 4,
  MemoryList: 5,
  SystemInfo: 7,
  Memory64List: 9,
  MiscInfo: 15,
  MemoryInfoList: 16,
} as const;

/** MINIDUMP_SYSTEM_INFO.ProcessorArchitecture values (PROCESSOR_ARCHITECTURE_*). */
export const ProcessorArchitecture = { Intel: 0, Amd64: 9 } as const;

/** VS_FIXEDFILEINFO.dwSignature (verrsrc.h). */
export const VS_FIXEDFILEINFO_SIGNATURE = 0xfeef04bd;

/** MINIDUMP_MISC_INFO.Flags1 bit: ProcessId is valid. */
export const MINIDUMP_MISC1_PROCESS_ID = 0x1;

// Sizes of the fixed structures (minidumpapiset.h packs them to 4 bytes).
const HEADER_SIZE = 32; // MINIDUMP_HEADER
const DIRECTORY_ENTRY_SIZE = 12; // MINIDUMP_DIRECTORY
const SYSTEM_INFO_SIZE = 56; // MINIDUMP_SYSTEM_INFO, CPU_INFORMATION (24 bytes) included
const MODULE_SIZE = 108; // MINIDUMP_MODULE
const VS_FIXEDFILEINFO_OFFSET = 24; // MINIDUMP_MODULE.VersionInfo
const THREAD_SIZE = 48; // MINIDUMP_THREAD
const MEMORY_DESCRIPTOR_SIZE = 16; // MINIDUMP_MEMORY_DESCRIPTOR
const MEMORY64_LIST_HEADER_SIZE = 16; // MINIDUMP_MEMORY64_LIST without its descriptors
const MEMORY_DESCRIPTOR64_SIZE = 16; // MINIDUMP_MEMORY_DESCRIPTOR64
const MISC_INFO_PROCESS_ID_END = 12; // MINIDUMP_MISC_INFO up to and including ProcessId
const MEMORY_INFO_LIST_HEADER_SIZE = 16; // MINIDUMP_MEMORY_INFO_LIST: SizeOfHeader, SizeOfEntry, NumberOfEntries
const MEMORY_INFO_SIZE = 48; // MINIDUMP_MEMORY_INFO

/**
 * The thread CONTEXT of each processor (winnt.h, Microsoft Learn "CONTEXT structure"): its size,
 * where ContextFlags is, the flag naming the processor, and each register's offset, grouped by the
 * ContextFlags bit that says the group is valid (CONTEXT_CONTROL 0x1, CONTEXT_INTEGER 0x2,
 * CONTEXT_SEGMENTS 0x4). Register names are the ones dx shows under Registers.User.
 */
export const CONTEXT_LAYOUTS = {
  x64: {
    size: 0x4d0,
    flagsOffset: 0x30,
    processorFlag: 0x100000, // CONTEXT_AMD64
    groups: [
      { flag: 0x1, registers: { cs: [0x38, 2], ss: [0x42, 2], efl: [0x44, 4], rsp: [0x98, 8], rip: [0xf8, 8] } },
      {
        flag: 0x2,
        registers: {
          rax: [0x78, 8], rcx: [0x80, 8], rdx: [0x88, 8], rbx: [0x90, 8], rbp: [0xa0, 8], rsi: [0xa8, 8], rdi: [0xb0, 8],
          r8: [0xb8, 8], r9: [0xc0, 8], r10: [0xc8, 8], r11: [0xd0, 8], r12: [0xd8, 8], r13: [0xe0, 8], r14: [0xe8, 8], r15: [0xf0, 8],
        },
      },
      { flag: 0x4, registers: { ds: [0x3a, 2], es: [0x3c, 2], fs: [0x3e, 2], gs: [0x40, 2] } },
    ],
  },
  x86: {
    size: 0x2cc,
    flagsOffset: 0,
    processorFlag: 0x10000, // CONTEXT_i386
    groups: [
      { flag: 0x1, registers: { ebp: [0xb4, 4], eip: [0xb8, 4], cs: [0xbc, 4], efl: [0xc0, 4], esp: [0xc4, 4], ss: [0xc8, 4] } },
      { flag: 0x2, registers: { edi: [0x9c, 4], esi: [0xa0, 4], ebx: [0xa4, 4], edx: [0xa8, 4], ecx: [0xac, 4], eax: [0xb0, 4] } },
      { flag: 0x4, registers: { gs: [0x8c, 4], fs: [0x90, 4], es: [0x94, 4], ds: [0x98, 4] } },
    ],
  },
} as const satisfies Record<"x86" | "x64", ContextLayout>;

export interface ContextLayout {
  size: number;
  flagsOffset: number;
  processorFlag: number;
  groups: readonly { flag: number; registers: Readonly<Record<string, readonly [offset: number, size: 2 | 4 | 8]>> }[];
}

export interface MinidumpHeader {
  signature: number;
  version: number;
  numberOfStreams: number;
  streamDirectoryRva: number;
  checksum: number;
  timeDateStamp: number;
  /** MINIDUMP_TYPE flags the dump was written with. */
  flags: bigint;
}

/** One MINIDUMP_DIRECTORY entry: a stream's type and location in the file. */
export interface MinidumpStream {
  type: number;
  size: number;
  rva: number;
}

export interface MinidumpSystemInfo {
  processorArchitecture: number;
  processorLevel: number;
  processorRevision: number;
  numberOfProcessors: number;
  productType: number;
  majorVersion: number;
  minorVersion: number;
  buildNumber: number;
  platformId: number;
  /** The service pack, e.g. "Service Pack 1"; "" when none. */
  csdVersion: string;
}

export interface MinidumpModule {
  base: bigint;
  size: number;
  checksum: number;
  timeDateStamp: number;
  /** The full path, as the dump stores it. */
  name: string;
  /** File version "a.b.c.d" from VS_FIXEDFILEINFO, when its signature is present. */
  version?: string;
}

export interface MinidumpThread {
  id: number;
  suspendCount: number;
  priorityClass: number;
  priority: number;
  teb: bigint;
  stackStart: bigint;
  stackSize: number;
  /** The thread's CONTEXT, when the dump holds one (ThreadContext.DataSize is not 0). */
  context?: MinidumpContext;
}

export interface MinidumpContext {
  /** CONTEXT.ContextFlags: which register groups were saved. */
  flags: number;
  /** The registers of the groups flags names as valid, by the name dx shows (rip, rsp, ... or eip, esp, ...). */
  registers: Record<string, bigint>;
}

/** One MINIDUMP_MEMORY_INFO: a region as VirtualQuery describes it (MEMORY_BASIC_INFORMATION). */
export interface MinidumpMemoryInfo {
  base: bigint;
  allocationBase: bigint;
  allocationProtect: number;
  size: bigint;
  /** MEM_COMMIT 0x1000, MEM_RESERVE 0x2000, MEM_FREE 0x10000. */
  state: number;
  protect: number;
  /** MEM_PRIVATE 0x20000, MEM_MAPPED 0x40000, MEM_IMAGE 0x1000000. */
  type: number;
}

export interface MinidumpMemoryRange {
  start: bigint;
  /** A view into the dump's bytes. */
  data: Uint8Array;
}

export class Minidump {
  private constructor(
    readonly header: MinidumpHeader,
    readonly streams: MinidumpStream[],
    readonly systemInfo: MinidumpSystemInfo | undefined,
    readonly modules: MinidumpModule[],
    readonly threads: MinidumpThread[],
    /** Ranges of MemoryListStream and Memory64ListStream, sorted by start. */
    readonly memory: MinidumpMemoryRange[],
    /** From MiscInfoStream, when it is present and says ProcessId is valid. */
    readonly processId: number | undefined,
    /** MemoryInfoListStream's regions, or undefined when the dump has no such stream. */
    readonly memoryInfo: MinidumpMemoryInfo[] | undefined,
  ) {}

  get arch(): "x86" | "x64" | "unknown" {
    return architecture(this.systemInfo);
  }

  static parse(bytes: Uint8Array): Minidump {
    const file = new DumpReader(bytes);
    const header = readHeader(file);
    const streams = readDirectory(file, header);
    const single = (type: number): MinidumpStream | undefined => {
      const found = streams.filter((stream) => stream.type === type);
      if (found.length > 1) throw new Error(`minidump: ${found.length} streams of type ${type}; expected at most one`);
      return found[0];
    };
    const systemInfo = single(StreamType.SystemInfo);
    const moduleList = single(StreamType.ModuleList);
    const threadList = single(StreamType.ThreadList);
    const memoryList = single(StreamType.MemoryList);
    const memory64List = single(StreamType.Memory64List);
    const miscInfo = single(StreamType.MiscInfo);
    const memoryInfoList = single(StreamType.MemoryInfoList);
    const system = systemInfo && readSystemInfo(file, systemInfo);
    const memory = [
      ...(memoryList ? readMemoryList(file, memoryList) : []),
      ...(memory64List ? readMemory64List(file, memory64List) : []),
    ].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    return new Minidump(
      header,
      streams,
      system,
      moduleList ? readModuleList(file, moduleList) : [],
      threadList ? readThreadList(file, threadList, architecture(system)) : [],
      memory,
      miscInfo && readProcessId(file, miscInfo),
      memoryInfoList && readMemoryInfoList(file, memoryInfoList),
    );
  }
}

function architecture(systemInfo: MinidumpSystemInfo | undefined): "x86" | "x64" | "unknown" {
  switch (systemInfo?.processorArchitecture) {
    case ProcessorArchitecture.Intel:
      return "x86";
    case ProcessorArchitecture.Amd64:
      return "x64";
    default:
      return "unknown";
  }
}

/** Little-endian reads at file offsets, each checked to lie inside the file. */
class DumpReader {
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get size(): number {
    return this.bytes.byteLength;
  }

  /** Throws unless [offset, offset + length) lies inside the file; what names the data. */
  check(offset: number | bigint, length: number | bigint, what: string): void {
    if (BigInt(offset) + BigInt(length) > BigInt(this.size)) {
      throw new Error(`minidump: ${what} (0x${length.toString(16)} bytes at 0x${offset.toString(16)}) runs past the end of the file (0x${this.size.toString(16)} bytes)`);
    }
  }

  u8(offset: number): number {
    this.check(offset, 1, "a byte");
    return this.view.getUint8(offset);
  }
  u16(offset: number): number {
    this.check(offset, 2, "a 16-bit value");
    return this.view.getUint16(offset, true);
  }
  u32(offset: number): number {
    this.check(offset, 4, "a 32-bit value");
    return this.view.getUint32(offset, true);
  }
  u64(offset: number): bigint {
    this.check(offset, 8, "a 64-bit value");
    return this.view.getBigUint64(offset, true);
  }

  slice(offset: number, length: number, what: string): Uint8Array {
    this.check(offset, length, what);
    return this.bytes.subarray(offset, offset + length);
  }

  /** MINIDUMP_STRING: a ULONG32 byte length, then that many bytes of UTF-16LE (no terminator counted). */
  string(rva: number, what: string): string {
    this.check(rva, 4, `the length of ${what}`);
    const length = this.u32(rva);
    if (length % 2 !== 0) throw new Error(`minidump: ${what} at 0x${rva.toString(16)} has an odd byte length ${length}`);
    return new TextDecoder("utf-16le").decode(this.slice(rva + 4, length, what));
  }
}

function readHeader(file: DumpReader): MinidumpHeader {
  file.check(0, HEADER_SIZE, "the header");
  const header: MinidumpHeader = {
    signature: file.u32(0),
    version: file.u32(4),
    numberOfStreams: file.u32(8),
    streamDirectoryRva: file.u32(12),
    checksum: file.u32(16),
    timeDateStamp: file.u32(20),
    flags: file.u64(24),
  };
  if (header.signature !== MINIDUMP_SIGNATURE) {
    throw new Error(`minidump: bad signature 0x${header.signature.toString(16)} (expected 0x${MINIDUMP_SIGNATURE.toString(16)}, "MDMP")`);
  }
  if ((header.version & 0xffff) !== MINIDUMP_VERSION) {
    throw new Error(`minidump: unknown format version 0x${(header.version & 0xffff).toString(16)} (expected 0x${MINIDUMP_VERSION.toString(16)})`);
  }
  return header;
}

function readDirectory(file: DumpReader, header: MinidumpHeader): MinidumpStream[] {
  const { numberOfStreams: count, streamDirectoryRva: rva } = header;
  file.check(rva, count * DIRECTORY_ENTRY_SIZE, `the stream directory of ${count} entries`);
  const streams: MinidumpStream[] = [];
  for (let i = 0; i < count; i++) {
    const entry = rva + i * DIRECTORY_ENTRY_SIZE;
    // MINIDUMP_DIRECTORY: StreamType, then Location (MINIDUMP_LOCATION_DESCRIPTOR: DataSize, Rva).
    const stream = { type: file.u32(entry), size: file.u32(entry + 4), rva: file.u32(entry + 8) };
    file.check(stream.rva, stream.size, `stream ${i} (type ${stream.type})`);
    streams.push(stream);
  }
  return streams;
}

/** The entries of a list stream (ULONG32 count, then the array): where the first one is and how many there are. */
function listEntries(file: DumpReader, stream: MinidumpStream, entrySize: number, what: string): { first: number; count: number } {
  if (stream.size < 4) throw new Error(`minidump: ${what} stream of ${stream.size} bytes has no room for its count`);
  const count = file.u32(stream.rva);
  if (stream.size !== 4 + count * entrySize) {
    throw new Error(`minidump: ${what} stream is ${stream.size} bytes but says it holds ${count} entries of ${entrySize} bytes`);
  }
  return { first: stream.rva + 4, count };
}

function readSystemInfo(file: DumpReader, stream: MinidumpStream): MinidumpSystemInfo {
  if (stream.size < SYSTEM_INFO_SIZE) throw new Error(`minidump: SystemInfo stream is ${stream.size} bytes, expected ${SYSTEM_INFO_SIZE}`);
  const at = stream.rva;
  return {
    processorArchitecture: file.u16(at),
    processorLevel: file.u16(at + 2),
    processorRevision: file.u16(at + 4),
    numberOfProcessors: file.u8(at + 6),
    productType: file.u8(at + 7),
    majorVersion: file.u32(at + 8),
    minorVersion: file.u32(at + 12),
    buildNumber: file.u32(at + 16),
    platformId: file.u32(at + 20),
    csdVersion: file.string(file.u32(at + 24), "the CSD version string"),
  };
}

function readModuleList(file: DumpReader, stream: MinidumpStream): MinidumpModule[] {
  const { first, count } = listEntries(file, stream, MODULE_SIZE, "ModuleList");
  const modules: MinidumpModule[] = [];
  for (let i = 0; i < count; i++) {
    const at = first + i * MODULE_SIZE;
    modules.push({
      base: file.u64(at),
      size: file.u32(at + 8),
      checksum: file.u32(at + 12),
      timeDateStamp: file.u32(at + 16),
      name: file.string(file.u32(at + 20), `the name of module ${i}`),
      version: fileVersion(file, at + VS_FIXEDFILEINFO_OFFSET),
    });
  }
  return modules;
}

/** VS_FIXEDFILEINFO: dwSignature, dwStrucVersion, dwFileVersionMS, dwFileVersionLS, ... */
function fileVersion(file: DumpReader, at: number): string | undefined {
  if (file.u32(at) !== VS_FIXEDFILEINFO_SIGNATURE) return undefined;
  const high = file.u32(at + 8);
  const low = file.u32(at + 12);
  return [high >>> 16, high & 0xffff, low >>> 16, low & 0xffff].join(".");
}

function readThreadList(file: DumpReader, stream: MinidumpStream, arch: "x86" | "x64" | "unknown"): MinidumpThread[] {
  const { first, count } = listEntries(file, stream, THREAD_SIZE, "ThreadList");
  const threads: MinidumpThread[] = [];
  for (let i = 0; i < count; i++) {
    const at = first + i * THREAD_SIZE;
    // Stack is a MINIDUMP_MEMORY_DESCRIPTOR at +24, ThreadContext a location descriptor at +40.
    const stackSize = file.u32(at + 32);
    file.check(file.u32(at + 36), stackSize, `the stack of thread ${i}`);
    const contextSize = file.u32(at + 40);
    const contextRva = file.u32(at + 44);
    file.check(contextRva, contextSize, `the context of thread ${i}`);
    const thread: MinidumpThread = {
      id: file.u32(at),
      suspendCount: file.u32(at + 4),
      priorityClass: file.u32(at + 8),
      priority: file.u32(at + 12),
      teb: file.u64(at + 16),
      stackStart: file.u64(at + 24),
      stackSize,
    };
    if (contextSize !== 0) thread.context = readContext(file, contextRva, contextSize, arch, `the context of thread ${i}`);
    threads.push(thread);
  }
  return threads;
}

/** A CONTEXT of the dump's processor: its flags, and the registers of the groups they say were saved. */
function readContext(file: DumpReader, rva: number, size: number, arch: "x86" | "x64" | "unknown", what: string): MinidumpContext {
  if (arch === "unknown") throw new Error(`minidump: ${what} cannot be read without knowing the processor (no SystemInfo stream, or another processor)`);
  return parseContext(file.slice(rva, size, what), arch, what);
}

/**
 * A CONTEXT of arch laid out in bytes: in the file, or elsewhere (a WOW64 thread's x86 CONTEXT
 * saved in its 64-bit stack, nodehost/load.ts). Throws naming what when it is short or of another processor.
 */
export function parseContext(bytes: Uint8Array, arch: "x86" | "x64", what: string): MinidumpContext {
  const layout: ContextLayout = CONTEXT_LAYOUTS[arch];
  if (bytes.length < layout.size) throw new Error(`minidump: ${what} is 0x${bytes.length.toString(16)} bytes; an ${arch} CONTEXT is 0x${layout.size.toString(16)}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flags = view.getUint32(layout.flagsOffset, true);
  if ((flags & layout.processorFlag) === 0) {
    throw new Error(`minidump: ${what} has ContextFlags 0x${flags.toString(16)}, without the ${arch} processor flag 0x${layout.processorFlag.toString(16)}`);
  }
  const registers: Record<string, bigint> = {};
  for (const group of layout.groups) {
    if ((flags & group.flag) === 0) continue;
    for (const [name, [offset, width]] of Object.entries(group.registers)) {
      registers[name] = width === 8 ? view.getBigUint64(offset, true) : BigInt(width === 4 ? view.getUint32(offset, true) : view.getUint16(offset, true));
    }
  }
  return { flags, registers };
}

/** MINIDUMP_MEMORY_LIST: descriptors of StartOfMemoryRange and a location (DataSize, Rva) each. */
function readMemoryList(file: DumpReader, stream: MinidumpStream): MinidumpMemoryRange[] {
  const { first, count } = listEntries(file, stream, MEMORY_DESCRIPTOR_SIZE, "MemoryList");
  const ranges: MinidumpMemoryRange[] = [];
  for (let i = 0; i < count; i++) {
    const at = first + i * MEMORY_DESCRIPTOR_SIZE;
    const start = file.u64(at);
    const data = file.slice(file.u32(at + 12), file.u32(at + 8), `memory range ${i} of MemoryList`);
    ranges.push({ start: checkedStart(start, data.length, `memory range ${i} of MemoryList`), data });
  }
  return ranges;
}

/**
 * MINIDUMP_MEMORY64_LIST: a ULONG64 count, BaseRva (RVA64), then descriptors of
 * StartOfMemoryRange and DataSize (ULONG64 each); the data of all ranges lies back to back from BaseRva.
 */
function readMemory64List(file: DumpReader, stream: MinidumpStream): MinidumpMemoryRange[] {
  if (stream.size < MEMORY64_LIST_HEADER_SIZE) throw new Error(`minidump: Memory64List stream of ${stream.size} bytes has no room for its header`);
  const count = file.u64(stream.rva);
  const room = BigInt(stream.size - MEMORY64_LIST_HEADER_SIZE) / BigInt(MEMORY_DESCRIPTOR64_SIZE);
  if (count > room) throw new Error(`minidump: Memory64List says it holds ${count} ranges, its stream has room for ${room}`);
  let dataRva = file.u64(stream.rva + 8);
  const ranges: MinidumpMemoryRange[] = [];
  for (let i = 0; i < Number(count); i++) {
    const at = stream.rva + MEMORY64_LIST_HEADER_SIZE + i * MEMORY_DESCRIPTOR64_SIZE;
    const start = file.u64(at);
    const size = file.u64(at + 8);
    const what = `memory range ${i} of Memory64List`;
    file.check(dataRva, size, what);
    const data = file.slice(Number(dataRva), Number(size), what);
    ranges.push({ start: checkedStart(start, data.length, what), data });
    dataRva += size;
  }
  return ranges;
}

/**
 * MINIDUMP_MEMORY_INFO_LIST: SizeOfHeader, SizeOfEntry (ULONG32 each), NumberOfEntries (ULONG64),
 * then the entries, each SizeOfEntry bytes (later versions may grow them: only the known prefix is read).
 */
function readMemoryInfoList(file: DumpReader, stream: MinidumpStream): MinidumpMemoryInfo[] {
  if (stream.size < MEMORY_INFO_LIST_HEADER_SIZE) throw new Error(`minidump: MemoryInfoList stream of ${stream.size} bytes has no room for its header`);
  const headerSize = file.u32(stream.rva);
  const entrySize = file.u32(stream.rva + 4);
  const count = file.u64(stream.rva + 8);
  if (headerSize < MEMORY_INFO_LIST_HEADER_SIZE || entrySize < MEMORY_INFO_SIZE) {
    throw new Error(`minidump: MemoryInfoList has a ${headerSize}-byte header and ${entrySize}-byte entries; expected at least ${MEMORY_INFO_LIST_HEADER_SIZE} and ${MEMORY_INFO_SIZE}`);
  }
  const room = BigInt(Math.max(0, stream.size - headerSize)) / BigInt(entrySize);
  if (count > room) throw new Error(`minidump: MemoryInfoList says it holds ${count} entries, its stream has room for ${room}`);
  const regions: MinidumpMemoryInfo[] = [];
  for (let i = 0; i < Number(count); i++) {
    // BaseAddress, AllocationBase, AllocationProtect, __alignment1, RegionSize, State, Protect, Type, __alignment2.
    const at = stream.rva + headerSize + i * entrySize;
    regions.push({
      base: file.u64(at),
      allocationBase: file.u64(at + 8),
      allocationProtect: file.u32(at + 16),
      size: file.u64(at + 24),
      state: file.u32(at + 32),
      protect: file.u32(at + 36),
      type: file.u32(at + 40),
    });
  }
  return regions;
}

function checkedStart(start: bigint, size: number, what: string): bigint {
  if (start + BigInt(size) > 1n << 64n) throw new Error(`minidump: ${what} at 0x${start.toString(16)} runs past the end of the address space`);
  return start;
}

/** MINIDUMP_MISC_INFO: SizeOfInfo, Flags1, ProcessId, ... (later MISC_INFO_N versions only append). */
function readProcessId(file: DumpReader, stream: MinidumpStream): number | undefined {
  if (stream.size < MISC_INFO_PROCESS_ID_END) throw new Error(`minidump: MiscInfo stream of ${stream.size} bytes has no room for ProcessId`);
  const flags1 = file.u32(stream.rva + 4);
  return flags1 & MINIDUMP_MISC1_PROCESS_ID ? file.u32(stream.rva + 8) : undefined;
}
