// The demo's sample: a small x64 Windows 10 (19041) process with leaks. Its process heap is
// ordinary; a private heap holds hundreds of forgotten 0x208-byte blocks (the pattern the
// seeds' leak hunts look for with !heap -stat, docs/seeds.md), plus one big VirtualAlloc'd
// buffer; its segment heap holds hundreds of forgotten 0x90-byte LFH blocks.
// Run `npm run sample` to rewrite samples/leaky-x64.dmp and samples/leaky-x64.ntdll.isf.json.
import { mkdirSync } from "fs";
import { join } from "path";
import { writeNtHeap } from "./ntheap";
import { ProcessImageBuilder } from "./process";
import { writeSegmentHeap } from "./segment-heap";
import { HeapTruth } from "./types";

export const SAMPLE_LEAK = { request: 0x208, count: 600 };
export const SAMPLE_SEGMENT_HEAP_LEAK = { request: 0x90, count: 400 };

export function buildSample(): { process: ProcessImageBuilder; heaps: HeapTruth[] } {
  const lfhKey = 0x5c1e93a7;
  const globals = { lfhKey, segmentHeapKey: 0x3f1c55e2a9b04d17n, segmentLfhKey: 0x6e0b8d2c71a4f359n };
  const process = new ProcessImageBuilder({ arch: "x64", build: 19041, globals });
  const { space, layout } = process;
  const heaps = [
    writeNtHeap(space, layout, { lfhKey }, { seed: 11, flags: 0x2, segments: 2, blocksPerSegment: 40, lfh: true, virtualAllocs: [0x21000], escapes: true }),
    writeNtHeap(space, layout, { lfhKey }, {
      seed: 12, flags: 0x1002, segments: 2, blocksPerSegment: 30, lfh: true, virtualAllocs: [0x40000], escapes: true, leak: SAMPLE_LEAK,
    }),
    writeNtHeap(space, layout, { lfhKey }, { seed: 13, flags: 0x1002, segments: 1, blocksPerSegment: 12, lfh: false, virtualAllocs: [], escapes: false }),
    writeSegmentHeap(space, layout, { heapKey: globals.segmentHeapKey, lfhKey: globals.segmentLfhKey }, { seed: 14, encodedLargeTree: false, leak: SAMPLE_SEGMENT_HEAP_LEAK }),
  ];
  for (const heap of heaps) {
    process.addHeap(heap.address, ["PEB"]);
    heap.listedIn = ["PEB"];
  }
  return { process, heaps };
}

if (require.main === module) {
  const directory = join(__dirname, "..", "..", "samples");
  mkdirSync(directory, { recursive: true });
  buildSample().process.writeFiles(directory, "leaky-x64");
  console.log(`wrote ${join(directory, "leaky-x64.dmp")} and its ntdll types`);
}
