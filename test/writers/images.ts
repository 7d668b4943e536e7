// The catalog of test images: a process with several NT heaps (and a segment heap where the
// build has them), pointers into busy blocks planted in thread stacks, and the truth of it all.
import { writeNtHeap, type NtHeapSpec } from "./ntheap";
import { ProcessImageBuilder, type HeapListing } from "./process";
import { writeSegmentHeap } from "./segment-heap";
import type { AddressSpace, Arch, BlockTruth, HeapTruth } from "./types";

export interface ImageTruth {
  arch: Arch;
  build: number;
  peb: bigint;
  /** In the order the process lists them: NT heaps (the process heap first), then the segment heap. */
  heaps: HeapTruth[];
  /** Pointers planted in thread stacks, each into a busy block. */
  references: { location: bigint; value: bigint }[];
  /** ntdll!RtlpLFHKey. */
  lfhKey: number;
}

export interface ImageOptions {
  /** Varies keys, block sizes and placement; the same seed gives the same image. */
  seed?: number;
  /** PEB.NtGlobalFlag. */
  ntGlobalFlag?: number;
  /**
   * The segment heap's LargeAllocMetadata written encoded (§2.5 step 5, UNVERIFIED reading). By
   * default it is on the builds of ENCODED_LARGE_TREE_BUILDS only, so that the catalog has both.
   */
  encodedLargeTree?: boolean;
}

/** Segment heaps appear in the images from Windows 10 1809 on (the oldest _SEGMENT_HEAP layout we have, §1.0). */
const FIRST_SEGMENT_HEAP_BUILD = 17763;
/** Builds whose images encode LargeAllocMetadata by default: a catalog choice, not a Windows fact. */
const ENCODED_LARGE_TREE_BUILDS = [22000, 26100];

/** The process heap (HEAP_GROWABLE) and two private heaps (0x1002, as !heap -s shows them, §1.2). */
function ntHeapSpecs(arch: Arch, seed: number): NtHeapSpec[] {
  // With escapes the writer makes 0x40 (extended entry) blocks on both architectures and 0x3F
  // (count after the block) ones on x64 only: their x86 location is UNVERIFIED (§2.2).
  const escapes = true;
  return [
    { seed: seed + 1, flags: 0x2, segments: 2, blocksPerSegment: 24, lfh: true, virtualAllocs: [0x21000], escapes },
    { seed: seed + 2, flags: 0x1002, segments: 1, blocksPerSegment: 16, lfh: false, virtualAllocs: [], escapes },
    { seed: seed + 3, flags: 0x1002, segments: 2, blocksPerSegment: 12, lfh: true, virtualAllocs: [0x18000, 0x2a000], escapes },
  ];
}

export function buildImage(
  arch: Arch,
  build: number,
  options: ImageOptions = {},
): { dump: Uint8Array; ntdllIsf: object; truth: ImageTruth; space: AddressSpace } {
  const seed = options.seed ?? 1;
  const random = mulberry32(seed);
  const randomPointerSized = () =>
    arch === "x64" ? (BigInt(random.u32()) << 32n) | BigInt(random.u32()) : BigInt(random.u32());
  const lfhKey = random.u32();
  const segmentHeapKey = randomPointerSized();
  const segmentLfhKey = randomPointerSized();
  const process = new ProcessImageBuilder({ arch, build, ntGlobalFlag: options.ntGlobalFlag, globals: { lfhKey, segmentHeapKey, segmentLfhKey } });
  const { space, layout } = process;

  const heaps = ntHeapSpecs(arch, seed).map((spec) => writeNtHeap(space, layout, { lfhKey }, spec));
  if (build >= FIRST_SEGMENT_HEAP_BUILD) {
    const encodedLargeTree = options.encodedLargeTree ?? ENCODED_LARGE_TREE_BUILDS.includes(build);
    heaps.push(writeSegmentHeap(space, layout, { heapKey: segmentHeapKey, lfhKey: segmentLfhKey }, { seed: seed + 4, encodedLargeTree }));
  }

  // With a process heap descriptor list (24H2, §2.1) the PEB lists only the first heap.
  const hasDescriptorList = layout.isf.symbols.RtlpProcessHeaps !== undefined;
  heaps.forEach((heap, index) => {
    const listedIn: HeapListing[] = !hasDescriptorList ? ["PEB"] : index === 0 ? ["PEB", "DescriptorList"] : ["DescriptorList"];
    process.addHeap(heap.address, listedIn);
    // The first heap added is also PEB.ProcessHeap, the default process heap (§1.1).
    heap.listedIn = index === 0 ? ["ProcessHeap", ...listedIn] : listedIn;
  });

  const references = plantReferences(process, heaps, random);
  const { dump, ntdllIsf } = process.build();
  return { dump, ntdllIsf, truth: { arch, build, peb: process.peb, heaps, references, lfhKey }, space };
}

/**
 * Pointers a leak hunt or reference search must find: to the start of a busy backend block, into
 * the middle of another, and to the start of an LFH and of a VirtualAlloc'd block where present.
 */
function plantReferences(process: ProcessImageBuilder, heaps: HeapTruth[], random: Random): { location: bigint; value: bigint }[] {
  const busy = heaps.flatMap((heap) => heap.blocks).filter((block) => block.state === "Busy" && block.userSize > 0);
  const ofKind = (kind: BlockTruth["kind"]) => busy.filter((block) => block.kind === kind);
  const backend = ofKind("Backend");
  if (backend.length < 2) throw new Error("the image needs two busy backend blocks to point into");
  const pick = (blocks: BlockTruth[]) => blocks[random.u32() % blocks.length];

  const start = pick(backend);
  const middle = pick(backend.filter((block) => block !== start));
  const values = [start.userAddress, middle.userAddress + BigInt(Math.floor(middle.userSize / 2))];
  for (const kind of ["LFH", "VirtualAlloc"] as const) {
    const blocks = ofKind(kind);
    if (blocks.length > 0) values.push(pick(blocks).userAddress);
  }
  return values.map((value) => process.plantPointer(value));
}

interface Random {
  u32(): number;
}

/** A small seeded PRNG (mulberry32): images are reproducible from their seed. */
function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return {
    u32() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (t ^ (t >>> 14)) >>> 0;
    },
  };
}
