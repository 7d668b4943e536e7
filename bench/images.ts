// The benchmark's images, written with the test-image writers (test/writers): a process whose
// process heap is small and whose second NT heap is large, of the mix the issue measured on:
// about 74 % LFH blocks (UserBlocks of 128 blocks, strides of 2 to 32 granules, some 40 % free), the
// rest back-end blocks of mixed sizes (some 30 % free, the UnusedBytes escapes included), eight
// segments with uncommitted ranges in the middle, at the end, both or neither, and three
// VirtualAlloc'd blocks; nearly every busy block reachable from a thread's stack. Images are kept in a cache directory keyed by their spec and the writers'
// source, so a second run does not write them again.
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { writeNtHeap } from "../test/writers/ntheap";
import { ProcessImageBuilder } from "../test/writers/process";
import type { Arch, HeapTruth } from "../test/writers/types";

export interface BenchImageSpec {
  arch: Arch;
  build: number;
  /** Blocks of the large heap, roughly (the writer rounds to whole subsegments and runs). */
  blocks: number;
  seed: number;
}

export interface BenchImage {
  spec: BenchImageSpec;
  dumpPath: string;
  /** Blocks the writer placed in every heap (the walk must find as many). */
  blocks: number;
  /** Committed bytes of the large heap's segments and VirtualAlloc'd blocks. */
  heapBytes: number;
}

const LFH_SHARE = 0.74;
const BLOCKS_PER_SUBSEGMENT = 128;
const SEGMENTS = 8;
/** LFH strides in granules, taken in turn by the subsegments. */
const STRIDES = [2, 3, 4, 5, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32];
const VIRTUAL_ALLOCS = [0x21000, 0x100000, 0x400000];
const LEAK_EVERY = 64;

export function imageName(spec: BenchImageSpec): string {
  return `${spec.arch}-${spec.build}-${spec.blocks}`;
}

/** The image of spec, from the cache or written now. */
export function benchImage(spec: BenchImageSpec, cacheDir = defaultCacheDir()): BenchImage {
  const key = createHash("sha256").update(JSON.stringify(spec)).update(writersSource()).digest("hex").slice(0, 16);
  const base = path.join(cacheDir, `${imageName(spec)}-${key}`);
  const metaPath = `${base}.json`;
  if (fs.existsSync(metaPath) && fs.existsSync(`${base}.dmp`)) return JSON.parse(fs.readFileSync(metaPath, "utf8")) as BenchImage;
  fs.mkdirSync(cacheDir, { recursive: true });
  const image = writeBenchImage(spec, base);
  fs.writeFileSync(metaPath, JSON.stringify(image));
  return image;
}

export function defaultCacheDir(): string {
  return path.join(os.tmpdir(), "dxheap-bench-images");
}

function writeBenchImage(spec: BenchImageSpec, base: string): BenchImage {
  const process = new ProcessImageBuilder({
    arch: spec.arch,
    build: spec.build,
    globals: { lfhKey: 0x5ca1ab1e ^ spec.seed, segmentHeapKey: 0x1234n, segmentLfhKey: 0x5678n },
  });
  const { space, layout } = process;
  const lfhKey = (0x5ca1ab1e ^ spec.seed) >>> 0;
  const gran = layout.granularity;
  const subsegmentCount = Math.max(1, Math.round((spec.blocks * LFH_SHARE) / BLOCKS_PER_SUBSEGMENT));
  const lfhSubsegments = Array.from({ length: subsegmentCount }, (_, k) => {
    const blockGranules = STRIDES[k % STRIDES.length];
    const stride = blockGranules * gran;
    // Unused bytes 8 to 0x3E (what a busy LFH block may hold, docs/heap-structures.md §2.4).
    const unused = 8 + (k % Math.min(0x37, stride - 8));
    return { blockGranules, blocks: BLOCKS_PER_SUBSEGMENT, request: stride - unused };
  });
  const backendBlocks = Math.max(SEGMENTS, Math.round(spec.blocks * (1 - LFH_SHARE)));
  const small = writeNtHeap(space, layout, { lfhKey }, { seed: spec.seed + 1, flags: 0x2, segments: 2, blocksPerSegment: 24, lfh: true, virtualAllocs: [0x21000], escapes: true });
  const large = writeNtHeap(space, layout, { lfhKey }, {
    seed: spec.seed + 2,
    flags: 0x1002,
    segments: SEGMENTS,
    blocksPerSegment: Math.ceil(backendBlocks / SEGMENTS),
    lfh: true,
    lfhSubsegments,
    virtualAllocs: VIRTUAL_ALLOCS,
    escapes: true,
  });
  process.addHeap(small.address, ["PEB"]);
  process.addHeap(large.address, ["PEB"]);
  linkBlocks(process, [small, large]);
  const { dump, ntdllIsf } = process.build();
  fs.writeFileSync(`${base}.dmp`, dump);
  fs.writeFileSync(`${base}.ntdll.isf.json`, JSON.stringify(ntdllIsf));
  const heapBytes = large.segments.reduce((sum, s) => sum + s.committedBytes, 0) + large.blocks.filter((b) => b.kind === "VirtualAlloc").reduce((sum, b) => sum + b.size, 0);
  return { spec, dumpPath: `${base}.dmp`, blocks: small.blocks.length + large.blocks.length, heapBytes };
}

/**
 * A process's blocks are mostly reachable: every busy block that can hold a pointer points to the
 * next one, the first is held by a thread's stack, and one in LEAK_EVERY is left out of the chain
 * (a leak for !heapleaks to find).
 */
function linkBlocks(process: ProcessImageBuilder, heaps: HeapTruth[]): void {
  const p = process.space.pointerSize;
  const chained = heaps.flatMap((heap) => heap.blocks).filter((b, i) => b.state === "Busy" && b.userSize >= p && i % LEAK_EVERY !== 0);
  process.plantPointer(chained[0].userAddress);
  for (let i = 0; i + 1 < chained.length; i++) process.space.ptr(chained[i].userAddress, chained[i + 1].userAddress);
}

/** The writers' and this file's source: a change to any of them writes the images again. */
function writersSource(): string {
  const writers = path.join(__dirname, "..", "test", "writers");
  const files = fs.readdirSync(writers).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts")).sort().map((f) => path.join(writers, f));
  return files.concat(__filename).map((f) => fs.readFileSync(f, "utf8")).join("\n");
}
