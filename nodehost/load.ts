// Builds the TargetData the Node host serves from a minidump and the ISF symbol tables of its
// modules. The dump's own architecture is the target's, and its PEB is the one the first thread's
// TEB points to. A 64-bit dump of a WOW64 process (a 32-bit program on 64-bit Windows) also gives
// the 32-bit side that .effmach x86 shows: each thread's TEB32 and saved x86 registers and the
// PEB32, typed with the 32-bit ntdll's own types file (see wow64Side).
import * as fs from "fs";
import * as path from "path";
import { IsfTypes } from "./formats/isf";
import { Minidump, type MinidumpMemoryRange, type MinidumpModule, parseContext } from "./formats/minidump";
import type { TargetData, TargetModule, TargetRegion, TargetThread } from "./target";

/**
 * Reads X.dmp and, for each module whose key (see moduleKeys) has a file X.<key>.isf.json beside
 * the dump, that file as the module's types: samples/leaky-x64.dmp + samples/leaky-x64.ntdll.isf.json,
 * and samples/wow64-x64.ntdll_77a60000.isf.json for the 32-bit ntdll of samples/wow64-x64.dmp.
 * typesFiles names other files for some modules by key, e.g. { ntdll: "other.isf.json" }.
 */
export function loadTarget(dumpPath: string, typesFiles: Readonly<Record<string, string>> = {}): TargetData {
  const dump = fs.readFileSync(dumpPath);
  const parsed = Minidump.parse(new Uint8Array(dump.buffer, dump.byteOffset, dump.byteLength));
  const typesByKey = new Map<string, IsfTypes>();
  for (const key of moduleKeys(parsed.modules)) {
    const isfPath = typesFiles[key] ?? typesFilePath(dumpPath, key);
    if (!typesByKey.has(key) && fs.existsSync(isfPath)) typesByKey.set(key, IsfTypes.load(isfPath));
  }
  return target(parsed, typesByKey);
}

/** Where loadTarget looks for a module's types by default: X.dmp → X.<key>.isf.json beside it. */
export function typesFilePath(dumpPath: string, key: string): string {
  const { dir, name: stem } = path.parse(dumpPath);
  return path.join(dir, `${stem}.${key}.isf.json`);
}

/** typesByModule: each module's types by its key (see moduleKeys), e.g. { ntdll: ... }. */
export function targetFromDump(dmp: Uint8Array, typesByModule: Record<string, IsfTypes>): TargetData {
  return target(Minidump.parse(dmp), new Map(Object.entries(typesByModule)));
}

function target(dump: Minidump, typesByKey: Map<string, IsfTypes>): TargetData {
  const arch = dump.arch;
  if (arch === "unknown") {
    const found = dump.systemInfo ? `processor architecture ${dump.systemInfo.processorArchitecture}` : "no SystemInfo stream";
    throw new Error(`the dump is neither x86 nor x64 (${found})`);
  }
  const pointerSize = arch === "x64" ? 8 : 4;
  const wow64 = arch === "x64" && dump.modules.some((module) => /^wow64\.dll$/i.test(fileName(module.name)));

  const keys = moduleKeys(dump.modules);
  const modules: TargetModule[] = dump.modules.map((module, i) => {
    const name = fileName(module.name);
    const types = typesByKey.get(keys[i]);
    // A WOW64 process holds 32-bit modules too: their types have 4-byte pointers.
    if (types && types.pointerSize !== pointerSize && !(wow64 && types.pointerSize === 4)) {
      throw new Error(`the types of ${name} have ${types.pointerSize}-byte pointers, the ${arch} dump ${pointerSize}-byte ones`);
    }
    const renamed = keys[i] === path.win32.parse(name).name.toLowerCase() ? undefined : keys[i];
    return { name, ...(renamed ? { renamed } : {}), base: module.base, size: module.size, version: module.version, types };
  });
  for (const key of typesByKey.keys()) {
    if (!keys.includes(key)) throw new Error(`types were given for module '${key}', which the dump does not list`);
  }
  if (modules.length === 0) throw new Error("the dump lists no modules, so it names no process");

  const threads: TargetThread[] = dump.threads.map(({ id, teb, stackStart, stackSize, context }) => ({ id, teb, stackStart, stackSize, registers: context?.registers }));
  const regions = mergedRegions(dump.memory);
  const memoryInfo = dump.memoryInfo
    ?.map(({ base, size, state, protect, type }) => ({ base, size, state, protect, type }))
    .sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
  const ntdll = modules.find((module) => module.name.toLowerCase() === "ntdll.dll" && !module.renamed);
  return {
    arch,
    pointerSize,
    processId: dump.processId ?? 0,
    processName: modules[0].name,
    peb: processEnvironmentBlock(ntdll, threads[0]?.teb, regions),
    ...(wow64 ? wow64Side(ntdll!, modules[dump.modules.findIndex(isWow64Ntdll)], threads, regions) : {}),
    modules,
    threads,
    regions,
    memoryInfo,
  };
}

/**
 * The key each module's types go by, WinDbg's name of the module in lower case: its file name
 * without the extension ("ntdll"), with "_<base in 8 hex digits>" appended when an earlier module
 * of the list has that name ("ntdll_77a60000": the 32-bit ntdll of a WOW64 process's 64-bit dump,
 * as WinDbg's transcripts name it in both views; the 64-bit ntdll comes first in the list).
 */
function moduleKeys(modules: readonly MinidumpModule[]): string[] {
  const keys: string[] = [];
  for (const module of modules) {
    const stem = path.win32.parse(module.name).name.toLowerCase();
    keys.push(keys.includes(stem) ? `${stem}_${module.base.toString(16).padStart(8, "0")}` : stem);
  }
  return keys;
}

/** The 32-bit ntdll of a WOW64 process: ntdll.dll from the SysWOW64 directory (phnt's WOW64_SYSTEM_DIRECTORY). */
function isWow64Ntdll(module: MinidumpModule): boolean {
  return /(^|\\)syswow64\\ntdll\.dll$/i.test(module.name);
}

/**
 * The 32-bit side of a WOW64 process in a 64-bit dump (a dump listing wow64.dll, as LLDB's
 * minidump reader tells them). Each thread's TEB32 is at TEB64 + WowTebOffset where the 64-bit
 * _TEB has that field (Windows 10+), else at TEB64.NtTib.ExceptionList (Microsoft's "Thread
 * Environment Block (Debugging Notes)": Vista to 8.1); a thread whose TEB64 names none is not a
 * WOW64 thread. Its x86 registers are the CONTEXT at TEB64.TlsSlots[1] + 4 (WOW64_CONTEXT's
 * remarks; LLDB reads them there), when readable. The PEB32 is the first TEB32's
 * ProcessEnvironmentBlock, read with the 32-bit ntdll's types; without them there is no 32-bit side.
 */
function wow64Side(ntdll: TargetModule, ntdll32: TargetModule | undefined, threads: TargetThread[], regions: TargetRegion[]): Pick<TargetData, "wow64"> {
  const teb64 = ntdll.types!.userType("_TEB")!;
  const teb32 = ntdll32?.types?.userType("_TEB");
  const peb32Field = teb32?.field("ProcessEnvironmentBlock");
  if (!ntdll32 || !peb32Field) return {};
  const wowTebOffset = teb64.field("WowTebOffset");
  const exceptionList = teb64.field("NtTib")!.offset + ntdll.types!.userType("_NT_TIB")!.field("ExceptionList")!.offset;
  const tlsSlots = teb64.field("TlsSlots")!.offset;
  for (const thread of threads) {
    const offset = wowTebOffset ? readSigned32(regions, thread.teb + BigInt(wowTebOffset.offset)) : undefined;
    const teb = offset !== undefined ? (offset > 0 ? thread.teb + BigInt(offset) : undefined) : readUnsigned(regions, thread.teb + BigInt(exceptionList), 8);
    if (!teb) continue;
    const cpuArea = readUnsigned(regions, thread.teb + BigInt(tlsSlots + 8), 8);
    const context = cpuArea ? readBytes(regions, cpuArea + 4n, CONTEXT_X86_SIZE) : undefined;
    const registers = context && savedRegisters(context, thread.id);
    thread.wow64 = { teb, ...(registers ? { registers } : {}) };
  }
  const first = threads[0]?.wow64;
  const peb = first && readUnsigned(regions, first.teb + BigInt(peb32Field.offset), 4);
  return peb ? { wow64: { peb, ntdll: ntdll32.renamed ?? "ntdll" } } : {};
}

/**
 * The x86 registers of a thread's CPU area. The area is process memory, not a dump stream: one
 * that is not an x86 CONTEXT (damaged, or not there yet) gives the thread no saved registers
 * rather than a dump the host refuses.
 */
function savedRegisters(context: Uint8Array, threadId: number): Record<string, bigint> | undefined {
  try {
    return parseContext(context, "x86", `the WOW64 context of thread ${threadId}`).registers;
  } catch {
    return undefined;
  }
}

/** sizeof(CONTEXT) of x86 (winnt.h). */
const CONTEXT_X86_SIZE = 0x2cc;

/** "C:\\Windows\\System32\\ntdll.dll" → "ntdll.dll". */
function fileName(fullPath: string): string {
  return path.win32.basename(fullPath);
}

/** The dump's ranges (sorted by start) as regions: adjacent ones merged, overlapping ones refused. */
function mergedRegions(ranges: MinidumpMemoryRange[]): TargetRegion[] {
  const runs: { base: bigint; end: bigint; parts: Uint8Array[] }[] = [];
  for (const range of ranges) {
    if (range.data.length === 0) continue;
    const end = range.start + BigInt(range.data.length);
    const last = runs[runs.length - 1];
    if (last && range.start < last.end) {
      throw new Error(`the dump's memory ranges overlap: 0x${range.start.toString(16)} starts before 0x${last.end.toString(16)}, the end of the range before it`);
    }
    if (last && range.start === last.end) {
      last.parts.push(range.data);
      last.end = end;
    } else {
      runs.push({ base: range.start, end, parts: [range.data] });
    }
  }
  return runs.map(({ base, parts }) => ({ base, bytes: parts.length === 1 ? parts[0] : concatenated(parts) }));
}

function concatenated(parts: Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

/** _TEB.ProcessEnvironmentBlock of the first thread, at the offset ntdll's types give. */
function processEnvironmentBlock(ntdll: TargetModule | undefined, teb: bigint | undefined, regions: TargetRegion[]): bigint {
  if (!ntdll) throw new Error("the dump lists no ntdll module, whose types locate the PEB");
  if (!ntdll.types) throw new Error("ntdll has no types (no ntdll ISF file was given), and they are needed to find the PEB");
  const field = ntdll.types.userType("_TEB")?.field("ProcessEnvironmentBlock");
  if (!field) throw new Error("ntdll's types have no _TEB.ProcessEnvironmentBlock, which locates the PEB");
  if (teb === undefined) throw new Error("the dump has no threads, so no TEB to find the PEB from");
  const peb = readUnsigned(regions, teb + BigInt(field.offset), ntdll.types.pointerSize);
  if (peb === undefined) throw new Error(`the TEB of the first thread (0x${teb.toString(16)}) is not in the dump's memory, so the PEB cannot be found`);
  return peb;
}

/** length bytes at address when one region holds them all. */
function readBytes(regions: TargetRegion[], address: bigint, length: number): Uint8Array | undefined {
  const region = regions.find((r) => r.base <= address && address + BigInt(length) <= r.base + BigInt(r.bytes.length));
  if (!region) return undefined;
  const offset = Number(address - region.base);
  return region.bytes.subarray(offset, offset + length);
}

/** A little-endian unsigned integer of size bytes, when readable. */
function readUnsigned(regions: TargetRegion[], address: bigint, size: 4 | 8): bigint | undefined {
  const bytes = readBytes(regions, address, size);
  if (!bytes) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, size);
  return size === 8 ? view.getBigUint64(0, true) : BigInt(view.getUint32(0, true));
}

function readSigned32(regions: TargetRegion[], address: bigint): number | undefined {
  const bytes = readBytes(regions, address, 4);
  return bytes && new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0, true);
}
