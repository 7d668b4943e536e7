// The debugged process as dxheap sees it: its ntdll (layout, PEB, keys), its memory, its
// committed regions, its threads' stacks and its modules. The only place that finds these
// through the host; everything above it works on numbers and byte arrays.
import { MemoryRegion } from "./memory-types";
import { HostMemory } from "./memory";
import { ModuleSymbols, TypeSource } from "./symbols";
import { toNumber } from "./convert";
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

/** A thread as the leak scan needs it. */
export interface ThreadInfo {
  id: number;
  teb: number;
  /** [StackLimit, StackBase) from the TEB; zeros when the TEB is not readable. */
  stackBase: number;
  stackLimit: number;
  /** rsp/esp when the target has the thread's context. */
  stackPointer: number | undefined;
  /** The general registers the context gives (Infinity for values above 2^53, which point nowhere). */
  registers: { [name: string]: number };
}

const X64_REGISTERS = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip"];
const X86_REGISTERS = ["eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp", "eip"];

/** A loaded module: where it is, and its name as WinDbg writes it in symbols (ntdll, not C:\...\ntdll.dll). */
export interface ModuleRange {
  base: number;
  size: number;
  name: string;
}

/** "C:\Windows\System32\ntdll.dll" → "ntdll": the file name without its extension. */
function moduleName(path: string): string {
  const file = path.replace(/^.*[\\/]/, "");
  const dot = file.lastIndexOf(".");
  return dot > 0 ? file.slice(0, dot) : file;
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

export class Target {
  private regionList: RegionList | undefined;

  private constructor(
    readonly processObject: ProcessObject,
    /** The process's ntdll views; the native one first. */
    readonly views: NtdllView[],
  ) {}

  /**
   * A process object (the current one by default): reads, symbols and commands happen in its
   * context (docs/jsprovider.md §1.7). Throws a one-line error when ntdll's symbols or the PEB
   * are missing.
   */
  static of(processObject: object = host.currentProcess): Target {
    let block: { address?: host.Int64 } | undefined;
    try {
      const environment = (processObject as ProcessObject).Environment;
      block = environment ? environment.EnvironmentBlock : undefined;
    } catch (e) {
      // The debugger types the PEB with ntdll's symbols: without them it cannot give it.
      throw new MissingSymbolsError(["_PEB"]);
    }
    if (!block || block.address === undefined) throw new Error("dxheap needs a user-mode process: this process has no PEB");
    const symbols = new ModuleSymbols("ntdll", processObject);
    const layout = resolveNtHeapLayout(symbols);
    const memory = new HostMemory(layout.pointerSize, processObject);
    const native: NtdllView = {
      arch: layout.pointerSize === 8 ? "x64" : "x86",
      memory,
      layout,
      peb: toNumber(block.address),
      lfhKey: readLfhKey(memory, layout),
      symbols,
    };
    return new Target(processObject as ProcessObject, [native]);
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
      if (threads[i].stackLimit < threads[i].stackBase) out.push({ base: threads[i].stackLimit, size: threads[i].stackBase - threads[i].stackLimit });
    }
    const images = this.modules();
    for (let i = 0; i < images.length; i++) out.push({ base: images[i].base, size: images[i].size });
    return out;
  }

  /**
   * The process's threads, listed once per Target: id, TEB, stack bounds from the TEB, and the
   * general registers where the target has a context (a dump may hold none).
   */
  threads(): ThreadInfo[] {
    if (!this.threadList) {
      const list: ThreadInfo[] = [];
      const view = this.views[0];
      const tib = view.layout.teb;
      const p = view.layout.pointerSize;
      for (const thread of iterate(this.processObject.Threads)) {
        const t = thread as { Id: unknown; Environment: { EnvironmentBlock: { address: host.Int64 } }; Registers: { User: { [name: string]: host.Int64 | undefined } } };
        let teb = 0;
        let stackBase = 0;
        let stackLimit = 0;
        try {
          teb = toNumber(t.Environment.EnvironmentBlock.address);
          const bytes = view.memory.read(teb, Math.max(tib.stackBase, tib.stackLimit) + p);
          stackBase = readPointer(bytes, tib.stackBase, p);
          stackLimit = readPointer(bytes, tib.stackLimit, p);
        } catch (e) {
          // A thread whose TEB is not in the dump keeps zeros: no stack to scan.
        }
        const registers: { [name: string]: number } = {};
        let stackPointer: number | undefined;
        try {
          const user = t.Registers.User;
          const names = p === 8 ? X64_REGISTERS : X86_REGISTERS;
          for (let i = 0; i < names.length; i++) {
            const value = user[names[i]];
            if (value !== undefined) registers[names[i]] = value.getHighPart() >>> 0 > 0x1fffff ? Infinity : toNumber(value);
          }
          stackPointer = registers[p === 8 ? "rsp" : "esp"];
        } catch (e) {
          // No context: the stack is scanned from its limit.
        }
        list.push({ id: Number(t.Id), teb, stackBase, stackLimit, stackPointer, registers });
      }
      this.threadList = list;
    }
    return this.threadList;
  }

  private threadList: ThreadInfo[] | undefined;

  /** The process's modules by address, listed once per Target (a module without a usable base or size is left out). */
  modules(): ModuleRange[] {
    if (!this.moduleList) {
      const list: ModuleRange[] = [];
      for (const image of iterate(this.processObject.Modules)) {
        try {
          const m = image as { BaseAddress: host.Int64; Size: host.Int64 | number; Name: unknown };
          list.push({ base: toNumber(m.BaseAddress), size: toNumber(m.Size), name: moduleName(String(m.Name)) });
        } catch (e) {
          // Skipped, as said.
        }
      }
      this.moduleList = list.sort((a, b) => a.base - b.base);
    }
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

  private moduleList: ModuleRange[] | undefined;
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
