// Composes a process around the heaps the heap writers place: modules (ntdll with its globals,
// the main module), PEB, threads with TEBs and stacks, and the lists that name the heaps (§1.1,
// §2.1 of /work/shared/heap/heap-internals.md). Produces the minidump and its ntdll ISF.
import * as fs from "fs";
import * as path from "path";
import { SparseAddressSpace } from "./address-space";
import { layoutFor, moduleIsf, NTDLL_IMAGE, symbolRva, windowsRelease } from "./layout";
import { writeMinidump } from "./minidump";
import type { MinidumpSpec, MinidumpSpecModule, MinidumpSpecThread } from "./minidump-spec";
import { imageSections, IMAGE_DIRECTORY_ENTRY_TLS, setDataDirectory, tlsDirectorySize, writePeHeaders, writeTlsDirectory, type SectionSpec } from "./pe";
import type { Arch, Layout, ProcessRootsTruth } from "./types";

/** Signatures at the same offset of _HEAP and _SEGMENT_HEAP tell the two apart (§2.1). */
const NT_HEAP_SEGMENT_SIGNATURE = 0xffeeffee;
const SEGMENT_HEAP_SIGNATURE = 0xddeeddee;

/** PEB.ProcessHeaps has room for this many heaps (MaximumNumberOfHeaps). */
const PROCESS_HEAPS_CAPACITY = 16;

const THREAD_COUNT = 3;
const STACK_RESERVE = 0x40000;
const STACK_COMMIT = 0x3000;
/** Planted pointers sit below the top frames, this many bytes apart. */
const STACK_SLOT_SPACING = 0x18;

/** Where the modules load: typical addresses of each architecture, outside the reservation range. */
const MODULE_BASES: Record<Arch, { exe: bigint; ntdll: bigint }> = {
  x64: { exe: 0x7ff6_4b3a_0000n, ntdll: 0x7ffb_58f3_0000n },
  x86: { exe: 0x0040_0000n, ntdll: 0x77a6_0000n },
};
const EXE_IMAGE_SIZE = 0x28000;

// --- Leak-scan roots (leaks.ts) ----------------------------------------------------------------
/** A thread with a CONTEXT uses this many bytes below StackBase: its stack pointer is StackBase minus this. */
const LIVE_STACK_BYTES = 0x1800;
/** Live-stack slots stay this far below StackBase at least, clear of plantPointer's. */
const LIVE_SLOTS_TOP = 0x1000;
/** A module section's first bytes are for the globals its symbol file names; the builder's own slots follow. */
export const SECTION_GLOBALS_BYTES = 0x400;
/** Where a thread's instruction pointer is: in leaky.exe's .text. */
const THREAD_RIP_RVA = 0x1a80;
// --- end leak-scan roots

// --- Modules with symbols (loadModule) ---------------------------------------------------------
/** Where loadModule places DLLs, one after the other, below ntdll. */
const DLL_BASES: Record<Arch, bigint> = { x64: 0x7ffb_5600_0000n, x86: 0x7500_0000n };

/** _HEAP.ForceFlags bit of a page-heap handle and DPH_HEAP_ROOT.Signature at handle+0x1000 (docs/heap-structures.md §1.7, §2.1). */
const HEAP_FLAG_PAGE_ALLOCS = 0x01000000;
const DPH_HEAP_ROOT_SIGNATURE = 0xffeeddcc;
const PAGE_HEAP_ROOT_OFFSET = 0x1000n;

/** A module to load: its path and image size, and its symbols (name → RVA) if it has a symbol file. */
export interface ModuleSpec {
  path: string;
  size: number;
  symbols?: Record<string, number>;
}

interface LoadedModule {
  /** As WinDbg names it: the file name without extension ("ucrtbase"); also the ISF file key. */
  name: string;
  base: bigint;
  size: number;
  /** Sorted by RVA; absent for a module without a symbol file. */
  symbols?: { name: string; rva: number }[];
  /** With ProcessOptions.peHeaders: its section table and the builder's next free byte of each section. */
  image?: { sections: SectionSpec[]; cursors: Map<string, number>; tls?: NonNullable<ProcessRootsTruth["modules"][number]["tls"]> };
}
// --- end modules with symbols

export type HeapListing = "PEB" | "DescriptorList";

/** Values of ntdll's heap globals (§2.4, §1.9). */
export interface NtdllGlobals {
  /** ntdll!RtlpLFHKey. */
  lfhKey: number;
  /** RtlpHpHeapGlobals.HeapKey, on builds with segment heaps. */
  segmentHeapKey: bigint;
  /** RtlpHpHeapGlobals.LfhKey, on builds with segment heaps. */
  segmentLfhKey: bigint;
}

export interface ProcessOptions {
  arch: Arch;
  build: number;
  globals: NtdllGlobals;
  /** PEB.NtGlobalFlag, e.g. 0x1000 for +ust (§1.1). */
  ntGlobalFlag?: number;
  // --- Leak-scan roots (leaks.ts)
  /** Every module's image headers (DOS, NT, a .text/.rdata/.data section table), .data committed. */
  peHeaders?: boolean;
  /** One entry per thread (3 without it): whether the dump holds the thread's CONTEXT. */
  threadContexts?: readonly boolean[];
}

interface Thread extends MinidumpSpecThread {
  stackBase: bigint;
  plantedSlots: number;
  // Leak-scan roots.
  stackLimit: bigint;
  /** With a CONTEXT: the registers' rsp/esp. */
  stackPointer?: bigint;
  liveSlots: number;
  deadSlots: number;
  tls?: { vector: bigint; blocks: Record<string, bigint> };
}

export class ProcessImageBuilder {
  readonly space: SparseAddressSpace;
  readonly layout: Layout;
  readonly peb: bigint;
  private readonly processHeaps: bigint;
  private readonly modules: MinidumpSpecModule[];
  private readonly ntdllBase: bigint;
  private readonly threads: Thread[] = [];
  private readonly processId = 0x2f1c;
  private heapCount = 0;
  private heapsInPeb = 0;
  private descriptors?: { next: bigint; end: bigint };
  private plantedPointers = 0;
  private readonly loaded: LoadedModule[] = [];
  private readonly symbolFiles = new Map<string, object>();
  private nextDllBase: bigint;
  private readonly peHeaders: boolean;
  private readonly privateBuffers: { address: bigint; size: number }[] = [];
  private tlsModules = 0;

  constructor(options: ProcessOptions) {
    const { arch, build } = options;
    this.layout = layoutFor(arch, build);
    this.space = new SparseAddressSpace(arch);
    this.peHeaders = options.peHeaders ?? false;
    const version = windowsRelease(build).version;
    const exe = this.addModule("C:\\dxheap\\leaky.exe", MODULE_BASES[arch].exe, EXE_IMAGE_SIZE, version);
    const ntdll = this.addModule("C:\\Windows\\System32\\ntdll.dll", MODULE_BASES[arch].ntdll, NTDLL_IMAGE[arch].size, version, NTDLL_IMAGE[arch].dataRva);
    this.modules = [exe, ntdll];
    this.ntdllBase = ntdll.base;
    this.nextDllBase = DLL_BASES[arch];
    this.loaded.push({ name: moduleName(exe.name), base: exe.base, size: exe.size, image: this.imageOf(exe) });
    const ntdllSymbols = Object.entries(this.layout.isf.symbols as Record<string, { address: number }>).map(([name, s]): [string, number] => [name, s.address]);
    this.loaded.push({ name: moduleName(ntdll.name), base: ntdll.base, size: ntdll.size, symbols: sortedSymbols(ntdllSymbols), image: this.imageOf(ntdll, NTDLL_IMAGE[arch].dataRva) });
    this.writeNtdllGlobals(options.globals);

    // PEB and TEBs share one reservation, the PEB's heap array right after the PEB.
    const contexts = options.threadContexts ?? Array.from({ length: THREAD_COUNT }, () => false);
    const tebSpan = roundUp(this.layout.size("_TEB"), 0x1000);
    const pebSpan = roundUp(this.layout.size("_PEB") + PROCESS_HEAPS_CAPACITY * this.space.pointerSize, 0x1000);
    this.peb = this.space.reserve(pebSpan + contexts.length * tebSpan);
    this.space.commit(this.peb, pebSpan + contexts.length * tebSpan);
    this.processHeaps = this.peb + BigInt(roundUp(this.layout.size("_PEB"), 0x10));
    this.space.u32(this.peb + this.off("_PEB", "NtGlobalFlag"), options.ntGlobalFlag ?? 0);
    this.space.u32(this.peb + this.off("_PEB", "MaximumNumberOfHeaps"), PROCESS_HEAPS_CAPACITY);
    this.space.ptr(this.peb + this.off("_PEB", "ProcessHeaps"), this.processHeaps);
    contexts.forEach((context, i) => this.addThread(0x1a2c + 4 * i, this.peb + BigInt(pebSpan + i * tebSpan), context));
  }

  /**
   * Lists a heap (already written) in PEB.ProcessHeaps and/or ntdll's process heap descriptor
   * list. The first heap added is the process heap (PEB.ProcessHeap).
   */
  addHeap(address: bigint, listedIn: HeapListing[]): void {
    const heapType = this.heapType(address);
    if (this.heapCount++ === 0) this.space.ptr(this.peb + this.off("_PEB", "ProcessHeap"), address);
    if (listedIn.includes("PEB")) {
      if (this.heapsInPeb === PROCESS_HEAPS_CAPACITY) throw new Error("PEB.ProcessHeaps is full");
      this.space.ptr(this.processHeaps + BigInt(this.heapsInPeb * this.space.pointerSize), address);
      this.heapsInPeb++;
      this.space.u32(this.peb + this.off("_PEB", "NumberOfHeaps"), this.heapsInPeb);
      // ProcessHeapsListIndex is index+1 into PEB.ProcessHeaps (§1.2); a page-heap handle's page
      // holds only its flags (§1.7).
      if (heapType !== "PageHeap") {
        const indexField = heapType === "_HEAP" ? "ProcessHeapsListIndex" : "ProcessHeapListIndex";
        this.space.u16(address + this.off(heapType, indexField), this.heapsInPeb);
      }
    }
    if (listedIn.includes("DescriptorList")) this.addDescriptor(address, heapType);
  }

  /** Writes value at a fresh pointer-aligned slot of a thread stack (threads in turn). */
  plantPointer(value: bigint): { location: bigint; value: bigint } {
    const thread = this.threads[this.plantedPointers++ % this.threads.length];
    const slot = 0x200 + thread.plantedSlots++ * STACK_SLOT_SPACING;
    const location = alignDown(thread.stackBase - BigInt(slot), this.space.pointerSize);
    this.space.ptr(location, value);
    return { location, value };
  }

  // --- Modules with symbols ------------------------------------------------------------------

  /**
   * Loads a module after the ones loaded so far (its image header page committed). With symbols,
   * build() returns its symbol file and writeFiles writes it as <name>.<module>.isf.json.
   */
  loadModule(spec: ModuleSpec): bigint {
    const name = moduleName(spec.path);
    if (this.loaded.some((module) => module.name === name)) throw new Error(`a module named ${name} is loaded already`);
    const base = this.nextDllBase;
    this.nextDllBase = base + BigInt(roundUp(spec.size, 0x10000) + 0x10000);
    const module = this.addModule(spec.path, base, spec.size, windowsRelease(this.layout.build).version);
    this.modules.push(module);
    const symbols = spec.symbols && sortedSymbols(Object.entries(spec.symbols));
    this.loaded.push({ name, base, size: spec.size, symbols, image: this.imageOf(module) });
    if (spec.symbols) this.symbolFiles.set(name, moduleIsf(this.layout.arch, `${name}.pdb`, spec.symbols));
    return base;
  }

  /** The base of a loaded module, by WinDbg's name of it ("leaky", "ntdll", "ucrtbase"). */
  moduleBase(name: string): bigint {
    const module = this.loaded.find((m) => m.name === name);
    if (!module) throw new Error(`no module ${name}`);
    return module.base;
  }

  /** The address of an ntdll global or function of the layout's ISF. */
  ntdllSymbol(name: string): bigint {
    return this.ntdllBase + BigInt(symbolRva(this.layout, name));
  }

  /**
   * How WinDbg names an address inside a module: module!symbol+0xoffset after the nearest symbol
   * at or below it (module!symbol when it is the symbol), module+0xoffset without one.
   */
  symbolize(address: bigint): string {
    const module = this.loaded.find((m) => m.base <= address && address < m.base + BigInt(m.size));
    if (!module) throw new Error(`0x${address.toString(16)} is in no module`);
    const rva = Number(address - module.base);
    const symbol = module.symbols?.filter((s) => s.rva <= rva).pop();
    if (!symbol) return `${module.name}+0x${rva.toString(16)}`;
    return rva === symbol.rva ? `${module.name}!${symbol.name}` : `${module.name}!${symbol.name}+0x${(rva - symbol.rva).toString(16)}`;
  }
  // --- end modules with symbols

  // --- Leak-scan roots (leaks.ts; the semantics: LeakTruth in types.ts) ----------------------

  /**
   * Writes value in a thread's stack and returns where. live: at or above the stack pointer, a
   * root; otherwise below it, dead stack, which only a thread with a CONTEXT has. The whole
   * committed stack of a thread without a CONTEXT is live: its slots start at StackLimit.
   */
  plantInStack(thread: number, value: bigint, live: boolean): bigint {
    const t = this.thread(thread);
    const pointer = this.space.pointerSize;
    let location: bigint;
    if (!live) {
      if (t.stackPointer === undefined) throw new Error(`thread ${thread} has no CONTEXT, so no dead stack`);
      location = t.stackLimit + BigInt(0x40 + t.deadSlots++ * 2 * pointer);
      if (location >= t.stackPointer) throw new Error(`thread ${thread}'s dead stack is full`);
    } else {
      const bottom = t.stackPointer ?? t.stackLimit;
      location = bottom + BigInt(0x40 + t.liveSlots++ * 2 * pointer);
      if (location >= t.stackBase - BigInt(LIVE_SLOTS_TOP)) throw new Error(`thread ${thread}'s live stack is full`);
    }
    this.space.ptr(location, value);
    return location;
  }

  /** Sets a register (dx's name: rbx, ebx, ...) of a thread with a CONTEXT. */
  plantInRegister(thread: number, register: string, value: bigint): void {
    const registers = this.thread(thread).registers;
    if (!registers || !(register in registers)) throw new Error(`thread ${thread} has no register ${register}`);
    registers[register] = value;
  }

  /** Writes value at a fresh pointer slot of a module's section (".data", ".rdata"); returns where. */
  plantInModule(module: string, section: string, value: bigint): bigint {
    const location = this.sectionBytes(module, section, this.space.pointerSize);
    this.space.ptr(location, value);
    return location;
  }

  /** The address of a symbol of a module loaded with a symbol file. */
  symbolAddress(module: string, name: string): bigint {
    const found = this.loadedModule(module);
    const symbol = found.symbols?.find((s) => s.name === name);
    if (!symbol) throw new Error(`${module} has no symbol ${name}`);
    return found.base + BigInt(symbol.rva);
  }

  /** Private memory the program owns, in no heap (a VirtualAlloc'd buffer): reserved and committed. */
  privateBuffer(size: number): bigint {
    const address = this.space.reserve(size);
    this.space.commit(address, size);
    this.privateBuffers.push({ address, size: roundUp(size, 0x1000) });
    return address;
  }

  /**
   * Static TLS for a module (PE Format, "The .tls Section"): its IMAGE_TLS_DIRECTORY in .rdata
   * (data directory 9), its _tls_index in .data holding the next index, and a template of
   * templateSize bytes in .data (no zero fill, no callbacks). Returns the index.
   */
  addTls(module: string, templateSize: number): number {
    const found = this.loadedModule(module);
    if (!found.image) throw new Error("TLS needs ProcessOptions.peHeaders");
    if (found.image.tls) throw new Error(`${module} has TLS already`);
    const index = this.tlsModules++;
    const indexAddress = this.sectionBytes(module, ".data", 4);
    this.space.u32(indexAddress, index);
    const start = this.sectionBytes(module, ".data", templateSize);
    this.space.u32(start, 1); // an initialised thread variable; the rest of the template is zero
    const callbacks = this.sectionBytes(module, ".rdata", this.space.pointerSize); // an empty, null-terminated array
    const directory = this.sectionBytes(module, ".rdata", tlsDirectorySize(this.layout.arch));
    const end = start + BigInt(templateSize);
    writeTlsDirectory(this.space, directory, { startOfRawData: start, endOfRawData: end, addressOfIndex: indexAddress, addressOfCallBacks: callbacks, sizeOfZeroFill: 0 });
    setDataDirectory(this.space, this.layout.arch, found.base, IMAGE_DIRECTORY_ENTRY_TLS, Number(directory - found.base), tlsDirectorySize(this.layout.arch));
    found.image.tls = { index, directory, indexAddress, template: { start, end } };
    return index;
  }

  /**
   * A thread's static TLS as the loader sets it up (ReactOS LdrpAllocateTls): vector, a block of
   * the process heap, becomes TEB.ThreadLocalStoragePointer; vector[index] of each TLS module is
   * its block (also a process-heap block), which gets a copy of the module's template.
   */
  setThreadTls(thread: number, vector: bigint, blocks: Record<string, bigint>): void {
    const t = this.thread(thread);
    const modules = this.loaded.filter((m) => m.image?.tls);
    if (Object.keys(blocks).sort().join() !== modules.map((m) => m.name).sort().join()) throw new Error("one block per TLS module");
    this.space.ptr(t.teb + this.off("_TEB", "ThreadLocalStoragePointer"), vector);
    for (const module of modules) {
      const { index, template } = module.image!.tls!;
      this.space.ptr(vector + BigInt(index * this.space.pointerSize), blocks[module.name]);
      this.space.write(blocks[module.name], this.space.read(template.start, Number(template.end - template.start)));
    }
    t.tls = { vector, blocks };
  }

  /** Writes value in a thread's TLS data of a module, offset bytes in (inside the template's size); returns where. */
  plantInTls(thread: number, module: string, offset: number, value: bigint): bigint {
    const block = this.thread(thread).tls?.blocks[module];
    const template = this.loadedModule(module).image?.tls?.template;
    if (block === undefined || !template) throw new Error(`thread ${thread} has no TLS of ${module}`);
    if (offset % this.space.pointerSize !== 0 || offset + this.space.pointerSize > Number(template.end - template.start)) throw new Error(`offset 0x${offset.toString(16)} is not a slot of ${module}'s TLS`);
    const location = block + BigInt(offset);
    this.space.ptr(location, value);
    return location;
  }

  /** The threads, module images and private buffers, as planted. */
  rootsTruth(): ProcessRootsTruth {
    return {
      threads: this.threads.map((t) => ({
        id: t.id,
        teb: t.teb,
        stackBase: t.stackBase,
        stackLimit: t.stackLimit,
        ...(t.stackPointer !== undefined && { stackPointer: t.stackPointer, registers: { ...t.registers! } }),
        ...(t.tls && { tls: { vector: t.tls.vector, blocks: { ...t.tls.blocks } } }),
      })),
      modules: this.loaded.flatMap(({ name, base, size, image }) => (image ? [{ name, base, size, sections: image.sections.map((s) => ({ ...s })), ...(image.tls && { tls: image.tls }) }] : [])),
      privateBuffers: this.privateBuffers.map((b) => ({ ...b })),
    };
  }

  private thread(index: number): Thread {
    const thread = this.threads[index];
    if (!thread) throw new Error(`no thread ${index}`);
    return thread;
  }

  private loadedModule(name: string): LoadedModule {
    const module = this.loaded.find((m) => m.name === name);
    if (!module) throw new Error(`no module ${name}`);
    return module;
  }

  /** length fresh bytes of a module's section, pointer-aligned, after the globals' bytes; committed. */
  private sectionBytes(module: string, sectionName: string, length: number): bigint {
    const found = this.loadedModule(module);
    const section = found.image?.sections.find((s) => s.name === sectionName);
    if (!found.image || !section) throw new Error(`${module} has no section ${sectionName} (ProcessOptions.peHeaders)`);
    const offset = roundUp(found.image.cursors.get(sectionName) ?? SECTION_GLOBALS_BYTES, this.space.pointerSize);
    if (offset + length > section.size) throw new Error(`${module}'s ${sectionName} is full`);
    found.image.cursors.set(sectionName, offset + length);
    const address = found.base + BigInt(section.rva + offset);
    this.space.commit(address, length);
    return address;
  }
  // --- end leak-scan roots

  /** moduleIsfs: the symbol files of loadModule's modules, by module name ("ucrtbase"); ntdll's is ntdllIsf. */
  build(): { dump: Uint8Array; ntdllIsf: object; spec: MinidumpSpec; moduleIsfs: Record<string, object> } {
    const release = windowsRelease(this.layout.build);
    const spec: MinidumpSpec = {
      arch: this.layout.arch,
      majorVersion: release.version[0],
      minorVersion: release.version[1],
      buildNumber: this.layout.build,
      csdVersion: release.csdVersion,
      processId: this.processId,
      modules: this.modules,
      threads: this.threads.map(({ id, teb, stackStart, stackSize, registers }) => ({ id, teb, stackStart, stackSize, ...(registers && { registers }) })),
      memory: this.space.toMemoryRanges(),
      memoryList: "memory64",
    };
    return { dump: writeMinidump(spec), ntdllIsf: this.layout.isf, spec, moduleIsfs: Object.fromEntries(this.symbolFiles) };
  }

  /**
   * Writes <name>.dmp, <name>.ntdll.isf.json and <name>.<module>.isf.json for each module loaded
   * with symbols (the names the Node host's loader looks for).
   */
  writeFiles(dir: string, name: string): { dumpPath: string; isfPath: string; moduleIsfPaths: string[] } {
    const { dump, ntdllIsf, moduleIsfs } = this.build();
    const dumpPath = path.join(dir, `${name}.dmp`);
    const isfPath = path.join(dir, `${name}.ntdll.isf.json`);
    fs.writeFileSync(dumpPath, dump);
    fs.writeFileSync(isfPath, JSON.stringify(ntdllIsf));
    const moduleIsfPaths = Object.entries(moduleIsfs).map(([module, isf]) => {
      const isfFile = path.join(dir, `${name}.${module}.isf.json`);
      fs.writeFileSync(isfFile, JSON.stringify(isf));
      return isfFile;
    });
    return { dumpPath, isfPath, moduleIsfPaths };
  }

  private off(type: string, field: string): bigint {
    return BigInt(this.layout.off(type, field));
  }

  private heapType(address: bigint): "_HEAP" | "_SEGMENT_HEAP" | "PageHeap" {
    if (this.space.readU32(address + this.off("_HEAP", "SegmentSignature")) === NT_HEAP_SEGMENT_SIGNATURE) return "_HEAP";
    if (this.layout.has("_SEGMENT_HEAP", "Signature") && this.space.readU32(address + this.off("_SEGMENT_HEAP", "Signature")) === SEGMENT_HEAP_SIGNATURE) {
      return "_SEGMENT_HEAP";
    }
    // A page-heap handle: ForceFlags with HEAP_FLAG_PAGE_ALLOCS and the root one page on (§2.1 item 2).
    const forceFlags = this.space.readU32(address + this.off("_HEAP", "ForceFlags"));
    if (forceFlags & HEAP_FLAG_PAGE_ALLOCS && this.space.readU32(address + PAGE_HEAP_ROOT_OFFSET) === DPH_HEAP_ROOT_SIGNATURE) return "PageHeap";
    throw new Error(`no heap signature at 0x${address.toString(16)}`);
  }

  /** Reserves a module's image and commits its header page: "MZ", or with peHeaders its headers and its .data. */
  private addModule(name: string, base: bigint, size: number, version: MinidumpSpecModule["version"], dataRva?: number): MinidumpSpecModule {
    const module: MinidumpSpecModule = { name, base, size, timeDateStamp: 0x5f8a3c1d, checksum: 0, version };
    this.space.reserveAt(base, size);
    this.space.commit(base, 0x1000);
    if (!this.peHeaders) {
      this.space.write(base, new TextEncoder().encode("MZ")); // the image header page
      return module;
    }
    const sections = imageSections(size, dataRva);
    const dll = !name.toLowerCase().endsWith(".exe");
    writePeHeaders(this.space, { arch: this.layout.arch, base, size, dll, timeDateStamp: module.timeDateStamp, osVersion: [version[0], version[1]], sections });
    for (const section of sections.filter((s) => s.name === ".data")) this.space.commit(base + BigInt(section.rva), section.size);
    return module;
  }

  /** The image record of a module addModule wrote (peHeaders only). */
  private imageOf(module: MinidumpSpecModule, dataRva?: number): LoadedModule["image"] {
    if (!this.peHeaders) return undefined;
    return { sections: imageSections(module.size, dataRva), cursors: new Map() };
  }

  private writeNtdllGlobals(globals: NtdllGlobals): void {
    const ntdll = this.ntdllBase;
    this.space.commit(ntdll + BigInt(NTDLL_IMAGE[this.layout.arch].dataRva), 0x1000);
    this.space.u32(ntdll + BigInt(symbolRva(this.layout, "RtlpLFHKey")), globals.lfhKey);
    if (this.layout.isf.symbols.RtlpHpHeapGlobals) {
      const heapGlobals = ntdll + BigInt(symbolRva(this.layout, "RtlpHpHeapGlobals"));
      this.space.ptr(heapGlobals + this.off("_RTLP_HP_HEAP_GLOBALS", "HeapKey"), globals.segmentHeapKey);
      // LfhKey is a u64 on x64 and a u32 on x86 (§1.9): pointer-sized.
      this.space.ptr(heapGlobals + this.off("_RTLP_HP_HEAP_GLOBALS", "LfhKey"), globals.segmentLfhKey);
    }
    if (this.layout.isf.symbols.RtlpProcessHeaps) {
      const head = ntdll + BigInt(symbolRva(this.layout, "RtlpProcessHeaps"));
      this.space.ptr(head + this.off("_LIST_ENTRY", "Flink"), head); // empty circular list
      this.space.ptr(head + this.off("_LIST_ENTRY", "Blink"), head);
    }
  }

  private addThread(id: number, teb: bigint, context: boolean): void {
    const stackReservation = this.space.reserve(STACK_RESERVE);
    const stackBase = stackReservation + BigInt(STACK_RESERVE);
    const stackLimit = stackBase - BigInt(STACK_COMMIT);
    this.space.commit(stackLimit, STACK_COMMIT);
    this.space.ptr(teb + this.off("_TEB", "NtTib.StackBase"), stackBase);
    this.space.ptr(teb + this.off("_TEB", "NtTib.StackLimit"), stackLimit);
    this.space.ptr(teb + this.off("_TEB", "NtTib.Self"), teb);
    this.space.ptr(teb + this.off("_TEB", "ProcessEnvironmentBlock"), this.peb);
    const thread: Thread = { id, teb, stackStart: stackLimit, stackSize: STACK_COMMIT, stackBase, plantedSlots: 0, stackLimit, liveSlots: 0, deadSlots: 0 };
    if (context) {
      thread.stackPointer = stackBase - BigInt(LIVE_STACK_BYTES);
      thread.registers = threadRegisters(this.layout.arch, this.moduleBase("leaky") + BigInt(THREAD_RIP_RVA), thread.stackPointer);
    }
    this.threads.push(thread);
  }

  /**
   * Appends a _RTLP_PROCESS_HEAP_DESCRIPTOR to the list at ntdll!RtlpProcessHeaps (circular back
   * to the head, §2.1) and points the heap's UserContext at it where its type has one.
   */
  private addDescriptor(heap: bigint, heapType: "_HEAP" | "_SEGMENT_HEAP" | "PageHeap"): void {
    const head = this.ntdllBase + BigInt(symbolRva(this.layout, "RtlpProcessHeaps"));
    const size = roundUp(this.layout.size("_RTLP_PROCESS_HEAP_DESCRIPTOR"), 0x10);
    if (!this.descriptors || this.descriptors.next + BigInt(size) > this.descriptors.end) {
      const pool = this.space.reserve(0x1000);
      this.space.commit(pool, 0x1000);
      this.descriptors = { next: pool, end: pool + 0x1000n };
    }
    const descriptor = this.descriptors.next;
    this.descriptors.next += BigInt(size);

    const flink = this.off("_LIST_ENTRY", "Flink");
    const blink = this.off("_LIST_ENTRY", "Blink");
    const link = descriptor + this.off("_RTLP_PROCESS_HEAP_DESCRIPTOR", "DescriptorLink");
    const last = this.space.readPtr(head + blink);
    this.space.ptr(link + flink, head);
    this.space.ptr(link + blink, last);
    this.space.ptr(last + flink, link);
    this.space.ptr(head + blink, link);
    this.space.ptr(descriptor + this.off("_RTLP_PROCESS_HEAP_DESCRIPTOR", "Heap"), heap);

    if (heapType !== "PageHeap" && this.layout.has(heapType, "UserContext")) this.space.ptr(heap + this.off(heapType, "UserContext"), descriptor);
  }
}

/** WinDbg's name of a module (and the key of its ISF file): "C:\\...\\ucrtbase.dll" → "ucrtbase". */
function moduleName(modulePath: string): string {
  return path.win32.parse(modulePath).name.toLowerCase();
}

/** Symbols sorted by RVA (symbolize takes the last one at or below an address). */
function sortedSymbols(symbols: [string, number][]): { name: string; rva: number }[] {
  return symbols.map(([name, rva]) => ({ name, rva })).sort((a, b) => a.rva - b.rva);
}

function roundUp(value: number, unit: number): number {
  return Math.ceil(value / unit) * unit;
}

function alignDown(value: bigint, unit: number): bigint {
  return value - (value % BigInt(unit));
}

/**
 * A stopped thread's registers: the instruction pointer in leaky.exe's code, the stack and frame
 * pointers in its live stack, the rest small numbers (no pointer into any heap), and the segment
 * selectors user mode runs with: x64 cs 0x33, data 0x2b, fs 0x53; native x86 cs 0x1b, data 0x23,
 * fs 0x3b (the TEB), gs 0.
 */
function threadRegisters(arch: Arch, rip: bigint, sp: bigint): Record<string, bigint> {
  const small = (names: string[]) => Object.fromEntries(names.map((name, i): [string, bigint] => [name, BigInt(i * 0x11)]));
  const flags = { efl: 0x246n };
  if (arch === "x64") {
    const general = small(["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]);
    return { ...general, rip, rsp: sp, rbp: sp + 0x60n, cs: 0x33n, ds: 0x2bn, es: 0x2bn, fs: 0x53n, gs: 0x2bn, ss: 0x2bn, ...flags };
  }
  const general = small(["eax", "ebx", "ecx", "edx", "esi", "edi"]);
  return { ...general, eip: rip, esp: sp, ebp: sp + 0x60n, cs: 0x1bn, ds: 0x23n, es: 0x23n, fs: 0x3bn, gs: 0n, ss: 0x23n, ...flags };
}
