// Writes a test image as a minidump, the structures laid out as minidumpapiset.h declares them
// (Microsoft Learn, minidumpapiset.h; CONTEXT sizes and flags from winnt.h; VS_FIXEDFILEINFO from
// verrsrc.h). Streams: SystemInfo, ModuleList, ThreadList, MiscInfo, MemoryInfoList, and
// MemoryList or Memory64List (its data one block at the end of the file, as full-memory dumps
// have it).
// Independent of nodehost/formats/minidump.ts on purpose: the tests check each against the other,
// and the reader against dumps Windows wrote. Nothing here imports from src/.
import type { MinidumpSpec, MinidumpSpecMemoryInfo, MinidumpSpecModule, MinidumpSpecRange, MinidumpSpecThread } from "./minidump-spec";

const MINIDUMP_SIGNATURE = 0x504d444d; // "MDMP"
const MINIDUMP_VERSION = 0xa793; // the low word of Version; the high word is implementation specific

/** MINIDUMP_STREAM_TYPE. */
const ThreadListStream = 3;
const ModuleListStream = 4;
const MemoryListStream = 5;
const SystemInfoStream = 7;
const Memory64ListStream = 9;
const MiscInfoStream = 15;
const MemoryInfoListStream = 16;
const STREAM_COUNT = 6;

/** MINIDUMP_TYPE flags in the header: what the dump holds. */
const MiniDumpNormal = 0n;
const MiniDumpWithFullMemory = 0x2n;

// Structure sizes; minidumpapiset.h packs its structures to 4 bytes.
const HEADER_SIZE = 32; // MINIDUMP_HEADER
const DIRECTORY_ENTRY_SIZE = 12; // MINIDUMP_DIRECTORY
const SYSTEM_INFO_SIZE = 56; // MINIDUMP_SYSTEM_INFO
const CPU_INFORMATION_SIZE = 24;
const MODULE_SIZE = 108; // MINIDUMP_MODULE
const THREAD_SIZE = 48; // MINIDUMP_THREAD
const MISC_INFO_SIZE = 24; // MINIDUMP_MISC_INFO
const MEMORY_DESCRIPTOR_SIZE = 16; // MINIDUMP_MEMORY_DESCRIPTOR
const MEMORY_DESCRIPTOR64_SIZE = 16; // MINIDUMP_MEMORY_DESCRIPTOR64
const MEMORY64_LIST_HEADER_SIZE = 16; // NumberOfMemoryRanges and BaseRva of MINIDUMP_MEMORY64_LIST
const MEMORY_INFO_LIST_HEADER_SIZE = 16; // SizeOfHeader, SizeOfEntry, NumberOfEntries of MINIDUMP_MEMORY_INFO_LIST
const MEMORY_INFO_SIZE = 48; // MINIDUMP_MEMORY_INFO

/** Every structure starts 8-byte aligned: the format needs 4, and 8 suits the ULONG64 members. */
const ALIGNMENT = 8;

/** PROCESSOR_ARCHITECTURE_INTEL and PROCESSOR_ARCHITECTURE_AMD64. */
const PROCESSOR_ARCHITECTURE = { x86: 0, x64: 9 } as const;
const VER_PLATFORM_WIN32_NT = 2;
const VER_NT_WORKSTATION = 1;
/** A Pentium Pro class processor level, as x86 and x64 machines report. */
const PROCESSOR_LEVEL = 6;

/**
 * The thread CONTEXT (winnt.h; Microsoft Learn "CONTEXT structure"): its size, where ContextFlags
 * is, and each register's offset and width. ContextFlags is written as the processor's flag
 * (CONTEXT_i386 0x10000, CONTEXT_AMD64 0x100000) with CONTEXT_CONTROL | CONTEXT_INTEGER |
 * CONTEXT_SEGMENTS (0x7): every register below is valid, the rest of the CONTEXT is zero.
 */
const CONTEXT = {
  x64: {
    size: 0x4d0,
    flagsOffset: 0x30,
    flags: 0x100000 | 0x7,
    registers: {
      cs: [0x38, 2], ds: [0x3a, 2], es: [0x3c, 2], fs: [0x3e, 2], gs: [0x40, 2], ss: [0x42, 2], efl: [0x44, 4],
      rax: [0x78, 8], rcx: [0x80, 8], rdx: [0x88, 8], rbx: [0x90, 8], rsp: [0x98, 8], rbp: [0xa0, 8], rsi: [0xa8, 8], rdi: [0xb0, 8],
      r8: [0xb8, 8], r9: [0xc0, 8], r10: [0xc8, 8], r11: [0xd0, 8], r12: [0xd8, 8], r13: [0xe0, 8], r14: [0xe8, 8], r15: [0xf0, 8],
      rip: [0xf8, 8],
    },
  },
  x86: {
    size: 0x2cc,
    flagsOffset: 0,
    flags: 0x10000 | 0x7,
    registers: {
      gs: [0x8c, 4], fs: [0x90, 4], es: [0x94, 4], ds: [0x98, 4],
      edi: [0x9c, 4], esi: [0xa0, 4], ebx: [0xa4, 4], edx: [0xa8, 4], ecx: [0xac, 4], eax: [0xb0, 4],
      ebp: [0xb4, 4], eip: [0xb8, 4], cs: [0xbc, 4], efl: [0xc0, 4], esp: [0xc4, 4], ss: [0xc8, 4],
    },
  },
} as const satisfies Record<"x86" | "x64", { size: number; flagsOffset: number; flags: number; registers: Record<string, readonly [number, 2 | 4 | 8]> }>;

/** MEMORY_BASIC_INFORMATION values (winnt.h) of the regions written for dumped memory. */
const MEM_COMMIT = 0x1000;
const MEM_PRIVATE = 0x20000;
const PAGE_READWRITE = 0x04;

/** VS_FIXEDFILEINFO (verrsrc.h). */
const VS_FFI_SIGNATURE = 0xfeef04bd;
const VS_FFI_STRUCVERSION = 0x10000;
const VS_FFI_FILEFLAGSMASK = 0x3f;
const VOS_NT_WINDOWS32 = 0x40004;
const VFT_APP = 1;
const VFT_DLL = 2;

const MINIDUMP_MISC1_PROCESS_ID = 0x1;
const NORMAL_PRIORITY_CLASS = 0x20;

/** MINIDUMP_LOCATION_DESCRIPTOR: where a structure lies in the file. */
interface Location {
  rva: number;
  size: number;
}

export function writeMinidump(spec: MinidumpSpec): Uint8Array {
  checkSpec(spec);

  // First every structure's place, so that each RVA is known before anything is written.
  const file = new FilePlan();
  const header = file.reserve(HEADER_SIZE);
  const directory = file.reserve(STREAM_COUNT * DIRECTORY_ENTRY_SIZE);
  const systemInfo = file.reserve(SYSTEM_INFO_SIZE);
  const csdVersion = file.reserve(stringSize(spec.csdVersion));
  const moduleList = file.reserve(4 + spec.modules.length * MODULE_SIZE);
  const moduleNames = spec.modules.map((module) => file.reserve(stringSize(module.name)));
  const threadList = file.reserve(4 + spec.threads.length * THREAD_SIZE);
  const contexts = spec.threads.map((thread) => (thread.registers ? file.reserve(CONTEXT[spec.arch].size) : NOWHERE));
  const miscInfo = file.reserve(MISC_INFO_SIZE);
  const regions = spec.memoryInfo ?? spec.memory.map(dumpedRegion);
  const memoryInfoList = file.reserve(MEMORY_INFO_LIST_HEADER_SIZE + regions.length * MEMORY_INFO_SIZE);
  const memory = spec.memoryList === "memory64" ? planMemory64List(file, spec.memory) : planMemoryList(file, spec.memory);

  const out = new FileWriter(file.size);
  out.struct(header, (w) => {
    w.u32(MINIDUMP_SIGNATURE).u32(MINIDUMP_VERSION).u32(STREAM_COUNT).u32(directory.rva);
    w.u32(0).u32(0); // CheckSum (may be zero), TimeDateStamp
    w.u64(spec.memoryList === "memory64" ? MiniDumpWithFullMemory : MiniDumpNormal);
  });
  out.struct(directory, (w) => {
    const streams: [number, Location][] = [
      [SystemInfoStream, systemInfo],
      [ModuleListStream, moduleList],
      [ThreadListStream, threadList],
      [MiscInfoStream, miscInfo],
      [MemoryInfoListStream, memoryInfoList],
      [memory.streamType, memory.list],
    ];
    for (const [type, location] of streams) w.u32(type).location(location);
  });
  out.struct(systemInfo, (w) => {
    w.u16(PROCESSOR_ARCHITECTURE[spec.arch]).u16(PROCESSOR_LEVEL).u16(0); // ProcessorRevision
    w.u8(1).u8(VER_NT_WORKSTATION); // NumberOfProcessors, ProductType
    w.u32(spec.majorVersion).u32(spec.minorVersion).u32(spec.buildNumber).u32(VER_PLATFORM_WIN32_NT);
    w.u32(csdVersion.rva).u16(0).u16(0); // CSDVersionRva, SuiteMask, Reserved2
    w.zeros(CPU_INFORMATION_SIZE);
  });
  out.struct(csdVersion, (w) => w.string(spec.csdVersion));
  out.struct(moduleList, (w) => {
    w.u32(spec.modules.length);
    spec.modules.forEach((module, i) => writeModule(w, module, moduleNames[i]));
  });
  spec.modules.forEach((module, i) => out.struct(moduleNames[i], (w) => w.string(module.name)));
  out.struct(threadList, (w) => {
    w.u32(spec.threads.length);
    spec.threads.forEach((thread, i) => writeThread(w, thread, stackLocation(thread, spec.memory, memory.data), contexts[i]));
  });
  spec.threads.forEach((thread, i) => {
    if (thread.registers) out.bytesAt(contexts[i], contextBytes(spec.arch, thread.registers));
  });
  out.struct(miscInfo, (w) => {
    w.u32(MISC_INFO_SIZE).u32(MINIDUMP_MISC1_PROCESS_ID).u32(spec.processId);
    w.u32(0).u32(0).u32(0); // ProcessCreateTime, ProcessUserTime, ProcessKernelTime
  });
  out.struct(memoryInfoList, (w) => {
    w.u32(MEMORY_INFO_LIST_HEADER_SIZE).u32(MEMORY_INFO_SIZE).u64(BigInt(regions.length));
    for (const r of regions) {
      w.u64(r.base).u64(r.allocationBase).u32(r.allocationProtect).u32(0); // ..., __alignment1
      w.u64(r.size).u32(r.state).u32(r.protect).u32(r.type).u32(0); // ..., __alignment2
    }
  });
  memory.write(out);
  return out.bytes;
}

/** A location descriptor for "not in the file": a thread without a CONTEXT. */
const NOWHERE: Location = { rva: 0, size: 0 };

/** What a full-memory dump's MemoryInfoList says of memory it dumped: committed, private, read-write. */
function dumpedRegion(range: MinidumpSpecRange): MinidumpSpecMemoryInfo {
  const size = BigInt(range.data.length);
  return { base: range.start, allocationBase: range.start, allocationProtect: PAGE_READWRITE, size, state: MEM_COMMIT, protect: PAGE_READWRITE, type: MEM_PRIVATE };
}

/** The CONTEXT of arch holding registers (every register of the architecture); also a WOW64 thread's saved x86 CONTEXT (wow64.ts). */
export function contextBytes(arch: "x86" | "x64", registers: Record<string, bigint>): Uint8Array {
  const layout = CONTEXT[arch];
  const bytes = new Uint8Array(layout.size);
  const view = new DataView(bytes.buffer);
  view.setUint32(layout.flagsOffset, layout.flags, true);
  for (const [name, [offset, width]] of Object.entries(layout.registers)) {
    const value = registers[name];
    if (value < 0n || value >= 1n << BigInt(8 * width)) throw new RangeError(`writeMinidump: register ${name} = 0x${value.toString(16)} does not fit in ${width} bytes`);
    if (width === 8) view.setBigUint64(offset, value, true);
    else if (width === 4) view.setUint32(offset, Number(value), true);
    else view.setUint16(offset, Number(value), true);
  }
  return bytes;
}

interface MemoryPlan {
  streamType: number;
  list: Location;
  /** Where each range's bytes lie in the file. */
  data: Location[];
  write(out: FileWriter): void;
}

/** MINIDUMP_MEMORY64_LIST: count, BaseRva, (start, size) descriptors; the data back to back from BaseRva. */
function planMemory64List(file: FilePlan, ranges: MinidumpSpecRange[]): MemoryPlan {
  const list = file.reserve(MEMORY64_LIST_HEADER_SIZE + ranges.length * MEMORY_DESCRIPTOR64_SIZE);
  const block = file.reserve(ranges.reduce((total, range) => total + range.data.length, 0));
  let next = block.rva;
  const data = ranges.map((range) => {
    const location = { rva: next, size: range.data.length };
    next += range.data.length;
    return location;
  });
  return {
    streamType: Memory64ListStream,
    list,
    data,
    write(out) {
      out.struct(list, (w) => {
        w.u64(BigInt(ranges.length)).u64(BigInt(block.rva));
        for (const range of ranges) w.u64(range.start).u64(BigInt(range.data.length));
      });
      out.struct(block, (w) => ranges.forEach((range) => w.bytes(range.data)));
    },
  };
}

/** MINIDUMP_MEMORY_LIST: count, then (start, location) descriptors; each range's data where its location says. */
function planMemoryList(file: FilePlan, ranges: MinidumpSpecRange[]): MemoryPlan {
  const list = file.reserve(4 + ranges.length * MEMORY_DESCRIPTOR_SIZE);
  const data = ranges.map((range) => file.reserve(range.data.length));
  return {
    streamType: MemoryListStream,
    list,
    data,
    write(out) {
      out.struct(list, (w) => {
        w.u32(ranges.length);
        ranges.forEach((range, i) => w.u64(range.start).location(data[i]));
      });
      ranges.forEach((range, i) => out.struct(data[i], (w) => w.bytes(range.data)));
    },
  };
}

function writeModule(w: StructWriter, module: MinidumpSpecModule, name: Location): void {
  w.u64(module.base).u32(module.size).u32(module.checksum).u32(module.timeDateStamp).u32(name.rva);
  // VS_FIXEDFILEINFO, the product version the same as the file version.
  const [major, minor, build, revision] = module.version;
  const versionMS = ((major << 16) | minor) >>> 0;
  const versionLS = ((build << 16) | revision) >>> 0;
  const fileType = /\.exe$/i.test(module.name) ? VFT_APP : VFT_DLL;
  w.u32(VS_FFI_SIGNATURE).u32(VS_FFI_STRUCVERSION).u32(versionMS).u32(versionLS).u32(versionMS).u32(versionLS);
  w.u32(VS_FFI_FILEFLAGSMASK).u32(0).u32(VOS_NT_WINDOWS32).u32(fileType).u32(0); // flags mask, flags, OS, type, subtype
  w.u32(0).u32(0); // dwFileDateMS, dwFileDateLS
  w.location({ rva: 0, size: 0 }).location({ rva: 0, size: 0 }); // CvRecord, MiscRecord: none
  w.u64(0n).u64(0n); // Reserved0, Reserved1
}

function writeThread(w: StructWriter, thread: MinidumpSpecThread, stack: Location, context: Location): void {
  w.u32(thread.id).u32(0).u32(NORMAL_PRIORITY_CLASS).u32(0); // ThreadId, SuspendCount, PriorityClass, Priority
  w.u64(thread.teb);
  w.u64(thread.stackStart).location(stack); // Stack: MINIDUMP_MEMORY_DESCRIPTOR
  w.location(context);
}

/** The stack's bytes inside the dumped memory: the thread's Stack descriptor points there. */
function stackLocation(thread: MinidumpSpecThread, ranges: MinidumpSpecRange[], data: Location[]): Location {
  const stackEnd = thread.stackStart + BigInt(thread.stackSize);
  const index = ranges.findIndex((range) => range.start <= thread.stackStart && stackEnd <= range.start + BigInt(range.data.length));
  if (index < 0) throw new Error(`writeMinidump: the stack of thread ${thread.id} (0x${thread.stackStart.toString(16)}, 0x${thread.stackSize.toString(16)} bytes) is not inside one memory range`);
  return { rva: data[index].rva + Number(thread.stackStart - ranges[index].start), size: thread.stackSize };
}

function checkSpec(spec: MinidumpSpec): void {
  spec.memory.forEach((range, i) => {
    const previous = spec.memory[i - 1];
    if (previous && range.start < previous.start + BigInt(previous.data.length)) {
      throw new Error(`writeMinidump: memory range 0x${range.start.toString(16)} is out of order or overlaps the one before`);
    }
  });
  spec.memoryInfo?.forEach((region, i) => {
    const previous = spec.memoryInfo![i - 1];
    if (previous && region.base < previous.base + previous.size) {
      throw new Error(`writeMinidump: memory info region 0x${region.base.toString(16)} is out of order or overlaps the one before`);
    }
  });
  const names = Object.keys(CONTEXT[spec.arch].registers).sort();
  for (const thread of spec.threads) {
    if (!thread.registers) continue;
    const given = Object.keys(thread.registers).sort();
    if (given.join() !== names.join()) {
      throw new Error(`writeMinidump: thread ${thread.id} should give the ${spec.arch} registers ${names.join(", ")}; it gives ${given.join(", ")}`);
    }
  }
  for (const module of spec.modules) {
    if (module.version.length !== 4 || module.version.some((part) => !Number.isInteger(part) || part < 0 || part > 0xffff)) {
      throw new Error(`writeMinidump: the version of ${module.name} should be four 16-bit numbers, not ${module.version.join(".")}`);
    }
  }
}

/** MINIDUMP_STRING: ULONG32 byte length, the UTF-16LE text, and a terminating null Length does not count. */
function stringSize(text: string): number {
  return 4 + 2 * text.length + 2;
}

/** Places structures one after another, each aligned. */
class FilePlan {
  size = 0;

  reserve(size: number): Location {
    const rva = Math.ceil(this.size / ALIGNMENT) * ALIGNMENT;
    this.size = rva + size;
    return { rva, size };
  }
}

class FileWriter {
  readonly bytes: Uint8Array;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }

  /** Writes bytes exactly filling location. */
  bytesAt(location: Location, data: Uint8Array): void {
    this.struct(location, (w) => w.bytes(data));
  }

  /** Writes the structure at location; it must fill exactly the size planned for it. */
  struct(location: Location, write: (w: StructWriter) => void): void {
    const writer = new StructWriter(this.bytes, location);
    write(writer);
    writer.checkFilled();
  }
}

/** Little-endian fields written in declaration order, with range checks on every value. */
class StructWriter {
  private readonly view: DataView;
  private offset: number;

  constructor(private readonly target: Uint8Array, private readonly place: Location) {
    this.view = new DataView(target.buffer, target.byteOffset, target.byteLength);
    this.offset = place.rva;
  }

  u8(value: number): this {
    this.view.setUint8(this.next(1), fitting(value, 0xff));
    return this;
  }
  u16(value: number): this {
    this.view.setUint16(this.next(2), fitting(value, 0xffff), true);
    return this;
  }
  u32(value: number): this {
    this.view.setUint32(this.next(4), fitting(value, 0xffff_ffff), true);
    return this;
  }
  u64(value: bigint): this {
    if (value < 0n || value >= 1n << 64n) throw new RangeError(`writeMinidump: ${value} does not fit in 64 bits`);
    this.view.setBigUint64(this.next(8), value, true);
    return this;
  }
  /** MINIDUMP_LOCATION_DESCRIPTOR: DataSize, then Rva. */
  location(location: Location): this {
    return this.u32(location.size).u32(location.rva);
  }
  string(text: string): this {
    this.u32(2 * text.length);
    for (let i = 0; i < text.length; i++) this.u16(text.charCodeAt(i));
    return this.u16(0);
  }
  bytes(data: Uint8Array): this {
    this.target.set(data, this.next(data.length));
    return this;
  }
  zeros(count: number): this {
    this.next(count);
    return this;
  }

  checkFilled(): void {
    const written = this.offset - this.place.rva;
    if (written !== this.place.size) throw new Error(`writeMinidump: wrote ${written} bytes of a ${this.place.size}-byte structure`);
  }

  /** Where the next size bytes go; checks they stay inside the structure. */
  private next(size: number): number {
    const at = this.offset;
    if (at + size > this.place.rva + this.place.size) throw new Error(`writeMinidump: a structure overruns its ${this.place.size} bytes`);
    this.offset += size;
    return at;
  }
}

function fitting(value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`writeMinidump: ${value} does not fit in 0..0x${max.toString(16)}`);
  return value;
}
