// The debugged process as dxheap sees it: its ntdll (layout, PEB, keys), its memory, its
// committed regions, its threads' stacks and its modules. The only place that finds these
// through the host; everything above it works on numbers and byte arrays.
import { MemoryRegion } from "./memory-types";
import { HostMemory } from "./memory";
import { ModuleSymbols, TypeSource } from "./symbols";
import { toNumber } from "./convert";
import { findWow64Ntdll, savedX86Registers, tebPair, wow64Pebs } from "./wow64";
import { MissingSymbolsError, NtHeapLayout, resolveNtHeapLayout } from "../layouts/ntheap";
import { u32 } from "../util/bytes";
import type { PageHeapLayout } from "../layouts/page-heap";
import type { SegmentHeapContext } from "../walkers/segment/context";

/** The command whose output lists committed regions, one "base end" line each (see README). */
export const REGIONS_COMMAND = '!address -f:MEM_COMMIT -c:".echo %1 %2"';

/**
 * One ntdll of the process and the heaps it manages: its layout (from its own symbols), the PEB
 * it uses, its keys, and a memory reader with its pointer size.
 */
export interface NtdllView {
  arch: "x86" | "x64";
  /** The ntdll's module name as WinDbg writes it: ntdll, or ntdll_77a60000 for a WOW64 process's 32-bit one. */
  module: string;
  memory: HostMemory;
  layout: NtHeapLayout;
  peb: number;
  /** ntdll!RtlpLFHKey, or undefined without that symbol or when it cannot be read. */
  lfhKey: number | undefined;
  /** ntdll's symbols, for what is resolved only when first needed (segment heaps). */
  symbols: TypeSource;
  /** Segment-heap layout and keys, filled on the first segment-heap walk (src/walkers/segment/context.ts). */
  segmentHeap?: SegmentHeapContext;
  /** Page-heap layout, resolved on the first handle that may be a page heap (src/walkers/pageheap/context.ts). */
  pageHeap?: PageHeapLayout;
}

/** One stack of a thread: a WOW64 thread has a 32-bit and a 64-bit one. */
export interface ThreadStack {
  arch: "x86" | "x64";
  teb: number;
  /** [limit, base) is [StackLimit, StackBase) from the TEB; zeros when the TEB is not readable. */
  base: number;
  limit: number;
  /** esp or rsp when the target has this side's context. */
  pointer: number | undefined;
}

/** A thread as the leak scan needs it. */
export interface ThreadInfo {
  id: number;
  /** The program's stack first (a WOW64 thread's 32-bit one). */
  stacks: ThreadStack[];
  /** The general registers the target gives, of either side (Infinity for values above 2^53, which point nowhere). */
  registers: { [name: string]: number };
}

const REGISTERS = [
  "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip",
  "eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp", "eip",
];

/** A loaded module: where it is, and its name as WinDbg writes it in symbols (ntdll, not C:\...\ntdll.dll). */
export interface ModuleRange {
  base: number;
  size: number;
  name: string;
}

/** What the target could not give, said once (the heap list's findings show it). */
export interface TargetProblem {
  address: number;
  message: string;
}

/** Committed regions, or why they could not be listed. */
export interface RegionList {
  regions: MemoryRegion[];
  /** Set when the debugger's region list was unavailable and `regions` is a fallback. */
  problem: string | undefined;
}

type ProcessObject = {
  Id?: unknown;
  Name?: unknown;
  Environment?: { EnvironmentBlock?: { address?: host.Int64 } };
  Threads?: Iterable<unknown>;
  Modules?: Iterable<unknown>;
};

type ThreadObject = { Id: unknown; Environment: { EnvironmentBlock: { address: host.Int64 } }; Registers: { User: { [name: string]: host.Int64 | undefined } } };

export class Target {
  private regionList: RegionList | undefined;

  private constructor(
    readonly processObject: ProcessObject,
    /** The process's ntdll views, the program's first: [x86, x64] for a WOW64 process. */
    readonly views: NtdllView[],
    private readonly moduleList: ModuleRange[],
    /** What kept a view out (a WOW64 process whose 32-bit side could not be found). */
    readonly problems: TargetProblem[],
  ) {}

  /** A WOW64 process: both its 32-bit and its 64-bit ntdll are read. */
  get isWow64(): boolean {
    return this.views.length === 2;
  }

  /**
   * A process object (the current one by default): reads, symbols and commands happen in its
   * context (docs/jsprovider.md §1.7). Throws a one-line error when ntdll's symbols or the PEB
   * are missing.
   * A WOW64 process, in either of the debugger's views (its 64-bit one, or after .effmach x86),
   * gives both ntdlls: "ntdll" is the 64-bit one, ntdll_<base> the 32-bit one, and the PEBs come
   * from a thread's TEB pair, the current view's Environment being either of them (src/host/wow64.ts).
   */
  static of(processObject: object = host.currentProcess): Target {
    const debuggee = processObject as ProcessObject;
    let block: { address?: host.Int64 } | undefined;
    try {
      const environment = debuggee.Environment;
      block = environment ? environment.EnvironmentBlock : undefined;
    } catch (e) {
      // The debugger types the PEB with ntdll's symbols: without them it cannot give it.
      throw new MissingSymbolsError(["_PEB"]);
    }
    if (!block || block.address === undefined) throw new Error("dxheap needs a user-mode process: this process has no PEB");
    const modules = listModules(debuggee);
    const symbols = new ModuleSymbols("ntdll", processObject);
    const layout = resolveNtHeapLayout(symbols);
    const native = view("ntdll", symbols, layout, userModePeb(block.address), processObject);
    const wow64 = findWow64Ntdll(modules, processObject, native.layout);
    if (!wow64) return new Target(debuggee, [native], modules, []);
    const memory32 = new HostMemory(4, processObject);
    for (const thread of iterate(debuggee.Threads)) {
      const pebs = wow64Pebs(native.memory, memory32, native.layout, wow64.layout, currentTeb(thread as ThreadObject));
      if (!pebs) continue;
      native.peb = pebs.peb64;
      return new Target(debuggee, [view(wow64.module, wow64.symbols, wow64.layout, pebs.peb32, processObject), native], modules, []);
    }
    const problem = {
      address: native.peb,
      message: `WOW64: ${wow64.module} is loaded, but no thread's TEB leads to a TEB32 and its PEB32 (TEB64 and TEB32 do not name each other): only the 64-bit heaps are listed`,
    };
    return new Target(debuggee, [native], modules, [problem]);
  }

  /** A key that names this process among the debugger's sessions. */
  static keyOf(processObject: object): string {
    const target = processObject as ProcessObject;
    let peb = "?";
    try {
      const environment = target.Environment;
      const block = environment ? environment.EnvironmentBlock : undefined;
      if (block && block.address !== undefined) peb = block.address.toString(16);
    } catch (e) {
      // Without ntdll's types there is no PEB to name; Target.of says so.
    }
    return `${String(target.Id)}:${String(target.Name)}:${peb}`;
  }

  /** The process's name and id as the debugger gives them ("?" and 0 where it gives none). */
  identity(): { name: string; id: number } {
    let name = "";
    let id = 0;
    try {
      name = String(this.processObject.Name === undefined ? "" : this.processObject.Name);
      const value = Number(this.processObject.Id);
      if (Math.floor(value) === value && value >= 0) id = value;
    } catch (e) {
      // A process object without these properties: the snapshot still names its heaps' blocks.
    }
    return { name: name || "?", id };
  }

  /** The view of an architecture, if the process has one. */
  viewOf(arch: "x86" | "x64"): NtdllView | undefined {
    for (let i = 0; i < this.views.length; i++) if (this.views[i].arch === arch) return this.views[i];
    return undefined;
  }

  /**
   * Committed regions of the process, from the debugger's !address, read once per Target. When
   * !address gives nothing (a dump without memory information) or fails, the fallback is the
   * threads' stacks and the module images, plus whatever ranges the caller adds (heap segments).
   */
  regions(extra: MemoryRegion[] = []): RegionList {
    if (!this.regionList) {
      let problem: string | undefined;
      let regions: MemoryRegion[] = [];
      try {
        regions = parseRegionLines(host.namespace.Debugger.Utility.Control.ExecuteCommand(REGIONS_COMMAND));
        if (regions.length === 0) problem = "!address listed no committed region";
      } catch (e) {
        problem = `!address failed (${(e as Error).message})`;
      }
      this.regionList = { regions, problem };
    }
    if (!this.regionList.problem) return this.regionList;
    return { regions: mergeRegions(this.stacksAndImages().concat(extra)), problem: this.regionList.problem };
  }

  /** Thread stacks [StackLimit, StackBase) from each TEB, and module images [base, base + size). */
  private stacksAndImages(): MemoryRegion[] {
    const out: MemoryRegion[] = [];
    const threads = this.threads();
    for (let i = 0; i < threads.length; i++) {
      for (const s of threads[i].stacks) if (s.limit < s.base) out.push({ base: s.limit, size: s.base - s.limit });
    }
    const images = this.modules();
    for (let i = 0; i < images.length; i++) out.push({ base: images[i].base, size: images[i].size });
    return out;
  }

  /**
   * The process's threads, listed once per Target: id, stack bounds from the TEB (both TEBs of a
   * WOW64 thread), and the general registers where the target has a context (a dump may hold
   * none). A WOW64 thread seen from the 64-bit view gives its x86 registers from the context it
   * saved when it left 32-bit code (src/host/wow64.ts).
   */
  threads(): ThreadInfo[] {
    if (!this.threadList) {
      const list: ThreadInfo[] = [];
      const x86 = this.viewOf("x86");
      const x64 = this.viewOf("x64");
      for (const thread of iterate(this.processObject.Threads)) {
        const t = thread as ThreadObject;
        const teb = currentTeb(t);
        const registers = threadRegisters(t);
        const stacks: ThreadStack[] = [];
        const pair = x86 && x64 && this.isWow64 ? tebPair(x64.memory, x86.memory, x64.layout, x86.layout, teb) : undefined;
        if (pair && x86 && x64) {
          if (registers.esp === undefined) {
            const saved = savedX86Registers(x64.memory, x64.layout, pair.teb64);
            if (saved) for (const name in saved) registers[name] = saved[name];
          }
          stacks.push(threadStack(x86, pair.teb32, registers.esp), threadStack(x64, pair.teb64, registers.rsp));
        } else {
          const own = this.views[this.views.length - 1];
          stacks.push(threadStack(own, teb, own.arch === "x64" ? registers.rsp : registers.esp));
        }
        list.push({ id: Number(t.Id), stacks, registers });
      }
      this.threadList = list;
    }
    return this.threadList;
  }

  private threadList: ThreadInfo[] | undefined;

  /** The process's modules by address, by WinDbg's names, listed once per Target. */
  modules(): ModuleRange[] {
    return this.moduleList;
  }

  /** The module holding an address, or undefined. */
  moduleAt(address: number): ModuleRange | undefined {
    const list = this.modules();
    let low = 0;
    let high = list.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const m = list[middle];
      if (address < m.base) high = middle - 1;
      else if (address >= m.base + m.size) low = middle + 1;
      else return m;
    }
    return undefined;
  }
}

function view(moduleName: string, symbols: ModuleSymbols, layout: NtHeapLayout, peb: number, processObject: object): NtdllView {
  const memory = new HostMemory(layout.pointerSize, processObject);
  return { arch: layout.pointerSize === 8 ? "x64" : "x86", module: moduleName, memory, layout, peb, lfhKey: readLfhKey(memory, layout), symbols };
}

/** The PEB's address; a damaged TEB can name any, and one above 2^53 is no user-mode address (docs/jsprovider.md §1.4). */
function userModePeb(address: host.Int64): number {
  try {
    return toNumber(address);
  } catch (e) {
    throw new Error(`dxheap needs a user-mode process: the debugger gives the PEB at 0x${address.toString(16)}, which is no user-mode address`);
  }
}

/** The thread's TEB in the debugger's current view, or 0. */
function currentTeb(thread: ThreadObject): number {
  try {
    return toNumber(thread.Environment.EnvironmentBlock.address);
  } catch (e) {
    return 0;
  }
}

/** The registers of the thread's context in the current view; none when the target has no context. */
function threadRegisters(thread: ThreadObject): { [name: string]: number } {
  const registers: { [name: string]: number } = {};
  try {
    const user = thread.Registers.User;
    for (let i = 0; i < REGISTERS.length; i++) {
      const value = user[REGISTERS[i]];
      if (value !== undefined) registers[REGISTERS[i]] = value.getHighPart() >>> 0 > 0x1fffff ? Infinity : toNumber(value);
    }
  } catch (e) {
    // No context: the stacks are scanned from their limits.
  }
  return registers;
}

/** A stack's bounds from its TEB (zeros when the TEB is not in the dump). */
function threadStack(view: NtdllView, teb: number, pointer: number | undefined): ThreadStack {
  const tib = view.layout.teb;
  const p = view.layout.pointerSize;
  let base = 0;
  let limit = 0;
  try {
    if (teb > 0) {
      const bytes = view.memory.read(teb, Math.max(tib.stackBase, tib.stackLimit) + p);
      const b = readPointer(bytes, tib.stackBase, p);
      const l = readPointer(bytes, tib.stackLimit, p);
      // Bounds that are not a range are not a stack (a TEB read with the other side's layout).
      if (l < b && isFinite(b)) {
        base = b;
        limit = l;
      }
    }
  } catch (e) {
    // A TEB that is not in the dump: no stack to scan.
  }
  return { arch: view.arch, teb, base, limit, pointer };
}

/**
 * The process's modules by WinDbg's names: the file name without its extension, and where two
 * modules share it (a WOW64 process's two ntdll.dll), the later one gets _<base as 8 hex digits>,
 * as WinDbg writes ntdll_77a60000 (docs/heap-structures.md §6b; the suffix of a base above 4 GiB is
 * UNVERIFIED). A module without a usable base or size is left out.
 */
function listModules(processObject: ProcessObject): ModuleRange[] {
  const list: ModuleRange[] = [];
  const seen: { [name: string]: boolean } = {};
  for (const image of iterate(processObject.Modules)) {
    try {
      const m = image as { BaseAddress: host.Int64; Size: host.Int64 | number; Name: unknown };
      const base = toNumber(m.BaseAddress);
      const file = String(m.Name).replace(/^.*[\\/]/, "");
      const dot = file.lastIndexOf(".");
      let name = dot > 0 ? file.slice(0, dot) : file;
      if (seen[name.toLowerCase()]) name += "_" + ("00000000" + base.toString(16)).slice(-8);
      seen[name.toLowerCase()] = true;
      list.push({ base, size: toNumber(m.Size), name });
    } catch (e) {
      // Skipped, as said.
    }
  }
  return list.sort((a, b) => a.base - b.base);
}

function readLfhKey(memory: HostMemory, layout: NtHeapLayout): number | undefined {
  if (layout.lfhKeyAddress === undefined) return undefined;
  try {
    return u32(memory.read(layout.lfhKeyAddress, 4), 0);
  } catch (e) {
    return undefined;
  }
}

function readPointer(bytes: Uint8Array, at: number, pointerSize: 4 | 8): number {
  return pointerSize === 4 ? u32(bytes, at) : u32(bytes, at + 4) * 4294967296 + u32(bytes, at);
}

function* iterate(collection: Iterable<unknown> | undefined): Generator<unknown> {
  if (!collection) return;
  try {
    for (const item of collection) yield item;
  } catch (e) {
    // A collection the debugger cannot list contributes nothing.
  }
}

/** Sorted, with overlapping or touching regions joined. */
export function mergeRegions(regions: MemoryRegion[]): MemoryRegion[] {
  const sorted = regions.filter((r) => r.size > 0).sort((a, b) => a.base - b.base);
  const out: MemoryRegion[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const last = out[out.length - 1];
    const r = sorted[i];
    if (last && r.base <= last.base + last.size) {
      last.size = Math.max(last.size, r.base + r.size - last.base);
    } else {
      out.push({ base: r.base, size: r.size });
    }
  }
  return out;
}

/**
 * The output of REGIONS_COMMAND → regions. Each useful line holds two hex numbers, the base and
 * the end of a region, with or without 0x and WinDbg's backtick (00000000`7ffe0000); other lines
 * (such as "*** Executing: …" echoes and headers) are ignored.
 */
export function parseRegionLines(lines: Iterable<string>): MemoryRegion[] {
  const regions: MemoryRegion[] = [];
  const hexWord = /^(?:0x)?([0-9a-f]+)$/i;
  for (const line of lines) {
    const words = String(line).trim().replace(/`/g, "").split(/\s+/);
    if (words.length !== 2) continue;
    const base = hexWord.exec(words[0]);
    const end = hexWord.exec(words[1]);
    if (!base || !end) continue;
    const start = parseInt(base[1], 16);
    const stop = parseInt(end[1], 16);
    if (stop > start && stop <= 9007199254740991) regions.push({ base: start, size: stop - start });
  }
  return mergeRegions(regions);
}

let unreadableFingerprints = 0;

/**
 * undefined for a dump; for a live target, the threads' ids, instruction and stack pointers: a
 * target that ran and stopped again has at least one of them changed (a break-in even adds a
 * thread). The data model offers scripts no event or counter for "the target ran"
 * (docs/jsprovider.md §1.10), so the cache is re-validated this way at a few host calls per thread.
 * A live thread whose registers cannot be read makes the fingerprint unique: nothing is reused.
 */
export function liveFingerprint(processObject: object): string | undefined {
  if (!isLiveTarget()) return undefined;
  const parts: string[] = [];
  for (const thread of iterate((processObject as ProcessObject).Threads)) {
    try {
      const t = thread as { Id: unknown; Registers: { User: { [name: string]: host.Int64 | undefined } } };
      const user = t.Registers.User;
      const pc = user.rip !== undefined ? user.rip : user.eip;
      const sp = user.rsp !== undefined ? user.rsp : user.esp;
      if (pc === undefined || sp === undefined) throw new Error("no registers");
      parts.push(`${String(t.Id)}:${pc.toString(16)}:${sp.toString(16)}`);
    } catch (e) {
      return `unreadable ${++unreadableFingerprints}`;
    }
  }
  return parts.join(",");
}

function isLiveTarget(): boolean {
  try {
    const session = (host as unknown as { currentSession: { Attributes: { Target: { IsLiveTarget: unknown } } } }).currentSession;
    return session.Attributes.Target.IsLiveTarget === true;
  } catch (e) {
    return false;
  }
}
