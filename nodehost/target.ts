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
}

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
}
