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
  /** Address of the PEB the process uses for its heaps (the 32-bit PEB of an x86 dump). */
  peb: bigint;
  modules: TargetModule[];
  threads: TargetThread[];
  regions: TargetRegion[];
  /** The dump's MemoryInfoList, sorted by base; undefined when the dump has none. */
  memoryInfo?: TargetMemoryInfo[];
}
