// The input of writeMinidump (test/writers/minidump.ts): everything a test image puts in a .dmp.
// Streams written: SystemInfo, ModuleList, ThreadList (with each thread's CONTEXT when it has
// registers), MiscInfo (process id), MemoryInfoList, and the memory as Memory64List (a full dump)
// or MemoryList, as memoryList says.

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
  /**
   * The thread's registers, written as its CONTEXT with the control, integer and segment groups
   * valid; names as dx shows them (x64: rax..r15, rip, rsp, rbp, efl, cs..gs; x86: eax..edi, eip,
   * esp, ebp, efl, cs..gs), every one of the architecture's names given. Absent: no CONTEXT.
   */
  registers?: Record<string, bigint>;
}

/** One MINIDUMP_MEMORY_INFO: a region as VirtualQuery describes it. */
export interface MinidumpSpecMemoryInfo {
  base: bigint;
  allocationBase: bigint;
  allocationProtect: number;
  size: bigint;
  state: number; // MEM_COMMIT 0x1000, MEM_RESERVE 0x2000, MEM_FREE 0x10000
  protect: number; // PAGE_READWRITE 0x04, PAGE_NOACCESS 0x01, ...
  type: number; // MEM_PRIVATE 0x20000, MEM_MAPPED 0x40000, MEM_IMAGE 0x1000000
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
  /**
   * The MemoryInfoList, sorted and non-overlapping. Absent: one committed, private, read-write
   * region per memory range, as a full-memory dump lists memory it could read.
   */
  memoryInfo?: MinidumpSpecMemoryInfo[];
}
