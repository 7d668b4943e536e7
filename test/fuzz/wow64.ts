// The WOW64 kind: a 32-bit program's process on 64-bit Windows (Wow64ProcessImageBuilder), NT
// heaps on both sides, seen from the 64-bit-view dump (sometimes after .effmach x86) or the
// 32-bit-view one; the mutations aimed at what ties the sides together: TEB64 and TEB32 links,
// the CPU area's saved context, the pages holding them. PEB32 (and PEB64) fields are the NT
// "peb" family's on each side. Where the extension finds the 32-bit side: docs/heap-structures.md §1.1.
// Without +ust, a share of the Windows 10 processes have a segment heap on one side or both, which
// the segment-heap families (segment-heap.ts) damage with that side's layout and keys.
// A share of the processes are +ust (§2.7), each ntdll with its own trace database; the trace
// families (traces.ts) damage the databases the view shows.
import { symbolRva } from "../writers/layout";
import type { NtHeapSpec } from "../writers/ntheap";
import type { SegmentHeapSpec } from "../writers/segment-heap";
import { Program, StackTraceDatabase, Tracer, type FrameCountField } from "../writers/stack-traces";
import type { Arch, HeapTruth } from "../writers/types";
import { Wow64ProcessImageBuilder, writeHeaps, type Wow64Build, type Wow64SegmentHeapSpec, type Wow64ThreadTruth, type Wow64View } from "../writers/wow64";
import { describeHeaps, drawNtHeapSpec, FLG_USER_STACK_TRACE_DB, ntSide, type FuzzImage, type NtSide } from "./image";
import { traceTarget, type TraceTarget } from "./traces";
import { segmentHeapTarget, type SegmentHeapTarget } from "./segment-heap";
import { dropDrawn, hex, mutateField, pageOf, pointerValue, readValue, writeBytes, writeValue, type DropChoice, type Mutation } from "./mutations";
import type { Rng } from "./random";

export interface Wow64Target {
  view: Wow64View;
  threads: Wow64ThreadTruth[];
  /** The sides by architecture (the x64 one also in the 32-bit view, whose dump holds its memory). */
  x64: NtSide;
  x86: NtSide;
}

/** The share of wow64 images that are +ust processes. */
const UST_SHARE = 0.4;
/**
 * The shares of the other wow64-19041 images with a segment heap on the 32-bit side (a 32-bit
 * program's, the x86 layout of docs/heap-structures.md §1.9 "Windows 10/11 32-bit and WOW64
 * ntdll") and on the 64-bit side (the 64-bit ntdll's x64 layout; that WOW64's own heaps are ever
 * segment heaps is UNVERIFIED, our choice to put both layouts in one view). Not with +ust: the
 * segment-heap writer has no +ust extras (§2.7).
 */
const SEGMENT_HEAP_SHARE = { x86: 0.45, x64: 0.2 };

/**
 * One or two 64-bit heaps and one to three 32-bit ones; the view drawn, the 64-bit one after
 * .effmach x86 one time in three. In 40 % of the images a +ust process (NtGlobalFlag 0x1000 in
 * both PEBs): a trace database per ntdll, each side traced as the nt kind's +ust images are.
 */
export function buildWow64Image(rng: Rng, build: Wow64Build): FuzzImage {
  const keys = (pointerBytes: number) => ({ lfhKey: rng.u32(), segmentHeapKey: rng.bits(pointerBytes), segmentLfhKey: rng.bits(pointerBytes) });
  const ntdllGlobals = { x64: keys(8), x86: keys(4) };
  const ust = rng.chance(UST_SHARE);
  const process = new Wow64ProcessImageBuilder({ build, globals: ntdllGlobals, ntGlobalFlag: ust ? FLG_USER_STACK_TRACE_DB : 0 });
  const specs = {
    x64: Array.from({ length: rng.weighted([[1, 3], [2, 2]] as const) }, (_, i) => drawNtHeapSpec(rng, i === 0)),
    x86: Array.from({ length: rng.weighted([[1, 3], [2, 4], [3, 2]] as const) }, (_, i) => drawNtHeapSpec(rng, i === 0)),
  };
  const databases = ust ? traceBothSides(rng, process, specs) : undefined;
  const segmentSpecs: Partial<Record<Arch, SegmentHeapSpec>> = {};
  const withSegmentHeaps: Record<Arch, (NtHeapSpec | Wow64SegmentHeapSpec)[]> = { ...specs };
  if (!ust && process.x86.layout.has("_SEGMENT_HEAP", "SegContexts")) {
    for (const arch of ["x86", "x64"] as const) {
      if (!rng.chance(SEGMENT_HEAP_SHARE[arch])) continue;
      const spec = segmentSpecs[arch] = drawSegmentHeapSpec(rng);
      // The side's process heap one time in four, as in the segment kind.
      withSegmentHeaps[arch] = rng.chance(0.25) ? [{ segmentHeap: spec }, ...specs[arch]] : [...specs[arch], { segmentHeap: spec }];
    }
  }
  const written = writeHeaps(process, withSegmentHeaps);
  const view = rng.chance(0.5) ? "x64" : "x86";
  const effmach = view === "x64" && rng.chance(1 / 3);
  const side = (arch: "x64" | "x86", heaps: HeapTruth[]) =>
    ntSide({
      layout: process[arch].layout,
      space: process[arch].space,
      pebName: arch === "x64" ? "PEB64" : "PEB32",
      peb: process[arch].peb,
      heaps,
      ntdllSymbol: (name) => process[arch].ntdll + BigInt(symbolRva(process[arch].layout, name)),
    });
  // Each side's heaps in its PEB's order; its NT catalogue of the NT ones.
  const listed = (arch: Arch) => written.filter((h) => h.architecture === arch);
  const x86Heaps = listed("x86").filter((h) => h.type === "NT");
  const x64Heaps = listed("x64").filter((h) => h.type === "NT");
  const x64 = side("x64", x64Heaps);
  const x86 = side("x86", x86Heaps);
  // The 64-bit view lists the program's 32-bit heaps first; the 32-bit one only those.
  const sides = view === "x64" ? [x86, x64] : [x86];
  const segmentHeaps: SegmentHeapTarget[] = sides.flatMap((s) => {
    const heap = listed(s.arch).find((h) => h.type === "Segment");
    if (!heap) return [];
    const spec = segmentSpecs[s.arch]!;
    const globals = process.sideProcess(s.arch).ntdllSymbol("RtlpHpHeapGlobals");
    return [segmentHeapTarget(s, heap, ntdllGlobals[s.arch].segmentHeapKey, globals, spec.encodedLargeTree)];
  });
  const describeSegmentHeap = ({ side, heap }: SegmentHeapTarget) => {
    const spec = segmentSpecs[side.arch]!;
    const notes = [spec.encodedLargeTree && "Large tree encoded", spec.leak && "leak", heap.listedIn.includes("ProcessHeap") && "process heap"].filter(Boolean);
    return `; ${side.arch === "x64" ? "64" : "32"}-bit segment heap 0x${heap.address.toString(16)} (${heap.segments.length} seg, ${heap.blocks.length} blocks${notes.map((n) => `, ${n}`).join("")})`;
  };
  const traces = databases && sides.map((side) => traceTarget(side, databases[side.arch], process.sideProcess(side.arch).ntdllSymbol("RtlpStackTraceDataBase"), side.heaps));
  const describeTraces = (t: TraceTarget) => `${t.scope.arch === "x64" ? "64" : "32"}-bit ${t.records.length}`;
  return {
    kind: "wow64",
    arch: view,
    build,
    sides,
    heaps: sides.flatMap((s) => listed(s.arch)),
    segmentHeaps: segmentHeaps.length > 0 ? segmentHeaps : undefined,
    wow64: { view, threads: process.threads, x64, x86 },
    traces,
    granularity: 8,
    setup: effmach ? ".effmach x86" : undefined,
    // Each database's header and records, as the nt kind counts them.
    structures:
      sides.reduce((sum, s) => sum + s.structures, 0) +
      2 * process.threads.length +
      (traces ?? []).reduce((sum, t) => sum + 1 + t.records.length, 0) +
      segmentHeaps.reduce((sum, t) => sum + t.structures, 0),
    description:
      `wow64 ${build} (${view === "x64" ? "64-bit view" : "32-bit view"}${effmach ? ", .effmach x86" : ""})` +
      `${traces ? ` +ust (${traces.map(describeTraces).join(", ")} traces, frame count in ${traces[0].frameCountField})` : ""}: 32-bit ${describeHeaps(x86Heaps)}; 64-bit ${describeHeaps(x64Heaps)}${segmentHeaps.map(describeSegmentHeap).join("")}`,
    write: () => process.dump(view),
  };
}

/** A segment heap as the segment kind draws it: the Large tree encoded half the time, a planted leak in 20 %. */
function drawSegmentHeapSpec(rng: Rng): SegmentHeapSpec {
  const leak = rng.chance(0.2) ? { request: rng.pick([rng.int(0x10, 0x400), rng.int(0x401, 0x2000), rng.int(0x2001, 0x8000)]), count: rng.int(2, 12) } : undefined;
  return { seed: rng.u32(), encodedLargeTree: rng.chance(0.5), leak };
}

/**
 * +ust on both sides (§2.7): a database per ntdll (its own RtlpStackTraceDataBase), the frame
 * count in the same field on both (one reading of the records, §2.7 UNVERIFIED: Depth, a quarter
 * of the time Index); each side's first heap's first 0–5 busy blocks untraced, every later busy
 * block traced as in the nt kind (Windows 7: no LFH). The 32-bit side's traces run through the
 * program's modules (loaded in the 32-bit side), the 64-bit side's through the WOW64 DLLs.
 */
function traceBothSides(rng: Rng, process: Wow64ProcessImageBuilder, specs: Record<Arch, NtHeapSpec[]>): Record<Arch, StackTraceDatabase> {
  const frameCountField: FrameCountField = rng.chance(0.75) ? "Depth" : "Index";
  const database = (arch: Arch): StackTraceDatabase => {
    const side = process.sideProcess(arch);
    const db = new StackTraceDatabase(side, frameCountField);
    const tracer = new Tracer(db, arch === "x64" ? new Program(side, { layer: "wow64" }) : new Program(side), rng);
    // The notes' reading: no LFH with +ust on Windows 7 (§2.7; the writer refuses it).
    const win8 = side.layout.has("_HEAP_USERDATA_HEADER", "EncodedOffsets");
    specs[arch].forEach((spec, i) => {
      spec.ust = { untracedBlocks: i === 0 ? rng.int(0, 5) : 0, nextTrace: () => tracer.next("Allocation") };
      if (!win8) spec.lfh = false;
    });
    return db;
  };
  return { x64: database("x64"), x86: database("x86") };
}

// ---------------------------------------------------------------------------------------------
// The mutations.

type Mutator = (image: FuzzImage, rng: Rng) => Mutation | undefined;

/** WowTebOffset values: none, the other direction, a page off, and the right one on the wrong side. */
const WOW_TEB_OFFSETS = [0, 0x2000, -0x2000, 0x1000, 0x3000, -0x1000, 0x7fffffff];

/**
 * A thread's TEB64 (64-bit view only) or TEB32: the link to the other TEB (WowTebOffset, or
 * TEB64.NtTib.ExceptionList before it), NtTib.Self, ProcessEnvironmentBlock, TEB64.TlsSlots[1]
 * (the CPU area) and the area's Machine and saved context. The first thread's weighs more: the
 * extension finds both sides from it.
 */
const tebLinks: Mutator = (image, rng) => {
  const target = image.wow64;
  if (!target) return undefined;
  const thread = rng.weighted(target.threads.map((t, i): [Wow64ThreadTruth, number] => [t, i === 0 ? 3 : 1]));
  const which = target.view === "x64" && rng.chance(0.6) ? target.x64 : target.x86;
  const teb = which === target.x64 ? thread.teb64 : thread.teb32;
  const name = `${which === target.x64 ? "TEB64" : "TEB32"} of thread 0x${thread.id.toString(16)}: _TEB`;
  const hasOffset = which.layout.has("_TEB", "WowTebOffset");
  const link = hasOffset ? "WowTebOffset" : which === target.x64 ? "NtTib.ExceptionList" : undefined;
  const draw = rng.weighted([["link", link ? 3 : 0], ["self", 2], ["peb", 2], ["cpu", which === target.x64 ? 2 : 0], ["context", which === target.x64 ? 1 : 0]] as const);
  if (draw === "link" && link === "WowTebOffset" && rng.chance(0.6)) {
    const at = teb + BigInt(which.layout.off("_TEB", link));
    const value = BigInt.asUintN(32, BigInt(rng.pick(WOW_TEB_OFFSETS)));
    if (readValue(which.space, at, 4) === value) return undefined;
    return writeValue(which.space, "teb", `${name}@${hex(teb)}.WowTebOffset`, at, 4, value, `${BigInt.asIntN(32, value)}`);
  }
  if (draw === "link") return mutateField(which, rng, "teb", "_TEB", teb, link!, undefined, name);
  if (draw === "self") return mutateField(which, rng, "teb", "_TEB", teb, "NtTib.Self", undefined, name);
  if (draw === "peb") return mutateField(which, rng, "teb", "_TEB", teb, "ProcessEnvironmentBlock", undefined, name);
  const cpuArea = thread.context32 - 4n;
  if (draw === "cpu") {
    if (rng.chance(0.5)) {
      // TlsSlots[1]: WOW64_TLS_CPURESERVED (see the writer).
      const slot = teb + BigInt(which.layout.off("_TEB", "TlsSlots") + 8);
      const old = readValue(which.space, slot, 8);
      if (old === undefined) return undefined;
      const [value, why] = pointerValue({ image: which, rng, field: slot, struct: teb, size: 8, old });
      if (value === old) return undefined;
      return writeValue(which.space, "teb", `${name}@${hex(teb)}.TlsSlots[1]`, slot, 8, value, why);
    }
    const value = BigInt(rng.pick([0, 0x8664, 0x14d, 0xffff]));
    return writeValue(which.space, "teb", `CPU area@${hex(cpuArea)} of thread 0x${thread.id.toString(16)}.Machine`, cpuArea + 2n, 2, value, `0x${value.toString(16)}`);
  }
  // A byte of the saved x86 registers (WOW64_CONTEXT's edi to esp).
  const at = thread.context32 + BigInt(rng.int(0x9c, 0xc7));
  const old = readValue(which.space, at, 1);
  if (old === undefined) return undefined;
  return writeBytes(which.space, "teb", `saved x86 context@${hex(thread.context32)} of thread 0x${thread.id.toString(16)} +0x${(at - thread.context32).toString(16)}`, at, Uint8Array.of(Number(old) ^ rng.int(1, 255)), "flipped");
};

/** Pages left out of the dump: a TEB (never the first thread's TEB of the view, which locates the PEB), a PEB, the CPU area, the 32-bit ntdll's data. */
const wow64Drop: Mutator = (image, rng) => {
  const target = image.wow64;
  if (!target) return undefined;
  const thread = rng.pick(target.threads);
  const first = thread === target.threads[0];
  const x64View = target.view === "x64";
  const choices: DropChoice[] = [
    [() => (x64View || !first ? [thread.teb32, 1, `the TEB32 page of thread 0x${thread.id.toString(16)}`] : undefined), 3],
    [() => (!x64View || !first ? [thread.teb64, 1, `a TEB64 page of thread 0x${thread.id.toString(16)}`] : undefined), 2],
    [() => [pageOf(target.x86.peb), 1, "the PEB32's page"], 2],
    [() => [pageOf(target.x64.peb), 1, "the PEB64's page"], 1],
    [() => [pageOf(thread.context32), 1, `the CPU area's page of thread 0x${thread.id.toString(16)}`], 1],
    [() => [pageOf(target.x86.lfhKeyAddress), 1, "the 32-bit ntdll's data page"], 1],
  ];
  return dropDrawn(target.x86.space, rng, choices);
};

/** The WOW64 families by name, with their weights. */
export const WOW64_MUTATORS: readonly (readonly [string, Mutator, number])[] = [
  ["teb", tebLinks, 12],
  ["wow64-drop", wow64Drop, 4],
];
