// What a case is drawn from: the image kinds with their layouts and weights, and the table of
// every mutation family. A case's Rng draws its kind, then its layout among the kind's (both
// limited by --kinds and --layouts), then the image, then the mutations (run-case.ts).
import type { Arch } from "../writers/types";
import type { Wow64Build } from "../writers/wow64";
import { buildNtImage, type FuzzImage, type ImageKind } from "./image";
import { NT_MUTATORS, type Mutation } from "./mutations";
import { buildPageHeapImage, PAGE_HEAP_MUTATORS } from "./page-heap";
import type { Rng } from "./random";
import { buildSegmentHeapImage, SEGMENT_HEAP_MUTATORS } from "./segment-heap";
import { TRACE_MUTATORS } from "./traces";
import { buildWow64Image, WOW64_MUTATORS } from "./wow64";

interface KindSpec {
  kind: ImageKind;
  weight: number;
  /** Layout names ("x64-19041", "wow64-7601") and their weights. */
  layouts: readonly (readonly [string, number])[];
  build(rng: Rng, arch: Arch | "wow64", build: number): FuzzImage;
}

/**
 * A quarter of the cases each. NT: Windows 7, 10 and 11 on both architectures and the 24H2-style
 * x64 layout with ntdll's heap descriptor list. Segment heaps: the layouts that have them (x64 from
 * 17763, x86 19041, docs/heap-structures.md §1.0). Page heaps: the writers' +hpa builds and the
 * 24H2-style x64 layout, where the page heaps after the first are in ntdll's descriptor list only
 * (docs/heap-structures.md §2.1 item 4). WOW64: the builds the WOW64 writer models.
 */
export const IMAGE_KINDS: readonly KindSpec[] = [
  {
    kind: "nt",
    weight: 1,
    layouts: [["x64-7601", 2], ["x64-19041", 3], ["x64-22000", 3], ["x64-26100", 1.5], ["x86-7601", 2], ["x86-19041", 3]],
    build: (rng, arch, build) => buildNtImage(rng, arch as Arch, build),
  },
  {
    kind: "segment",
    weight: 1,
    layouts: [["x64-17763", 1], ["x64-19041", 2], ["x64-22000", 2], ["x64-26100", 1.5], ["x86-19041", 3]],
    build: (rng, arch, build) => buildSegmentHeapImage(rng, arch as Arch, build),
  },
  {
    kind: "page",
    weight: 1,
    layouts: [["x64-7601", 2], ["x64-19041", 3], ["x64-22000", 2], ["x64-26100", 1.5], ["x86-7601", 2], ["x86-19041", 3]],
    build: (rng, arch, build) => buildPageHeapImage(rng, arch as Arch, build),
  },
  {
    kind: "wow64",
    weight: 1,
    layouts: [["wow64-7601", 1], ["wow64-19041", 2]],
    build: (rng, _arch, build) => buildWow64Image(rng, build as Wow64Build),
  },
];

/** Every layout name some kind draws. */
export const LAYOUT_NAMES: readonly string[] = [...new Set(IMAGE_KINDS.flatMap((k) => k.layouts.map(([name]) => name)))];
export const KIND_NAMES: readonly ImageKind[] = IMAGE_KINDS.map((k) => k.kind);

/** Draws and writes a process: its kind among `kinds`, its layout among `layouts` (all by default). Deterministic in the draws of rng. */
export function buildFuzzImage(rng: Rng, filter: { layouts?: readonly string[]; kinds?: readonly ImageKind[] } = {}): FuzzImage {
  const allowed = (name: string) => !filter.layouts || filter.layouts.length === 0 || filter.layouts.includes(name);
  const kinds = IMAGE_KINDS.filter((k) => (!filter.kinds || filter.kinds.length === 0 || filter.kinds.includes(k.kind)) && k.layouts.some(([name]) => allowed(name)));
  if (kinds.length === 0) throw new Error(`no image kind among ${filter.kinds?.join(", ") || "all"} has a layout among ${filter.layouts!.join(", ")}`);
  const spec = rng.weighted(kinds.map((k) => [k, k.weight] as const));
  const [arch, build] = rng.weighted(spec.layouts.filter(([name]) => allowed(name))).split("-");
  return spec.build(rng, arch as Arch | "wow64", Number(build));
}

/** A family: its name, mutator, weight, and which images it applies to. */
type Family = readonly [string, (image: FuzzImage, rng: Rng) => Mutation | undefined, number, (image: FuzzImage) => boolean];

const ofKind = (kind: ImageKind) => (image: FuzzImage) => image.kind === kind;

/**
 * Every family with its weight and the images it applies to: the NT families to every kind (each
 * time on one of its sides); a kind's own families, together about as much as the NT ones, to
 * that kind, the segment-heap ones to any image with a segment heap (the WOW64 kind's too); the
 * trace families to images with a trace database (nt and wow64 +ust, page), each only when the
 * image has its target (traced blocks for trace-header).
 */
export const MUTATORS: readonly Family[] = [
  ...NT_MUTATORS.map(([name, mutator, weight]): Family => [name, (image, rng) => mutator(rng.pick(image.sides), rng), weight, () => true]),
  ...SEGMENT_HEAP_MUTATORS.map(([name, mutator, weight]): Family => [name, mutator, weight, (image) => (image.segmentHeaps ?? []).length > 0]),
  ...PAGE_HEAP_MUTATORS.map(([name, mutator, weight]): Family => [name, mutator, weight, ofKind("page")]),
  ...WOW64_MUTATORS.map(([name, mutator, weight]): Family => [name, mutator, weight, ofKind("wow64")]),
  ...TRACE_MUTATORS.map(([name, mutator, weight, hasTarget]): Family => [name, mutator, weight, (image) => (image.traces ?? []).some(hasTarget)]),
];

/** Applies `count` mutations drawn from rng among the image's families (a draw that finds no target is drawn again). */
export function mutate(image: FuzzImage, rng: Rng, count: number): Mutation[] {
  const applied: Mutation[] = [];
  const table = MUTATORS.filter(([, , , applies]) => applies(image)).map(([, mutator, weight]) => [mutator, weight] as const);
  for (let attempts = 0; applied.length < count && attempts < count * 50; attempts++) {
    const mutation = rng.weighted(table)(image, rng);
    if (mutation) applied.push(mutation);
  }
  return applied;
}
