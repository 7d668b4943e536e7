// The process a fuzz case starts from: one to three small NT heaps (back end, uncommitted ranges,
// free lists, LFH UserBlocks where the draw says so, VirtualAlloc'd blocks) composed with the
// writers' ProcessImageBuilder and writeNtHeap, listed in the PEB and, where the layout has one,
// in ntdll's process heap descriptor list. Besides the truth of every block it keeps a catalogue
// of the structures the mutations aim at, read from the image before any damage.
import { symbolRva } from "../writers/layout";
import { writeNtHeap, type NtHeapSpec } from "../writers/ntheap";
import { ProcessImageBuilder, type HeapListing } from "../writers/process";
import type { AddressSpace, Arch, BlockTruth, HeapTruth, Layout } from "../writers/types";
import type { Rng } from "./random";

/** The layouts a case may draw, with their weights: Windows 7, 10 and 11 on both architectures where the writers have them, and the 24H2-style x64 layout that has ntdll's heap descriptor list. */
export const IMAGE_BUILDS: readonly (readonly [{ arch: Arch; build: number }, number])[] = [
  [{ arch: "x64", build: 7601 }, 2],
  [{ arch: "x64", build: 19041 }, 3],
  [{ arch: "x64", build: 22000 }, 3],
  [{ arch: "x64", build: 26100 }, 1.5],
  [{ arch: "x86", build: 7601 }, 2],
  [{ arch: "x86", build: 19041 }, 3],
];

/** Below _HEAP.VirtualMemoryThreshold's 64 KiB the writer would not make VirtualAlloc'd blocks consistent with it. */
const VIRTUAL_ALLOC_MIN = 0x11000;
const VIRTUAL_ALLOC_MAX = 0x30000;

export interface UcrDescriptorTarget {
  heap: HeapTruth;
  segment: bigint;
  descriptor: bigint;
}

export interface ContainerTarget {
  heap: HeapTruth;
  /** The backend block holding the UserBlocks. */
  block: BlockTruth;
  /** The _HEAP_USERDATA_HEADER. */
  userBlocks: bigint;
  /** The _HEAP_SUBSEGMENT its header names. */
  subsegment: bigint;
  /** The LFH blocks inside it. */
  blocks: BlockTruth[];
}

export interface FuzzImage {
  arch: Arch;
  build: number;
  layout: Layout;
  space: AddressSpace;
  builder: ProcessImageBuilder;
  peb: bigint;
  /** PEB.ProcessHeaps. */
  processHeapsArray: bigint;
  heaps: HeapTruth[];
  specs: NtHeapSpec[];
  /** ntdll!RtlpProcessHeaps and the descriptors on it, where the layout has the list. */
  descriptorHead?: bigint;
  descriptors: bigint[];
  /** ntdll!RtlpLFHKey. */
  lfhKeyAddress: bigint;
  ucrDescriptors: UcrDescriptorTarget[];
  containers: ContainerTarget[];
  /** _HEAP.FrontEndHeap of each heap with LFH. */
  lfhHeaps: { heap: HeapTruth; address: bigint }[];
  /** _HEAP_VIRTUAL_ALLOC_ENTRY of each VirtualAlloc'd block. */
  virtualAllocs: { heap: HeapTruth; entry: bigint; block: BlockTruth }[];
  /** Truth counts, for the read budget. */
  structures: number;
}

/** "x64-19041": how --layouts names an entry of IMAGE_BUILDS. */
export function layoutName(entry: { arch: Arch; build: number }): string {
  return `${entry.arch}-${entry.build}`;
}

/** Draws and writes a process, on one of `layouts` (names as layoutName gives them; all by default). Deterministic in the draws of rng. */
export function buildFuzzImage(rng: Rng, layouts?: readonly string[]): FuzzImage {
  const builds = layouts && layouts.length > 0 ? IMAGE_BUILDS.filter(([entry]) => layouts.includes(layoutName(entry))) : IMAGE_BUILDS;
  if (builds.length === 0) throw new Error(`no layout among ${layouts!.join(", ")} (known: ${IMAGE_BUILDS.map(([e]) => layoutName(e)).join(", ")})`);
  const { arch, build } = rng.weighted(builds);
  const lfhKey = rng.u32();
  const builder = new ProcessImageBuilder({ arch, build, globals: { lfhKey, segmentHeapKey: 0n, segmentLfhKey: 0n } });
  const { space, layout } = builder;

  const heapCount = rng.weighted([[1, 3], [2, 4], [3, 2]] as const);
  const specs: NtHeapSpec[] = [];
  for (let i = 0; i < heapCount; i++) {
    const virtualAllocs = Array.from({ length: rng.weighted([[0, 2], [1, 3], [2, 2]] as const) }, () => rng.int(VIRTUAL_ALLOC_MIN, VIRTUAL_ALLOC_MAX) & ~0xf);
    specs.push({
      seed: rng.u32(),
      flags: i === 0 ? 0x2 : rng.pick([0x1002, 0x1002, 0x1062, 0x2]),
      segments: rng.weighted([[1, 3], [2, 4], [3, 2]] as const),
      blocksPerSegment: rng.int(4, 20),
      lfh: rng.chance(0.7),
      virtualAllocs,
      // The writer's 0x40 escape works on both architectures, the 0x3F one on x64 only (it decides).
      escapes: rng.chance(0.7),
      leak: rng.chance(0.2) ? { request: rng.int(0x10, 0x300), count: rng.int(2, 24) } : undefined,
    });
  }
  const heaps = specs.map((spec) => writeNtHeap(space, layout, { lfhKey }, spec));

  // As buildImage lists them: with a descriptor list (24H2) the PEB lists the first heap only.
  const hasDescriptorList = layout.isf.symbols.RtlpProcessHeaps !== undefined;
  heaps.forEach((heap, index) => {
    const listedIn: HeapListing[] = !hasDescriptorList ? ["PEB"] : index === 0 ? ["PEB", "DescriptorList"] : ["DescriptorList"];
    builder.addHeap(heap.address, listedIn);
    heap.listedIn = index === 0 ? ["ProcessHeap", ...listedIn] : listedIn;
  });

  const off = (type: string, field: string) => BigInt(layout.off(type, field));
  const flink = off("_LIST_ENTRY", "Flink");
  /** The entries of a circular list, head excluded, at most 64. */
  const listEntries = (head: bigint): bigint[] => {
    const entries: bigint[] = [];
    for (let entry = space.readPtr(head + flink); entry !== head && entries.length < 64; entry = space.readPtr(entry + flink)) entries.push(entry);
    return entries;
  };

  const peb = builder.peb;
  const processHeapsArray = space.readPtr(peb + off("_PEB", "ProcessHeaps"));
  const descriptorHead = hasDescriptorList ? ntdllSymbol(builder, "RtlpProcessHeaps") : undefined;
  const descriptors = descriptorHead === undefined ? [] : listEntries(descriptorHead).map((link) => link - off("_RTLP_PROCESS_HEAP_DESCRIPTOR", "DescriptorLink"));

  const ucrDescriptors: UcrDescriptorTarget[] = [];
  const containers: ContainerTarget[] = [];
  const lfhHeaps: FuzzImage["lfhHeaps"] = [];
  const virtualAllocs: FuzzImage["virtualAllocs"] = [];
  const userBlocksSubSegment = layout.off("_HEAP_USERDATA_HEADER", "SubSegment");
  for (const heap of heaps) {
    for (const segment of heap.segments) {
      for (const entry of listEntries(segment.address + off("_HEAP_SEGMENT", "UCRSegmentList"))) {
        ucrDescriptors.push({ heap, segment: segment.address, descriptor: entry - off("_HEAP_UCR_DESCRIPTOR", "SegmentEntry") });
      }
    }
    const lfhBlocks = heap.blocks.filter((b) => b.kind === "LFH");
    for (const block of heap.blocks) {
      if (block.kind !== "Backend" || block.state !== "Internal") continue;
      const end = block.address + BigInt(block.size);
      const inside = lfhBlocks.filter((b) => b.address >= block.userAddress && b.address < end);
      if (inside.length === 0) continue;
      const userBlocks = block.userAddress;
      containers.push({ heap, block, userBlocks, subsegment: space.readPtr(userBlocks + BigInt(userBlocksSubSegment)), blocks: inside });
    }
    const frontEnd = space.readPtr(heap.address + off("_HEAP", "FrontEndHeap"));
    if (frontEnd !== 0n) lfhHeaps.push({ heap, address: frontEnd });
    for (const block of heap.blocks) {
      if (block.kind === "VirtualAlloc") virtualAllocs.push({ heap, entry: block.address - off("_HEAP_VIRTUAL_ALLOC_ENTRY", "BusyBlock"), block });
    }
  }

  const structures =
    heaps.length +
    heaps.reduce((sum, h) => sum + h.segments.length + h.blocks.length, 0) +
    ucrDescriptors.length +
    containers.length +
    descriptors.length;

  return {
    arch,
    build,
    layout,
    space,
    builder,
    peb,
    processHeapsArray,
    heaps,
    specs,
    descriptorHead,
    descriptors,
    lfhKeyAddress: ntdllSymbol(builder, "RtlpLFHKey"),
    ucrDescriptors,
    containers,
    lfhHeaps,
    virtualAllocs,
    structures,
  };
}

/** The address of an ntdll global of the image (the builder's own ntdll base and the layout's RVA). */
function ntdllSymbol(builder: ProcessImageBuilder, name: string): bigint {
  return builder["ntdllBase"] + BigInt(symbolRva(builder.layout, name));
}

/** One line about the image: layout, heaps and their shape. */
export function describeImage(image: FuzzImage): string {
  const heaps = image.heaps.map((heap, i) => {
    const spec = image.specs[i];
    const lfh = heap.blocks.filter((b) => b.kind === "LFH").length;
    const va = heap.blocks.filter((b) => b.kind === "VirtualAlloc").length;
    return `0x${heap.address.toString(16)} (${spec.segments} seg, ${heap.blocks.length} blocks, ${lfh} LFH, ${va} VA)`;
  });
  return `${image.arch} ${image.build}: ${heaps.join(", ")}`;
}
