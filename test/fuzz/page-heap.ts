// The page-heap kind: a +hpa process (NtGlobalFlag 0x02000000, docs/heap-structures.md §1.1) of
// one or two page heaps written by writePageHeap (full-page blocks busy, delayed-free and
// unreadable, light blocks in the root's NormalHeap), every block with a trace in the +ust
// database as the debug heap records them (§2.6); the catalogue of their structures and the
// mutations aimed at them. The NormalHeaps are NT heaps: the NT families damage them too.
import { writePageHeap } from "../writers/page-heap";
import { Program, StackTraceDatabase, Tracer } from "../writers/stack-traces";
import type { Arch, BlockTruth, HeapTruth } from "../writers/types";
import { builtDump, describeHeaps, drawProcess, listHeaps, processSide, type FuzzImage } from "./image";
import { dropDrawn, hex, mutateField, pageOf, readValue, writeValue, type DropChoice, type Mutation, type Scope } from "./mutations";
import type { Rng } from "./random";
import { traceTarget } from "./traces";

/** PEB.NtGlobalFlag's FLG_HEAP_PAGE_ALLOCS (§1.1). */
const FLG_HEAP_PAGE_ALLOCS = 0x02000000;

export interface PageHeapTarget {
  /** The handle: a page of DPH fill with _HEAP.Flags and ForceFlags (§1.7). */
  handle: HeapTruth;
  /** DPH_HEAP_ROOT, one page after the handle. */
  root: bigint;
  normalHeap: HeapTruth;
  /** Full-page blocks, each with its DPH_HEAP_BLOCK (dphHeapBlock). */
  full: BlockTruth[];
  /** DPH_BLOCK_INFORMATION before each full-page and light block's user data. */
  infos: { address: bigint; block: BlockTruth }[];
}

export interface PageHeapsTarget {
  heaps: PageHeapTarget[];
  /** ntdll!RtlpDphPageHeapList, the roots' NextHeap list head. */
  list: bigint;
  /** The _STACK_TRACE_DATABASE and its records' addresses. */
  database: bigint;
  records: bigint[];
}

/** Full-page requests: under, at and over a page, and odd ones (their user data 8-aligned before the no-access page). */
const FULL_REQUESTS = [0x10, 0x38, 0x80, 0x1f3, 0x400, 0xff8, 0x1000, 0x1ff0];

/** One or two page heaps in a +hpa process. */
export function buildPageHeapImage(rng: Rng, arch: Arch, build: number): FuzzImage {
  const { builder } = drawProcess(rng, arch, build, { ntGlobalFlag: FLG_HEAP_PAGE_ALLOCS });
  const database = new StackTraceDatabase(builder, "Depth");
  const tracer = new Tracer(database, new Program(builder), rng);
  const requests = (count: number) => Array.from({ length: count }, () => (rng.chance(0.8) ? rng.pick(FULL_REQUESTS) : rng.int(1, 0x3000)));
  const written = Array.from({ length: rng.weighted([[1, 3], [2, 2]] as const) }, (_, i) =>
    writePageHeap(builder, {
      seed: rng.u32(),
      flags: i === 0 ? 0x2 : rng.pick([0x1002, 0x1062, 0x2]),
      full: { busy: requests(rng.int(0, 5)), freed: requests(rng.int(0, 2)), freedUnreadable: requests(rng.weighted([[0, 3], [1, 1]] as const)) },
      light: { busy: rng.int(0, 4), freed: rng.int(0, 2) },
      trace: (state) => tracer.next(state === "Busy" ? "Allocation" : "Free", true),
    }),
  );
  listHeaps(
    builder,
    written.map((w) => w.pageHeap),
  );
  const normalHeaps = written.map((w) => w.normalHeap);
  const side = processSide(builder, normalHeaps);
  const infoSize = BigInt(builder.layout.size("_DPH_BLOCK_INFORMATION"));
  const heaps: PageHeapTarget[] = written.map(({ pageHeap, normalHeap }) => ({
    handle: pageHeap,
    root: pageHeap.pageHeap!.root,
    normalHeap,
    full: pageHeap.blocks.filter((b) => b.dphHeapBlock !== undefined),
    infos: pageHeap.blocks.map((block) => ({ address: block.userAddress - infoSize, block })),
  }));
  const records = database.records.map((r) => r.address);
  const shape = (h: PageHeapTarget) => {
    const count = (state: BlockTruth["state"], full: boolean) => h.handle.blocks.filter((b) => b.state === state && (b.dphHeapBlock !== undefined) === full).length;
    return `page heap 0x${h.handle.address.toString(16)} (full ${count("Busy", true)} busy, ${count("Freed", true)} freed; light ${count("Busy", false)} busy, ${count("Freed", false)} freed)`;
  };
  return {
    kind: "page",
    arch,
    build,
    sides: [side],
    // As the process lists them: each NormalHeap after its page heap (§2.1 item 2).
    heaps: written.flatMap((w) => [w.pageHeap, w.normalHeap]),
    pageHeaps: { heaps, list: builder.ntdllSymbol("RtlpDphPageHeapList"), database: database.address, records },
    // Its blocks name their traces in DPH structures (the dph families damage those): the database and records only.
    traces: [traceTarget(side, database, builder.ntdllSymbol("RtlpStackTraceDataBase"), [])],
    granularity: builder.layout.granularity,
    structures: side.structures + heaps.reduce((sum, h) => sum + pageHeapStructures(h), 0) + records.length,
    description: `${arch} ${build} +hpa: ${heaps.map(shape).join(", ")}; NormalHeaps ${describeHeaps(normalHeaps)}`,
    write: () => builtDump(builder),
  };
}

/**
 * What the writer placed for a page heap, for the read budget: handle and root, each full-page
 * block's DPH_HEAP_BLOCK, DPH_BLOCK_INFORMATION and pages (a committed range of its own, which a
 * scan reads apart), each light block's DPH_BLOCK_INFORMATION (its NT block is the NormalHeap's).
 */
function pageHeapStructures(heap: PageHeapTarget): number {
  return 2 + 3 * heap.full.length + (heap.handle.blocks.length - heap.full.length);
}

// ---------------------------------------------------------------------------------------------
// The mutations.

type Mutator = (image: FuzzImage, rng: Rng) => Mutation | undefined;

/** Runs `mutate` on one of the image's page heaps, if it has any. */
function onPageHeap(mutate: (scope: Scope, heap: PageHeapTarget, all: PageHeapsTarget, rng: Rng) => Mutation | undefined): Mutator {
  return (image, rng) => (image.pageHeaps ? mutate(image.sides[0], rng.pick(image.pageHeaps.heaps), image.pageHeaps, rng) : undefined);
}

const LINKS = (list: string) => [`${list}.Flink`, `${list}.Blink`];

const ROOT_FIELDS = [
  "Signature",
  "Signature",
  "HeapFlags",
  "HeapCritSect",
  "NormalHeap",
  "NormalHeap",
  "BusyNodesTable.BalancedRoot.RightChild",
  "BusyNodesTable.BalancedRoot.RightChild",
  "BusyNodesTable.BalancedRoot.LeftChild",
  "BusyNodesTable.BalancedRoot.Parent",
  "BusyNodesTable.NumberGenericTableElements",
  "BusyNodesTable.NumberGenericTableElements",
  "BusyNodesTable.DepthOfTree",
  "pFreeAllocationListHead",
  "pFreeAllocationListHead",
  "pFreeAllocationListTail",
  "nFreeAllocations",
  "nBusyAllocations",
  "nBusyAllocationBytesCommitted",
  "pVirtualStorageListHead",
  "nVirtualStorageRanges",
  "pNodePoolListHead",
  "nNodePools",
  ...LINKS("AvailableAllocationHead"),
  ...LINKS("NextHeap"),
];

/** DPH_HEAP_ROOT (§1.7, §2.6), the handle's _HEAP flags, ntdll!RtlpDphPageHeapList. */
const dphRoot = onPageHeap((scope, heap, all, rng) => {
  const draw = rng.int(0, 9);
  if (draw === 9) return mutateField(scope, rng, "dph-root", "_LIST_ENTRY", all.list, rng.pick(["Flink", "Blink"]), undefined, "ntdll!RtlpDphPageHeapList");
  if (draw === 8) return mutateField(scope, rng, "dph-root", "_HEAP", heap.handle.address, rng.pick(["Flags", "ForceFlags", "ForceFlags"]), undefined, "page-heap handle: _HEAP");
  return mutateField(scope, rng, "dph-root", "_DPH_HEAP_ROOT", heap.root, rng.pick(ROOT_FIELDS), heap.normalHeap);
});

/** A full-page block's DPH_HEAP_BLOCK: its AVL links (busy) or free-list link (freed), its addresses and sizes, its trace. */
const dphNode = onPageHeap((scope, heap, _all, rng) => {
  if (heap.full.length === 0) return undefined;
  const block = rng.pick(heap.full);
  const links = block.state === "Busy" ? ["TableLinks.Parent", "TableLinks.LeftChild", "TableLinks.RightChild", "TableLinks.Balance"] : ["pNextAlloc", "pNextAlloc"];
  const path = rng.pick([
    ...links,
    ...links,
    "pUserAllocation",
    "pUserAllocation",
    "pVirtualBlock",
    "nVirtualBlockSize",
    "nVirtualAccessSize",
    "nUserRequestedSize",
    "nUserRequestedSize",
    "nUserActualSize",
    "StackTrace",
  ]);
  return mutateField(scope, rng, "dph-node", "_DPH_HEAP_BLOCK", block.dphHeapBlock!, path, heap.normalHeap, `${block.state} full-page block@${hex(block.address)}: _DPH_HEAP_BLOCK`);
});

/** Start and end stamps of busy and freed, full-page and light blocks (§1.7 table). */
const STAMPS = { start: [0xabcdbbbb, 0xabcdbbba, 0xabcdaaaa, 0xabcdaaa9], end: [0xdcbabbbb, 0xdcbabbba, 0xdcbaaaaa, 0xdcbaaaa9] };

/** A DPH_BLOCK_INFORMATION: a stamp swapped for another kind's or state's, Heap, the sizes, the trace. */
const dphBlockInformation = onPageHeap((scope, heap, _all, rng) => {
  if (heap.infos.length === 0) return undefined;
  const { address, block } = rng.pick(heap.infos);
  const type = "_DPH_BLOCK_INFORMATION";
  const label = `${block.state} ${block.dphHeapBlock ? "full-page" : "light"} block@${hex(block.userAddress)}: ${type}`;
  const path = rng.pick(["StartStamp", "StartStamp", "EndStamp", "Heap", "RequestedSize", "RequestedSize", "ActualSize", "StackTrace", "TraceIndex"]);
  if ((path === "StartStamp" || path === "EndStamp") && rng.chance(0.6)) {
    const at = address + BigInt(scope.layout.off(type, path));
    const old = readValue(scope.space, at, 4);
    const value = BigInt(rng.pick(path === "StartStamp" ? STAMPS.start : STAMPS.end));
    if (old === undefined || old === value) return undefined;
    return writeValue(scope.space, "dph-block-info", `${label}@${hex(address)}.${path}`, at, 4, value, "another stamp");
  }
  return mutateField(scope, rng, "dph-block-info", type, address, path, heap.normalHeap, label);
});

/** Pages of the page heaps left out of the dump: handle, root, a block's header page, the trace database. */
const pageHeapDrop = onPageHeap((scope, heap, all, rng) => {
  const choices: DropChoice[] = [
    [() => [heap.handle.address, 1, `the handle page of page heap@${hex(heap.handle.address)}`], 2],
    [() => [heap.root, 1, `the DPH_HEAP_ROOT page (and its nodes) of page heap@${hex(heap.handle.address)}`], 3],
    [
      () => {
        if (heap.infos.length === 0) return undefined;
        const { address, block } = rng.pick(heap.infos);
        return [pageOf(address), 1, `the page of the ${block.state} page-heap block@${hex(block.userAddress)}'s DPH_BLOCK_INFORMATION`];
      },
      3,
    ],
    [() => [all.database, 1, "the stack trace database's header page"], 1],
    [() => (all.records.length > 0 ? [pageOf(rng.pick(all.records)), 1, "a page of stack trace records"] : undefined), 1],
    [() => [pageOf(all.list), 1, "ntdll's data page (RtlpDphPageHeapList)"], 1],
  ];
  return dropDrawn(scope.space, rng, choices);
});

/** The page-heap families by name, with their weights (together about the NT families' weight). */
export const PAGE_HEAP_MUTATORS: readonly (readonly [string, Mutator, number])[] = [
  ["dph-root", dphRoot, 12],
  ["dph-node", dphNode, 12],
  ["dph-block-info", dphBlockInformation, 12],
  ["page-heap-drop", pageHeapDrop, 6],
];
