// The input of writeMinidump (test/writers/minidump.ts): everything a test image puts in a .dmp.
// Streams written: SystemInfo, ModuleList, ThreadList, MiscInfo (process id), and the memory
// as Memory64List (a full dump) or MemoryList, as memoryList says.

export interface MinidumpSpecModule {
  name: string; // "C:\\Windows\\System32\\ntdll.dll": the reader keeps the full path
  base: bigint;
  size: number;
  timeDateStamp: number;
  checksum: number;
  /** File version, written as VS_FIXEDFILEINFO (dwFileVersionMS/LS). */
  version: [number, number, number, number];
}

export interface MinidumpSpecThread {
  id: number;
  teb: bigint;
  /** The thread's stack; its bytes are also part of the dump's memory. */
  stackStart: bigint;
  stackSize: number;
}

export interface MinidumpSpecRange {
  start: bigint;
  data: Uint8Array;
}

export interface MinidumpSpec {
  arch: "x86" | "x64";
  majorVersion: number;
  minorVersion: number;
  buildNumber: number;
  csdVersion: string; // e.g. "Service Pack 1" or ""
  processId: number;
  modules: MinidumpSpecModule[];
  threads: MinidumpSpecThread[];
  /** Sorted, non-overlapping; thread stacks must lie inside these ranges. */
  memory: MinidumpSpecRange[];
  memoryList: "memory64" | "memory";
}
