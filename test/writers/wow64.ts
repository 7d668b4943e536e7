// A WOW64 process (a 32-bit program on 64-bit Windows) as two minidumps of the same memory:
// - the 64-bit view, what a 64-bit writer (Task Manager, procdump64) gives: an x64 dump listing
//   the 64-bit loader's modules (the exe, System32\ntdll.dll, wow64*.dll) and then the 32-bit
//   ntdll from SysWOW64; thread TEBs are the TEB64s, contexts the 64-bit ones (cs 0x33), and each
//   thread's Stack is its 32-bit stack. WinDbg names the second ntdll "ntdll_<base>".
// - the 32-bit view, what a 32-bit writer running inside WOW64 gives: an x86 dump listing only
//   the 32-bit modules (ntdll from SysWOW64, named "ntdll"), TEB32s, the 32-bit contexts (cs 0x23)
//   and the memory below 4 GiB.
// Both PEBs list their own heaps: the PEB64 a few 64-bit NT heaps WOW64 itself uses, the PEB32
// the program's 32-bit heaps (written with the x86 layout). Facts and their sources: the header of
// each constant below; what public material does not settle is marked UNVERIFIED.
// A companion of ProcessImageBuilder (process.ts), which it leaves untouched.
import * as fs from "fs";
import * as path from "path";
import { SparseAddressSpace } from "./address-space";
import { layoutFor, moduleIsf, NTDLL_IMAGE, symbolRva, windowsRelease } from "./layout";
import { contextBytes, writeMinidump } from "./minidump";
import type { MinidumpSpec, MinidumpSpecModule, MinidumpSpecThread } from "./minidump-spec";
import { writeNtHeap, type NtHeapSpec } from "./ntheap";
import { writeSegmentHeap, type SegmentHeapSpec } from "./segment-heap";
import type { ModuleSpec, NtdllGlobals } from "./process";
import type { AddressSpace, Arch, HeapTruth, Layout } from "./types";

export type Wow64Build = 7601 | 19041;
/** The dump's side: "x64" the 64-bit view, "x86" the 32-bit one (see the top of the file). */
export type Wow64View = "x64" | "x86";

const PAGE = 0x1000n;
const GRANULE = 0x10000n;
/** Below this every 32-bit address lies: the end of a 32-bit process's user range (no /LARGEADDRESSAWARE). */
const WOW64_USER_END = 0x7ffe_0000n;
/** Fresh reservations (heaps, stacks) start here, above the exe at 0x400000. */
const FIRST_RESERVATION = 0x0060_0000n;
const FOUR_GIB = 1n << 32n;

const PROCESS_HEAPS_CAPACITY = 16;
const THREAD_COUNT = 3;
const STACK_RESERVE = 0x40000;
const STACK_COMMIT = 0x3000;

/**
 * The x86 CONTEXT a WOW64 thread saves at TEB64.TlsSlots[1] + 4: Microsoft Learn (WOW64_CONTEXT,
 * "Thread Environment Block (Debugging Notes)") says so for Vista through 8.1; LLDB's minidump
 * reader and Wine's WOW64_CPURESERVED (USHORT Flags, USHORT Machine, then the context) read it
 * there on Windows 10 too (UNVERIFIED for Windows itself).
 */
const WOW64_TLS_CPURESERVED = 1;
const CPURESERVED_CONTEXT_OFFSET = 4n;
const IMAGE_FILE_MACHINE_I386 = 0x14c;
/**
 * Bytes the CPU area takes at the top of the 64-bit stack, TEB64.NtTib.StackBase and
 * TlsSlots[1] pointing at its start: 0x2e0 in test/fixtures/real-dumps/notepad-small-64bit.dmp
 * (StackBase 0x1cfd20 = TlsSlots[1] in a 0x1d0000-ending stack); the same on Windows 10 is UNVERIFIED.
 */
const CPU_AREA_SIZE = 0x2e0n;
/** TEB32 = TEB64 + 0x2000 (notepad-small-64bit.dmp: TEB64 0x7efdb000, its NtTib.ExceptionList 0x7efdd000). */
const TEB32_OFFSET = 0x2000n;

/** Where each build's modules and environment blocks go (ours, modelled on real processes). */
const PLACEMENT: Record<Wow64Build, { ntdll64: bigint; wow64: bigint; wow64win: bigint; wow64cpu: bigint; environment: "top-down" | "bottom-up" }> = {
  // notepad-small-64bit.dmp (Windows 7): wow64 0x75380000, wow64win 0x75320000, wow64cpu 0x75310000,
  // ntdll at 0x77880000 (0x1a9000 bytes; ours is bigger, so lower) and the PEBs/TEBs just below
  // 0x7efe0000, allocated downwards (TEB64 0x7efdb000, PEB32 0x7efde000, PEB64 0x7efdf000).
  7601: { ntdll64: 0x7786_0000n, wow64: 0x7538_0000n, wow64win: 0x7532_0000n, wow64cpu: 0x7531_0000n, environment: "top-down" },
  // Windows 10: the 64-bit DLLs high, wow64cpu below 4 GiB (public module lists: wow64.dll at
  // 0x7ffe..., wow64cpu.dll at 0x77...); PEBs then TEBs low and upwards (a public "!teb" shows
  // PEB32 0xdbf000 right below TEB64 0xdc0000, TEB32 0xdc2000): the exact order is UNVERIFIED.
  19041: { ntdll64: 0x7ffb_58f3_0000n, wow64: 0x7ffb_5700_0000n, wow64win: 0x7ffb_5710_0000n, wow64cpu: 0x7761_0000n, environment: "bottom-up" },
};
const EXE = { path: "C:\\dxheap\\leaky.exe", base: 0x0040_0000n, size: 0x28000 };
/** Where loadModule places the program's 32-bit DLLs (SysWOW64's, its own), one after the other: below the WOW64 DLLs (ours). */
const DLL32_BASE = 0x7400_0000n;
const NTDLL32 = { path: "C:\\Windows\\SysWOW64\\ntdll.dll", base: 0x77a6_0000n };
/** Sizes from notepad-small-64bit.dmp's module list. */
const WOW64_DLLS = [
  { key: "wow64", path: "C:\\Windows\\System32\\wow64.dll", size: 0x3f000 },
  { key: "wow64win", path: "C:\\Windows\\System32\\wow64win.dll", size: 0x5c000 },
  { key: "wow64cpu", path: "C:\\Windows\\System32\\wow64cpu.dll", size: 0x8000 },
] as const;

/** Segment selectors of a WOW64 thread: 64-bit code 0x33, 32-bit code 0x23, data 0x2b, fs 0x53 (notepad-small dumps, LLDB's wow64 test dump). */
const SELECTORS = { cs64: 0x33n, cs32: 0x23n, data: 0x2bn, fs: 0x53n };

/**
 * WinDbg's name of the 32-bit ntdll in a 64-bit dump: a module whose name an earlier one has is
 * named <name>_<base in 8 hex digits> ("ntdll_77980000!NtWaitForSingleObject" in public
 * transcripts after .effmach x86 / !wow64exts.sw, "ntdll_77ffe000" for a second ntdll loaded by hand).
 */
export function wow64NtdllName(base: bigint): string {
  return `ntdll_${base.toString(16).padStart(8, "0")}`;
}

export interface Wow64ThreadTruth {
  id: number;
  teb64: bigint;
  teb32: bigint;
  /** TEB64.NtTib.StackBase: the start of the CPU area, also TEB64.TlsSlots[1]. */
  stack64: { base: bigint; limit: bigint };
  stack32: { base: bigint; limit: bigint };
  /** The x86 CONTEXT saved for the thread: TlsSlots[1] + 4. */
  context32: bigint;
  /** As dx shows them under Registers.User in each view. */
  registers64: Record<string, bigint>;
  registers32: Record<string, bigint>;
}

export interface Wow64ImageTruth {
  build: Wow64Build;
  peb64: bigint;
  peb32: bigint;
  ntdll64: { base: bigint };
  /** The 32-bit ntdll and WinDbg's name of it in each view's dump. */
  ntdll32: { base: bigint; names: Record<Wow64View, string> };
  threads: Wow64ThreadTruth[];
  /** The 64-bit PEB's heaps (architecture "x64", the process heap first), then the 32-bit PEB's ("x86"). */
  heaps: HeapTruth[];
  /** Each ntdll's RtlpLFHKey. */
  lfhKeys: Record<Arch, number>;
}

/** A view's dump and its types files by key: write each as <name>.<key>.isf.json. */
export interface Wow64Dump {
  dump: Uint8Array;
  isfs: Record<string, object>;
}

/**
 * One address space seen with 8-byte or 4-byte pointers. Fresh reservations of either view come
 * from one allocator below WOW64_USER_END: a WOW64 process's own 64-bit allocations (its PEB64,
 * TEB64s, 64-bit heaps) live below 4 GiB too (notepad-small-64bit.dmp: the 64-bit process heap at 0xc0000).
 */
class Wow64Memory {
  readonly store = new SparseAddressSpace("x64");
  private next = FIRST_RESERVATION;

  reserve(size: number): bigint {
    const base = this.next;
    const end = base + BigInt(size);
    if (end > WOW64_USER_END) throw new Error(`a WOW64 reservation of 0x${size.toString(16)} bytes leaves the 32-bit user range`);
    this.store.reserveAt(base, size);
    this.next = roundUp(end, GRANULE) + GRANULE;
    return base;
  }

  view(arch: Arch): AddressSpace {
    const { store } = this;
    const pointerSize = arch === "x64" ? 8 : 4;
    return {
      arch,
      pointerSize,
      reserve: (size) => this.reserve(size),
      commit: (addr, size) => store.commit(addr, size),
      allocate: (size) => {
        const base = this.reserve(size);
        store.commit(base, Number(roundUp(BigInt(size), GRANULE)));
        return base;
      },
      drop: (addr, size) => store.drop(addr, size),
      write: (addr, bytes) => store.write(addr, bytes),
      read: (addr, length) => store.read(addr, length),
      u8: (addr, v) => store.u8(addr, v),
      u16: (addr, v) => store.u16(addr, v),
      u32: (addr, v) => store.u32(addr, v),
      u64: (addr, v) => store.u64(addr, v),
      ptr: (addr, v) => (pointerSize === 8 ? store.u64(addr, v) : store.u32(addr, Number(v))),
      readU32: (addr) => store.readU32(addr),
      readPtr: (addr) => (pointerSize === 8 ? store.readPtr(addr) : BigInt(store.readU32(addr))),
    };
  }
}

export interface Wow64ProcessOptions {
  build: Wow64Build;
  /** The 64-bit ntdll's globals (its heaps' keys) and the 32-bit ntdll's. */
  globals: Record<Arch, NtdllGlobals>;
  /**
   * NtGlobalFlag of both PEBs (docs/heap-structures.md §1.1: the field is in _PEB and _PEB32),
   * e.g. 0x1000 for +ust (§2.7): the process's flags, which each ntdll acts on for its own heaps.
   */
  ntGlobalFlag?: number;
}

/**
 * One side of the process as the trace writers (stack-traces.ts) see a process: its memory, its
 * ntdll's layout and globals (RtlpStackTraceDataBase: each ntdll keeps its own database), its
 * modules. The 32-bit side loads DLLs (listed in both views' dumps); the 64-bit side has ntdll
 * and the WOW64 DLLs. symbolize names addresses as the side's own view does (the 32-bit ntdll
 * "ntdll"; the 64-bit view calls it ntdll_<base>, wow64NtdllName).
 */
export interface Wow64SideProcess {
  readonly space: AddressSpace;
  readonly layout: Layout;
  ntdllSymbol(name: string): bigint;
  loadModule(spec: ModuleSpec): bigint;
  moduleBase(name: string): bigint;
  symbolize(address: bigint): string;
}

interface LoadedModule {
  name: string;
  base: bigint;
  size: number;
  /** Sorted by RVA; absent without a symbol file. */
  symbols?: { name: string; rva: number }[];
}

interface Side {
  arch: Arch;
  layout: Layout;
  space: AddressSpace;
  ntdll: bigint;
  peb: bigint;
  processHeaps: bigint;
  heapCount: number;
}

/** Composes the WOW64 process: modules, both PEBs, TEB64/TEB32 pairs with their stacks, heap lists. */
export class Wow64ProcessImageBuilder {
  readonly build: Wow64Build;
  readonly x64: Side;
  readonly x86: Side;
  readonly threads: Wow64ThreadTruth[] = [];
  private readonly memory = new Wow64Memory();
  private readonly modules64: MinidumpSpecModule[] = [];
  private readonly modules32: MinidumpSpecModule[] = [];
  private readonly processId = 0x2f1c;
  /** Each side's modules as loadModule and symbolize know them. */
  private readonly loaded: Record<Arch, LoadedModule[]> = { x64: [], x86: [] };
  /** Symbol files of the 32-bit DLLs loadModule loaded, by WinDbg's name of the module. */
  private readonly symbolFiles32 = new Map<string, object>();
  private nextDll32 = DLL32_BASE;

  constructor(options: Wow64ProcessOptions) {
    const { build } = options;
    this.build = build;
    const placement = PLACEMENT[build];
    const exe = this.addModule(EXE.path, EXE.base, EXE.size);
    const ntdll64 = this.addModule("C:\\Windows\\System32\\ntdll.dll", placement.ntdll64, NTDLL_IMAGE.x64.size);
    const wow64Dlls = WOW64_DLLS.map((dll) => this.addModule(dll.path, placement[dll.key], dll.size));
    const ntdll32 = this.addModule(NTDLL32.path, NTDLL32.base, NTDLL_IMAGE.x86.size);
    // The 64-bit loader's modules, then the 32-bit one's (a public listdlls of a WOW64 process
    // shows this order); the exe once, as notepad-small-64bit.dmp lists it (UNVERIFIED whether
    // newer writers list it again with the 32-bit modules).
    this.modules64.push(exe, ntdll64, ...wow64Dlls, ntdll32);
    this.modules32.push(exe, ntdll32);

    // Environment blocks: [PEB64][PEB32] then per thread [TEB64: 2 pages][TEB32: 1 page], one reservation.
    const span = 2n * PAGE + BigInt(THREAD_COUNT) * 3n * PAGE;
    const region = placement.environment === "top-down" ? 0x7efd_0000n : this.memory.reserve(Number(span));
    if (placement.environment === "top-down") this.memory.store.reserveAt(region, 0x10000);
    this.memory.store.commit(region, 0x10000);
    const at = (index: number) => (placement.environment === "top-down" ? region + 0x10000n - BigInt(index + 1) * PAGE : region + BigInt(index) * PAGE);
    // Top-down (Windows 7): PEB64 0x7efdf000, PEB32 0x7efde000, then TEB32, TEB64 pairs below.
    const peb64 = at(0);
    const peb32 = at(1);
    this.x64 = this.side("x64", ntdll64.base, peb64);
    this.x86 = this.side("x86", ntdll32.base, peb32);
    this.writeGlobals(this.x64, options.globals.x64);
    this.writeGlobals(this.x86, options.globals.x86);
    for (const side of [this.x64, this.x86]) side.space.u32(side.peb + BigInt(side.layout.off("_PEB", "NtGlobalFlag")), options.ntGlobalFlag ?? 0);
    const ntdllSymbols = (layout: Layout) =>
      sortedSymbols(Object.entries(layout.isf.symbols as Record<string, { address: number }>).map(([name, symbol]): [string, number] => [name, symbol.address]));
    this.loaded.x64.push(
      { name: "ntdll", base: ntdll64.base, size: ntdll64.size, symbols: ntdllSymbols(this.x64.layout) },
      ...WOW64_DLLS.map((dll, i) => ({ name: dll.key, base: wow64Dlls[i].base, size: dll.size })),
    );
    this.loaded.x86.push({ name: "leaky", base: exe.base, size: exe.size }, { name: "ntdll", base: ntdll32.base, size: ntdll32.size, symbols: ntdllSymbols(this.x86.layout) });
    for (let i = 0; i < THREAD_COUNT; i++) {
      const first = 2 + 3 * i;
      const teb64 = placement.environment === "top-down" ? at(first + 2) : at(first);
      this.addThread(0x1a2c + 4 * i, teb64);
    }
  }

  /** A side as the trace writers see a process (Wow64SideProcess). */
  sideProcess(arch: Arch): Wow64SideProcess {
    const side = this[arch];
    const loaded = this.loaded[arch];
    return {
      space: side.space,
      layout: side.layout,
      ntdllSymbol: (name) => side.ntdll + BigInt(symbolRva(side.layout, name)),
      loadModule: (spec) => this.loadModule32(arch, spec),
      moduleBase: (name) => {
        const module = loaded.find((m) => m.name === name);
        if (!module) throw new Error(`the ${arch} side has no module ${name}`);
        return module.base;
      },
      symbolize: (address) => {
        const module = loaded.find((m) => m.base <= address && address < m.base + BigInt(m.size));
        if (!module) throw new Error(`0x${address.toString(16)} is in no module of the ${arch} side`);
        const rva = Number(address - module.base);
        const symbol = module.symbols?.filter((s) => s.rva <= rva).pop();
        if (!symbol) return `${module.name}+0x${rva.toString(16)}`;
        return rva === symbol.rva ? `${module.name}!${symbol.name}` : `${module.name}!${symbol.name}+0x${(rva - symbol.rva).toString(16)}`;
      },
    };
  }

  /** A 32-bit DLL (the program's, from SysWOW64 or its own directory): listed by both views after the 32-bit ntdll, its symbol file with both. */
  private loadModule32(arch: Arch, spec: ModuleSpec): bigint {
    if (arch !== "x86") throw new Error("only the 32-bit side loads modules");
    const name = path.win32.parse(spec.path).name.toLowerCase();
    if (this.loaded.x86.some((m) => m.name === name) || name.startsWith("ntdll") || name.startsWith("wow64")) throw new Error(`a module named ${name} is loaded already`);
    const base = this.nextDll32;
    this.nextDll32 = roundUp(base + BigInt(spec.size), GRANULE) + GRANULE;
    if (this.nextDll32 > PLACEMENT[this.build].wow64cpu && base < PLACEMENT[this.build].wow64cpu) throw new Error("the 32-bit DLLs reach wow64cpu.dll");
    const module = this.addModule(spec.path, base, spec.size);
    this.modules32.push(module);
    this.modules64.push(module);
    this.loaded.x86.push({ name, base, size: spec.size, symbols: spec.symbols && sortedSymbols(Object.entries(spec.symbols)) });
    if (spec.symbols) this.symbolFiles32.set(name, moduleIsf("x86", `${name}.pdb`, spec.symbols));
    return base;
  }

  /** Names of the 32-bit ntdll in each view's dump. */
  get ntdll32Names(): Record<Wow64View, string> {
    return { x64: wow64NtdllName(this.x86.ntdll), x86: "ntdll" };
  }

  /**
   * Lists a heap (already written with that side's layout: an NT heap, or a segment heap where
   * the layout has them) in its PEB; the first of a side is its process heap.
   */
  addHeap(address: bigint, arch: Arch): void {
    const side = this[arch];
    const off = (type: string, field: string) => BigInt(side.layout.off(type, field));
    // The signatures at the same offset of _HEAP and _SEGMENT_HEAP tell the two apart (docs/heap-structures.md §2.1).
    const signature = side.space.readU32(address + off("_HEAP", "SegmentSignature"));
    const segmentHeap = signature === 0xddeeddee && side.layout.has("_SEGMENT_HEAP", "Signature");
    if (signature !== 0xffeeffee && !segmentHeap) throw new Error(`no NT or segment heap at 0x${address.toString(16)}`);
    if (side.heapCount === PROCESS_HEAPS_CAPACITY) throw new Error("PEB.ProcessHeaps is full");
    if (side.heapCount === 0) side.space.ptr(side.peb + off("_PEB", "ProcessHeap"), address);
    side.space.ptr(side.processHeaps + BigInt(side.heapCount * side.space.pointerSize), address);
    side.heapCount++;
    side.space.u32(side.peb + off("_PEB", "NumberOfHeaps"), side.heapCount);
    // ProcessHeapsListIndex (_SEGMENT_HEAP: ProcessHeapListIndex) is index+1 into PEB.ProcessHeaps (docs/heap-structures.md §1.2, §1.9).
    if (segmentHeap) side.space.u16(address + off("_SEGMENT_HEAP", "ProcessHeapListIndex"), side.heapCount);
    else side.space.u16(address + off("_HEAP", "ProcessHeapsListIndex"), side.heapCount);
  }

  /** The dump of one view and its types files by key (see the top of the file). */
  dump(view: Wow64View): Wow64Dump {
    const release = windowsRelease(this.build);
    const threads: MinidumpSpecThread[] = this.threads.map((t) => {
      // The thread's Stack is the 32-bit stack from esp in both views (notepad-small-64bit.dmp's
      // one thread: Stack 0x33fc48..0x340000 while its rsp and TEB64 stack are at 0x1cxxxx).
      const stackStart = t.registers32.esp;
      const stack = { stackStart, stackSize: Number(t.stack32.base - stackStart) };
      return view === "x64" ? { id: t.id, teb: t.teb64, ...stack, registers: t.registers64 } : { id: t.id, teb: t.teb32, ...stack, registers: t.registers32 };
    });
    const memory = this.memory.store.toMemoryRanges().filter((range) => view === "x64" || range.start < FOUR_GIB);
    const spec: MinidumpSpec = {
      arch: view,
      majorVersion: release.version[0],
      minorVersion: release.version[1],
      buildNumber: this.build,
      csdVersion: release.csdVersion,
      processId: this.processId,
      modules: view === "x64" ? this.modules64 : this.modules32,
      threads,
      memory,
      memoryList: "memory64",
    };
    const modules = Object.fromEntries(this.symbolFiles32);
    const isfs = view === "x64" ? { ntdll: this.x64.layout.isf, [this.ntdll32Names.x64]: this.x86.layout.isf, ...modules } : { ntdll: this.x86.layout.isf, ...modules };
    return { dump: writeMinidump(spec), isfs };
  }

  /** Writes <name>.dmp and <name>.<key>.isf.json for each types file of the view; returns the dump's path. */
  writeFiles(dir: string, name: string, view: Wow64View): string {
    const { dump, isfs } = this.dump(view);
    const dumpPath = path.join(dir, `${name}.dmp`);
    fs.writeFileSync(dumpPath, dump);
    for (const [key, isf] of Object.entries(isfs)) fs.writeFileSync(path.join(dir, `${name}.${key}.isf.json`), JSON.stringify(isf));
    return dumpPath;
  }

  private side(arch: Arch, ntdll: bigint, peb: bigint): Side {
    const layout = layoutFor(arch, this.build);
    const space = this.memory.view(arch);
    const processHeaps = peb + BigInt(roundUp(BigInt(layout.size("_PEB")), 0x10n));
    space.u32(peb + BigInt(layout.off("_PEB", "MaximumNumberOfHeaps")), PROCESS_HEAPS_CAPACITY);
    space.ptr(peb + BigInt(layout.off("_PEB", "ProcessHeaps")), processHeaps);
    return { arch, layout, space, ntdll, peb, processHeaps, heapCount: 0 };
  }

  private addModule(modulePath: string, base: bigint, size: number): MinidumpSpecModule {
    this.memory.store.reserveAt(base, size);
    this.memory.store.commit(base, 0x1000);
    this.memory.store.write(base, new TextEncoder().encode("MZ")); // the image header page
    return { name: modulePath, base, size, timeDateStamp: 0x5f8a3c1d, checksum: 0, version: windowsRelease(this.build).version };
  }

  /** RtlpLFHKey, and RtlpHpHeapGlobals' keys where the build has segment heaps (as process.ts writes them). */
  private writeGlobals(side: Side, globals: NtdllGlobals): void {
    const { layout, space, ntdll } = side;
    space.commit(ntdll + BigInt(NTDLL_IMAGE[side.arch].dataRva), 0x1000);
    space.u32(ntdll + BigInt(symbolRva(layout, "RtlpLFHKey")), globals.lfhKey);
    if (layout.isf.symbols.RtlpHpHeapGlobals) {
      const heapGlobals = ntdll + BigInt(symbolRva(layout, "RtlpHpHeapGlobals"));
      space.ptr(heapGlobals + BigInt(layout.off("_RTLP_HP_HEAP_GLOBALS", "HeapKey")), globals.segmentHeapKey);
      space.ptr(heapGlobals + BigInt(layout.off("_RTLP_HP_HEAP_GLOBALS", "LfhKey")), globals.segmentLfhKey);
    }
  }

  /**
   * A thread's two TEBs and two stacks. TEB64.NtTib.ExceptionList holds the TEB32 on the builds
   * Microsoft documents it for (Vista to 8.1, "Thread Environment Block (Debugging Notes)"); on
   * builds whose _TEB has WowTebOffset it is that field instead: +0x2000 in the TEB64 (64-bit
   * ntdll adds a non-negative WowTebOffset to its TEB to reach the TEB32, public decompilation of
   * RtlpNotOwnerCriticalSection), -0x2000 in the TEB32 (UNVERIFIED: the sign as phnt documents it).
   */
  private addThread(id: number, teb64: bigint): void {
    const { x64, x86 } = this;
    const teb32 = teb64 + TEB32_OFFSET;
    const off64 = (field: string) => BigInt(x64.layout.off("_TEB", field));
    const off32 = (field: string) => BigInt(x86.layout.off("_TEB", field));

    const stack64Reservation = this.memory.reserve(STACK_RESERVE);
    const stack64End = stack64Reservation + BigInt(STACK_RESERVE);
    const stack64 = { base: stack64End - CPU_AREA_SIZE, limit: stack64End - BigInt(STACK_COMMIT) };
    x64.space.commit(stack64.limit, STACK_COMMIT);
    const stack32Reservation = this.memory.reserve(STACK_RESERVE);
    const stack32 = { base: stack32Reservation + BigInt(STACK_RESERVE), limit: stack32Reservation + BigInt(STACK_RESERVE - STACK_COMMIT) };
    x86.space.commit(stack32.limit, STACK_COMMIT);

    x64.space.ptr(teb64 + off64("NtTib.StackBase"), stack64.base);
    x64.space.ptr(teb64 + off64("NtTib.StackLimit"), stack64.limit);
    x64.space.ptr(teb64 + off64("NtTib.Self"), teb64);
    x64.space.ptr(teb64 + off64("ProcessEnvironmentBlock"), x64.peb);
    x86.space.ptr(teb32 + off32("NtTib.StackBase"), stack32.base);
    x86.space.ptr(teb32 + off32("NtTib.StackLimit"), stack32.limit);
    x86.space.ptr(teb32 + off32("NtTib.Self"), teb32);
    x86.space.ptr(teb32 + off32("ProcessEnvironmentBlock"), x86.peb);
    if (x64.layout.has("_TEB", "WowTebOffset")) {
      x64.space.u32(teb64 + off64("WowTebOffset"), Number(TEB32_OFFSET));
      x86.space.u32(teb32 + off32("WowTebOffset"), -Number(TEB32_OFFSET));
    } else {
      x64.space.ptr(teb64 + off64("NtTib.ExceptionList"), teb32);
    }

    // The CPU area: TlsSlots[1] → { USHORT Flags, USHORT Machine, the x86 CONTEXT }.
    const cpuArea = stack64.base;
    x64.space.ptr(teb64 + off64("TlsSlots") + BigInt(8 * WOW64_TLS_CPURESERVED), cpuArea);
    x64.space.u16(cpuArea + 2n, IMAGE_FILE_MACHINE_I386);
    const index = this.threads.length;
    const registers32 = this.registers32(index, stack32.base);
    const context32 = cpuArea + CPURESERVED_CONTEXT_OFFSET;
    x64.space.write(context32, contextBytes("x86", registers32));
    const registers64 = this.registers64(index, stack64.base, teb64, cpuArea);
    this.threads.push({ id, teb64, teb32, stack64, stack32, context32, registers64, registers32 });
  }

  /** A thread stopped in 32-bit code: eip in the 32-bit ntdll, esp in its 32-bit stack. */
  private registers32(index: number, stackBase: bigint): Record<string, bigint> {
    const { cs32, data, fs } = SELECTORS;
    const esp = stackBase - 0x7c0n - BigInt(index * 0x40);
    const named = ["eax", "ebx", "ecx", "edx", "esi", "edi"].map((name, i): [string, bigint] => [name, BigInt(0x1000 * (index + 1) + i)]);
    return {
      ...Object.fromEntries(named),
      ebp: esp + 0x30n,
      esp,
      eip: this.x86.ntdll + 0x712fbn,
      efl: 0x246n,
      cs: cs32,
      ss: data,
      ds: data,
      es: data,
      fs,
      gs: data,
    };
  }

  /**
   * The 64-bit side of a thread waiting in WOW64's CPU loop: rip in wow64cpu, rsp in the 64-bit
   * stack; r12 the TEB64 and r13 the CPU area, as a public WOW64 register dump shows them.
   */
  private registers64(index: number, stackBase: bigint, teb64: bigint, cpuArea: bigint): Record<string, bigint> {
    const { cs64, data, fs } = SELECTORS;
    const rsp = stackBase - 0x1240n - BigInt(index * 0x80);
    const zero = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11", "r14", "r15"].map((name): [string, bigint] => [name, 0n]);
    return {
      ...Object.fromEntries(zero),
      r12: teb64,
      r13: cpuArea,
      rsp,
      rip: PLACEMENT[this.build].wow64cpu + 0x1cf3n,
      efl: 0x246n,
      cs: cs64,
      ss: data,
      ds: data,
      es: data,
      fs,
      gs: data,
    };
  }
}

export interface Wow64ImageOptions {
  seed?: number;
}

/** The catalog's WOW64 process: two 64-bit NT heaps, three 32-bit ones (LFH and VirtualAlloc'd blocks on each side). */
export function buildWow64Image(build: Wow64Build, options: Wow64ImageOptions = {}): { views: Record<Wow64View, Wow64Dump>; truth: Wow64ImageTruth; process: Wow64ProcessImageBuilder } {
  const seed = options.seed ?? 1;
  const keys = (salt: number): NtdllGlobals => ({
    lfhKey: (Math.imul(seed + salt, 0x9e3779b1) ^ 0x5c1e93a7) >>> 0,
    segmentHeapKey: 0x3f1c55e2a9b04d17n ^ BigInt(seed + salt),
    segmentLfhKey: 0x6e0b8d2c71a4f359n ^ BigInt(seed + salt),
  });
  const globals = { x64: keys(1), x86: { ...keys(2), segmentHeapKey: 0x2a9b04d1n ^ BigInt(seed), segmentLfhKey: 0x71a4f359n ^ BigInt(seed) } };
  const process = new Wow64ProcessImageBuilder({ build, globals });
  const specs: Record<Arch, NtHeapSpec[]> = {
    x64: [
      { seed: seed + 1, flags: 0x2, segments: 1, blocksPerSegment: 16, lfh: true, virtualAllocs: [], escapes: true },
      { seed: seed + 2, flags: 0x1002, segments: 1, blocksPerSegment: 10, lfh: false, virtualAllocs: [], escapes: false },
    ],
    x86: [
      { seed: seed + 3, flags: 0x2, segments: 2, blocksPerSegment: 20, lfh: true, virtualAllocs: [0x21000], escapes: true },
      { seed: seed + 4, flags: 0x1002, segments: 2, blocksPerSegment: 14, lfh: true, virtualAllocs: [0x18000], escapes: true },
      { seed: seed + 5, flags: 0x1002, segments: 1, blocksPerSegment: 12, lfh: false, virtualAllocs: [], escapes: false },
    ],
  };
  const heaps = writeHeaps(process, specs);
  return { views: { x64: process.dump("x64"), x86: process.dump("x86") }, truth: wow64Truth(process, heaps), process };
}

/** A segment heap among a side's heaps (Windows 10+ layouts: the 32-bit ntdll's x86 one, §1.9, or the 64-bit one's). */
export interface Wow64SegmentHeapSpec {
  segmentHeap: SegmentHeapSpec;
}

/**
 * Writes each side's heaps in order with its layout and keys (RtlpLFHKey; a segment heap's from
 * RtlpHpHeapGlobals, as the process wrote them), lists them in its PEB, and sets their truth's
 * architecture and listing.
 */
export function writeHeaps(process: Wow64ProcessImageBuilder, specs: Record<Arch, (NtHeapSpec | Wow64SegmentHeapSpec)[]>): HeapTruth[] {
  return (["x64", "x86"] as const).flatMap((arch) => {
    const side = process[arch];
    const lfhKey = side.space.readU32(side.ntdll + BigInt(symbolRva(side.layout, "RtlpLFHKey")));
    const segmentKeys = () => {
      const globals = side.ntdll + BigInt(symbolRva(side.layout, "RtlpHpHeapGlobals"));
      return {
        heapKey: side.space.readPtr(globals + BigInt(side.layout.off("_RTLP_HP_HEAP_GLOBALS", "HeapKey"))),
        lfhKey: side.space.readPtr(globals + BigInt(side.layout.off("_RTLP_HP_HEAP_GLOBALS", "LfhKey"))),
      };
    };
    return specs[arch].map((spec, index) => {
      const heap = "segmentHeap" in spec ? writeSegmentHeap(side.space, side.layout, segmentKeys(), spec.segmentHeap) : writeNtHeap(side.space, side.layout, { lfhKey }, spec);
      process.addHeap(heap.address, arch);
      heap.listedIn = index === 0 ? ["ProcessHeap", "PEB"] : ["PEB"];
      heap.architecture = arch;
      return heap;
    });
  });
}

/** The truth of a composed WOW64 process whose heaps are written. */
export function wow64Truth(process: Wow64ProcessImageBuilder, heaps: HeapTruth[]): Wow64ImageTruth {
  const lfhKey = (arch: Arch) => process[arch].space.readU32(process[arch].ntdll + BigInt(symbolRva(process[arch].layout, "RtlpLFHKey")));
  return {
    build: process.build,
    peb64: process.x64.peb,
    peb32: process.x86.peb,
    ntdll64: { base: process.x64.ntdll },
    ntdll32: { base: process.x86.ntdll, names: process.ntdll32Names },
    threads: process.threads,
    heaps,
    lfhKeys: { x64: lfhKey("x64"), x86: lfhKey("x86") },
  };
}

/** Symbols sorted by RVA (symbolize takes the last one at or below an address). */
function sortedSymbols(symbols: [string, number][]): { name: string; rva: number }[] {
  return symbols.map(([name, rva]) => ({ name, rva })).sort((a, b) => a.rva - b.rva);
}

function roundUp(value: bigint, unit: bigint): bigint {
  return ((value + unit - 1n) / unit) * unit;
}
