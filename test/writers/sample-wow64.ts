// The demo's WOW64 sample: a 32-bit program on 64-bit Windows 10 (19041) as a 64-bit dump
// (Task Manager's kind, see wow64.ts). WOW64 itself has two small 64-bit heaps; the program's
// 32-bit heaps hold the leak: a private heap with hundreds of forgotten 0x48-byte blocks and a
// 0x400000-byte VirtualAlloc'd buffer. `npm run sample` rewrites samples/wow64-x64.dmp with its
// samples/wow64-x64.ntdll.isf.json (the 64-bit ntdll) and samples/wow64-x64.ntdll_77a60000.isf.json
// (the 32-bit one, by WinDbg's name of it).
import { mkdirSync } from "fs";
import { join } from "path";
import { Wow64ProcessImageBuilder, wow64Truth, writeHeaps, type Wow64ImageTruth } from "./wow64";

export const WOW64_SAMPLE_LEAK = { request: 0x48, count: 400 };
export const WOW64_SAMPLE_BIG_BLOCK = 0x400000;

export function buildWow64Sample(): { process: Wow64ProcessImageBuilder; truth: Wow64ImageTruth } {
  const process = new Wow64ProcessImageBuilder({
    build: 19041,
    globals: {
      x64: { lfhKey: 0x2b7e1516, segmentHeapKey: 0x28aed2a6abf71588n, segmentLfhKey: 0x09cf4f3c762e7160n },
      x86: { lfhKey: 0x7a3c91e5, segmentHeapKey: 0x4f3c762en, segmentLfhKey: 0x1588a2b7n },
    },
  });
  const heaps = writeHeaps(process, {
    x64: [
      { seed: 21, flags: 0x2, segments: 1, blocksPerSegment: 16, lfh: true, virtualAllocs: [], escapes: true },
      { seed: 22, flags: 0x1002, segments: 1, blocksPerSegment: 8, lfh: false, virtualAllocs: [], escapes: false },
    ],
    x86: [
      { seed: 23, flags: 0x2, segments: 2, blocksPerSegment: 30, lfh: true, virtualAllocs: [0x21000], escapes: true },
      { seed: 24, flags: 0x1002, segments: 2, blocksPerSegment: 24, lfh: true, virtualAllocs: [WOW64_SAMPLE_BIG_BLOCK], escapes: true, leak: WOW64_SAMPLE_LEAK },
      { seed: 25, flags: 0x1002, segments: 1, blocksPerSegment: 12, lfh: false, virtualAllocs: [], escapes: false },
    ],
  });
  return { process, truth: wow64Truth(process, heaps) };
}

if (require.main === module) {
  const directory = join(__dirname, "..", "..", "samples");
  mkdirSync(directory, { recursive: true });
  const dumpPath = buildWow64Sample().process.writeFiles(directory, "wow64-x64", "x64");
  console.log(`wrote ${dumpPath} and the types of both ntdlls`);
}
