// The demo's sample: an x64 Windows 10 (19041) process with +ust whose leaks a triage ranks
// (images.ts TriageImageSpec), among a few hundred legitimate allocations from other stacks, each
// referenced from the program's roots:
// - 2000 blocks of 0x58 bytes from one allocation stack that nothing references any more;
// - a 4 MiB VirtualAlloc'd block without a stack that only session!g_frameCache holds (the giant of
//   docs/seeds.md seed 000), committed and dumped whole: each dump is about 5 MiB;
// - Gadget objects leaking from one stack in an LFH bucket they share with legitimate ones;
// - a segment heap whose 400 extra 0x90-byte LFH blocks nothing references.
// A second dump of the same process later has 600 more leaked blocks and a churned private heap.
// Run `npm run sample` to rewrite samples/leaky-x64.dmp and leaky-x64-later.dmp with their ISF files.
import { mkdirSync } from "fs";
import { join } from "path";
import { buildTriagePair, type TriageImage, type TriageImageSpec } from "./images";
import type { GrowthTruth } from "./types";

export const SAMPLE_LEAK = { request: 0x58, count: 2000 };
export const SAMPLE_SEGMENT_HEAP_LEAK = { request: 0x90, count: 400 };

export const SAMPLE_SPEC: TriageImageSpec = {
  stacks: true,
  legitimate: { processHeap: 120, privateHeap: 100 },
  smallBlocks: SAMPLE_LEAK,
  giant: { request: 0x400000 },
  lfhBucket: { request: 0x48, subsegments: 4, blocks: 128, leakShare: 0.75 },
  segmentHeapLeak: SAMPLE_SEGMENT_HEAP_LEAK,
  seed: 11,
};

/** The later snapshot: 600 more leaked blocks, another population in the private heap. */
export const SAMPLE_LATER: Partial<TriageImageSpec> = { smallBlocks: { request: SAMPLE_LEAK.request, count: SAMPLE_LEAK.count + 600 }, churnSeed: 31 };

/** The sample (its first dump), its later snapshot, and how each allocation stack grew between them. */
export function buildSample(): TriageImage & { later: TriageImage; growth: GrowthTruth[] } {
  const { earlier, later, growth } = buildTriagePair("x64", 19041, SAMPLE_SPEC, SAMPLE_LATER);
  return { ...earlier, later, growth };
}

if (require.main === module) {
  const directory = join(__dirname, "..", "..", "samples");
  mkdirSync(directory, { recursive: true });
  const sample = buildSample();
  const written = [sample.process.writeFiles(directory, "leaky-x64"), sample.later.process.writeFiles(directory, "leaky-x64-later")];
  for (const { dumpPath, isfPath, moduleIsfPaths } of written) console.log(`wrote ${dumpPath}, ${[isfPath, ...moduleIsfPaths].join(", ")}`);
}
