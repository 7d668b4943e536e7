// What the Node host serves: one process, as a minidump and its symbol tables describe it.
// Built by loadTarget (nodehost/load.ts) from a .dmp and its <dump>.<module>.isf.json files.
import type { IsfTypes } from "./formats/isf";

export type Arch = "x86" | "x64";

/** A run of readable memory. Regions are sorted by base and never overlap. */
export interface TargetRegion {
  base: bigint;
  bytes: Uint8Array;
}

export interface TargetModule {
  /** File name as the dump records it, e.g. "ntdll.dll"; the host matches "ntdll" too. */
  name: string;
  /**
   * WinDbg's name of a module whose file name an earlier module of the dump has: the name with
   * "_<base in 8 hex digits>" appended, e.g. "ntdll_77a60000" for a WOW64 process's 32-bit ntdll.
   * The host then matches this name only; it is also the key of the module's types file.
   */
  renamed?: string;
  base: bigint;
  size: number;
  /** File version "a.b.c.d" from the module's VS_FIXEDFILEINFO, when present. */
  version?: string;
  /** Types and symbols (RVAs) of this module, from its ISF file, when present. */
  types?: IsfTypes;
}

export interface TargetThread {
  id: number;
  teb: bigint;
  stackStart: bigint;
  stackSize: number;
  /** The registers of the thread's CONTEXT by dx's names (rip, rsp, ... or eip, esp, ...); absent without a CONTEXT. */
  registers?: Record<string, bigint>;
  /**
   * A WOW64 thread of a 64-bit dump: its TEB32, and the x86 registers it saved at
   * TEB64.TlsSlots[1] + 4 when the dump holds them (what .effmach x86 shows).
   */
  wow64?: { teb: bigint; registers?: Record<string, bigint> };
}

/** A region as VirtualQuery describes it (the dump's MemoryInfoList). */
export interface TargetMemoryInfo {
  base: bigint;
  size: bigint;
  /** MEM_COMMIT 0x1000, MEM_RESERVE 0x2000, MEM_FREE 0x10000. */
  state: number;
  protect: number;
  /** MEM_PRIVATE 0x20000, MEM_MAPPED 0x40000, MEM_IMAGE 0x1000000. */
  type: number;
}

/** MEMORY_BASIC_INFORMATION.State of committed memory (winnt.h). */
export const MEM_COMMIT = 0x1000;

export interface TargetData {
  arch: Arch;
  pointerSize: 4 | 8;
  processId: number;
  /** The main module's file name, e.g. "leaky.exe". */
  processName: string;
  /** Address of the PEB of the dump's architecture: the 32-bit PEB of an x86 dump, the 64-bit one of a WOW64 process's 64-bit dump. */
  peb: bigint;
  /** A WOW64 process in a 64-bit dump: its PEB32 and WinDbg's name of its 32-bit ntdll (the 32-bit view's types). */
  wow64?: { peb: bigint; ntdll: string };
  modules: TargetModule[];
  threads: TargetThread[];
  regions: TargetRegion[];
  /** The dump's MemoryInfoList, sorted by base; undefined when the dump has none. */
  memoryInfo?: TargetMemoryInfo[];
}
