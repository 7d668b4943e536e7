// Builds the TargetData the Node host serves from a minidump and the ISF symbol tables of its
// modules. WOW64 dumps (a 32-bit process seen through a 64-bit dump, two ntdlls, two PEBs) are
// out of scope for now: the dump's own architecture is the target's, and its PEB is the one the
// first thread's TEB of that architecture points to.
import * as fs from "fs";
import * as path from "path";
import { IsfTypes } from "./formats/isf";
import { Minidump, type MinidumpMemoryRange } from "./formats/minidump";
import type { TargetData, TargetModule, TargetRegion } from "./target";

/**
 * Reads X.dmp and, for each module whose key (see moduleKey) has a file X.<key>.isf.json beside
 * the dump, that file as the module's types: samples/leaky-x64.dmp + samples/leaky-x64.ntdll.isf.json.
 * typesFiles names other files for some modules by key, e.g. { ntdll: "other.isf.json" }.
 */
export function loadTarget(dumpPath: string, typesFiles: Readonly<Record<string, string>> = {}): TargetData {
  const dump = fs.readFileSync(dumpPath);
  const parsed = Minidump.parse(new Uint8Array(dump.buffer, dump.byteOffset, dump.byteLength));
  const typesByKey = new Map<string, IsfTypes>();
  for (const module of parsed.modules) {
    const key = moduleKey(module.name);
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

/** typesByModule: each module's types by its key (see moduleKey), e.g. { ntdll: ... }. */
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

  const modules: TargetModule[] = dump.modules.map((module) => {
    const name = fileName(module.name);
    const types = typesByKey.get(moduleKey(name));
    if (types && types.pointerSize !== pointerSize) {
      throw new Error(`the types of ${name} have ${types.pointerSize}-byte pointers, the ${arch} dump ${pointerSize}-byte ones`);
    }
    return { name, base: module.base, size: module.size, version: module.version, types };
  });
  for (const key of typesByKey.keys()) {
    if (!modules.some((module) => moduleKey(module.name) === key)) throw new Error(`types were given for module '${key}', which the dump does not list`);
  }
  if (modules.length === 0) throw new Error("the dump lists no modules, so it names no process");

  const threads = dump.threads.map(({ id, teb, stackStart, stackSize, context }) => ({ id, teb, stackStart, stackSize, registers: context?.registers }));
  const regions = mergedRegions(dump.memory);
  const memoryInfo = dump.memoryInfo
    ?.map(({ base, size, state, protect, type }) => ({ base, size, state, protect, type }))
    .sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
  return {
    arch,
    pointerSize,
    processId: dump.processId ?? 0,
    processName: modules[0].name,
    peb: processEnvironmentBlock(modules, threads[0]?.teb, regions, pointerSize),
    modules,
    threads,
    regions,
    memoryInfo,
  };
}

/** The key a module's types go by: its file name in lower case without the extension ("ntdll"). */
function moduleKey(name: string): string {
  return path.win32.parse(name).name.toLowerCase();
}

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
function processEnvironmentBlock(modules: TargetModule[], teb: bigint | undefined, regions: TargetRegion[], pointerSize: 4 | 8): bigint {
  const ntdll = modules.find((module) => moduleKey(module.name) === "ntdll");
  if (!ntdll) throw new Error("the dump lists no ntdll module, whose types locate the PEB");
  if (!ntdll.types) throw new Error("ntdll has no types (no ntdll ISF file was given), and they are needed to find the PEB");
  const field = ntdll.types.userType("_TEB")?.field("ProcessEnvironmentBlock");
  if (!field) throw new Error("ntdll's types have no _TEB.ProcessEnvironmentBlock, which locates the PEB");
  if (teb === undefined) throw new Error("the dump has no threads, so no TEB to find the PEB from");
  const address = teb + BigInt(field.offset);
  const region = regions.find((r) => r.base <= address && address + BigInt(pointerSize) <= r.base + BigInt(r.bytes.length));
  if (!region) throw new Error(`the TEB of the first thread (0x${teb.toString(16)}) is not in the dump's memory, so the PEB cannot be found`);
  const view = new DataView(region.bytes.buffer, region.bytes.byteOffset, region.bytes.byteLength);
  const offset = Number(address - region.base);
  return pointerSize === 8 ? view.getBigUint64(offset, true) : BigInt(view.getUint32(offset, true));
}
