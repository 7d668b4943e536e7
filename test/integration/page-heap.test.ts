// Page heaps (gflags +hpa, docs/heap-structures.md §1.7, §2.6) against the writer's truth: the
// listing (each NormalHeap after its page heap, listed by the root), every block of each page heap
// (busy full-page, delayed-free, light) and of its NormalHeap, the stack trace record each
// page-heap block names, the reads it costs, and damaged images: each damage ends in a finding
// and a partial walk, never in an exception.
import { IsfField, IsfTypes } from "../../nodehost/formats/isf";
import { targetFromDump } from "../../nodehost/load";
import { ScriptSession } from "../../nodehost/session";
import { TargetData } from "../../nodehost/target";
import { enumerateHeaps } from "../../src/heap/enumerate";
import { classifyHeap } from "../../src/heap/classify";
import { FindingLog } from "../../src/heap/findings";
import { HeapWalk } from "../../src/heap/records";
import { Memory, MemoryRun, UnreadableMemoryError } from "../../src/host/memory-types";
import { TypeSource } from "../../src/host/symbols";
import { NtdllView } from "../../src/host/target";
import { resolveNtHeapLayout } from "../../src/layouts/ntheap";
import { walkHeap } from "../../src/walkers/index";
import { buildImage, buildPageHeapImage, TracedImage } from "../writers/images";
import { BlockTruth, HeapTruth } from "../writers/types";
import { BUNDLE, big, blockOf, byAddress, hex, readTarget } from "./harness";

const IMAGES: ["x86" | "x64", number][] = [
  ["x64", 7601],
  ["x64", 19041],
  ["x64", 22000],
  ["x86", 7601],
  ["x86", 19041],
];

// --- the image as the Node host serves it, and the offsets of its ntdll -----------------------

function typesOf(image: { ntdllIsf: object; moduleIsfs: Record<string, object> }, edit?: (isf: any) => void): Record<string, IsfTypes> {
  const ntdll = JSON.parse(JSON.stringify(image.ntdllIsf));
  if (edit) edit(ntdll);
  const types: Record<string, IsfTypes> = { ntdll: IsfTypes.parse(ntdll) };
  for (const [name, isf] of Object.entries(image.moduleIsfs)) types[name] = IsfTypes.parse(isf);
  return types;
}

/** A private copy of the image's memory, to damage. */
function targetOf(image: TracedImage, edit?: (isf: any) => void): TargetData {
  return targetFromDump(image.dump.slice(), typesOf(image, edit));
}

function sessionOf(target: TargetData): ScriptSession {
  return ScriptSession.load(BUNDLE, target);
}

/** Offsets of (dotted) fields and type sizes, from the image's ntdll ISF. */
class Offsets {
  constructor(private readonly isf: IsfTypes) {}

  of(type: string, path: string): number {
    let current: string | undefined = type;
    let offset = 0;
    for (const part of path.split(".")) {
      const field: IsfField | undefined = current ? this.isf.userType(current)?.fields.find((f) => f.name === part) : undefined;
      if (!field) throw new Error(`no ${type}.${path}`);
      offset += field.offset;
      current = field.type.kind === "struct" || field.type.kind === "union" ? (field.type as { name: string }).name : undefined;
    }
    return offset;
  }

  size(type: string): number {
    return this.isf.userType(type)!.size;
  }

  find(type: string, path: string): number | undefined {
    try {
      return this.of(type, path);
    } catch (e) {
      return undefined;
    }
  }
}

function offsetsOf(image: TracedImage): Offsets {
  return new Offsets(IsfTypes.parse(image.ntdllIsf));
}

// --- damaging a target -------------------------------------------------------------------------

function write(target: TargetData, address: bigint, value: bigint, bytes: number): void {
  for (const region of target.regions) {
    const offset = address - region.base;
    if (offset >= 0n && offset + BigInt(bytes) <= BigInt(region.bytes.length)) {
      for (let i = 0; i < bytes; i++) region.bytes[Number(offset) + i] = Number((value >> BigInt(8 * i)) & 0xffn);
      return;
    }
  }
  throw new Error(`${hex(address)} is not in the dump`);
}

function readValue(target: TargetData, address: bigint, bytes: number): bigint {
  const data = readTarget(target, address, bytes);
  if (!data) throw new Error(`${hex(address)} is not in the dump`);
  let value = 0n;
  for (let i = bytes - 1; i >= 0; i--) value = (value << 8n) | BigInt(data[i]);
  return value;
}

/** Leaves the page holding `address` out of the target's memory. */
function dropPage(target: TargetData, address: bigint): bigint {
  const page = address & ~0xfffn;
  const index = target.regions.findIndex((r) => r.base <= page && page < r.base + BigInt(r.bytes.length));
  if (index < 0) throw new Error(`${hex(page)} is not in the dump`);
  const region = target.regions[index];
  const cut = Number(page - region.base);
  const parts = [
    { base: region.base, bytes: region.bytes.subarray(0, cut) },
    { base: page + 0x1000n, bytes: region.bytes.subarray(cut + 0x1000) },
  ].filter((r) => r.bytes.length > 0);
  target.regions.splice(index, 1, ...parts);
  return page;
}

// --- what the extension shows ------------------------------------------------------------------

interface Walked {
  address: bigint;
  type: string;
  flags: number;
  listedIn: string[];
  blocks: BlockTruth[];
  findings: { kind: string; address: bigint; message: string }[];
}

function heapsOf(session: ScriptSession): Walked[] {
  return [...session.process.Heaps].map((h: any) => ({
    address: big(h.Address),
    type: String(h.Type),
    flags: Number(h.Flags),
    listedIn: [...h.ListedIn].map(String).sort(),
    blocks: [...h.Blocks].map(blockOf),
    findings: [...h.Findings].map((f: any) => ({ kind: String(f.Kind), address: big(f.Address), message: String(f.Message) })),
  }));
}

/** The truth's blocks with the fields the dx objects show, in the truth's order. */
function plain(blocks: BlockTruth[]): BlockTruth[] {
  return blocks.map((b) => ({ address: b.address, userAddress: b.userAddress, size: b.size, userSize: b.userSize, state: b.state, kind: b.kind }));
}

function pageHeaps(image: TracedImage): HeapTruth[] {
  return image.truth.heaps.filter((h) => h.type === "PageHeap");
}

function fullPage(heap: HeapTruth, state: "Busy" | "Freed"): BlockTruth[] {
  return heap.blocks.filter((b) => b.dphHeapBlock !== undefined && b.state === state);
}

function light(heap: HeapTruth): BlockTruth[] {
  return heap.blocks.filter((b) => b.kind === "PageHeap" && b.dphHeapBlock === undefined);
}

// --- the src walkers on the same image, for what the dx objects do not show (the trace column) --

function viewOf(target: TargetData): NtdllView {
  const ntdll = target.modules.find((m) => /^ntdll/i.test(m.name))!;
  const isf = ntdll.types!;
  const offsets = new Offsets(isf);
  const symbols: TypeSource = {
    fieldOffset: (type, path) => offsets.find(type, path),
    typeSize: (type) => isf.userType(type)?.size,
    symbolAddress: (name) => {
      const rva = isf.symbolRva(name);
      return rva === undefined ? undefined : Number(ntdll.base) + rva;
    },
  };
  const read = (address: number, length: number): Uint8Array => {
    const bytes = readTarget(target, BigInt(address), length);
    if (!bytes) throw new UnreadableMemoryError(address, length);
    return bytes.slice();
  };
  const readPrefix = (address: number, length: number): Uint8Array => {
    let n = 0;
    while (n < length && readTarget(target, BigInt(address + n), 1)) n++;
    return n === 0 ? new Uint8Array(0) : read(address, n);
  };
  const readRuns = (address: number, length: number): MemoryRun[] => {
    const runs: MemoryRun[] = [];
    let at = address;
    while (at < address + length) {
      const run = readPrefix(at, address + length - at);
      if (run.length > 0) runs.push({ address: at, bytes: run });
      at += Math.max(run.length, 1);
      while (at < address + length && !readTarget(target, BigInt(at), 1)) at = (Math.floor(at / 0x1000) + 1) * 0x1000;
    }
    return runs;
  };
  const memory: Memory = { pointerSize: target.pointerSize, read, readPrefix, readRuns };
  const layout = resolveNtHeapLayout(symbols);
  const lfhKey = symbols.symbolAddress("RtlpLFHKey");
  return {
    arch: target.arch,
    memory,
    layout,
    peb: Number(target.peb),
    lfhKey: lfhKey === undefined ? undefined : Number(readValue(target, BigInt(lfhKey), 4)),
    symbols,
  } as unknown as NtdllView;
}

/** Every heap the process lists, walked by src/ directly, each NormalHeap once. */
function walkAll(target: TargetData): Map<bigint, HeapWalk> {
  const view = viewOf(target);
  const walks = new Map<number, HeapWalk>();
  const walkOf = (address: number): HeapWalk => {
    let walk = walks.get(address);
    if (!walk) {
      walk = walkHeap(view, address, classifyHeap(view, address), (other) => (classifyHeap(view, other).type === "NT" ? walkOf(other) : undefined));
      walks.set(address, walk);
    }
    return walk;
  };
  const out = new Map<bigint, HeapWalk>();
  for (const entry of enumerateHeaps(view, new FindingLog())) out.set(BigInt(entry.address), walkOf(entry.address));
  return out;
}

/** The frames of the _RTL_STACK_TRACE_ENTRY at `record`, read from the dump with the ISF's layout. */
function framesAt(target: TargetData, offsets: Offsets, record: bigint, countField: string): bigint[] {
  const count = Number(readValue(target, record + BigInt(offsets.of("_RTL_STACK_TRACE_ENTRY", countField)), 2));
  const backTrace = record + BigInt(offsets.of("_RTL_STACK_TRACE_ENTRY", "BackTrace"));
  const p = BigInt(target.pointerSize);
  return Array.from({ length: count }, (_, i) => readValue(target, backTrace + BigInt(i) * p, target.pointerSize));
}

describe.each(IMAGES)("%s build %d", (arch, build) => {
  const image = buildPageHeapImage(arch, build);
  const target = targetOf(image);
  const session = sessionOf(target);
  const heaps = heapsOf(session);

  it("lists each page heap with its flags, then its NormalHeap, listed by the page heap's root", () => {
    const expected = image.truth.heaps.map((h) => ({ address: h.address, type: h.type, flags: h.flags, listedIn: [...h.listedIn].sort() }));
    expect(heaps.map((h) => ({ address: h.address, type: h.type, flags: h.flags, listedIn: h.listedIn }))).toEqual(expected);
    for (const heap of pageHeaps(image)) {
      expect(image.truth.heaps.find((h) => h.address === heap.pageHeap!.normalHeap)!.listedIn).toEqual(["PageHeapRoot"]);
    }
  });

  it("has images worth testing: busy, delayed-free and unreadable full-page blocks, busy and freed light blocks", () => {
    const all = pageHeaps(image).flatMap((h) => h.blocks);
    expect(all.filter((b) => b.dphHeapBlock !== undefined && b.state === "Busy").length).toBeGreaterThanOrEqual(7);
    expect(all.some((b) => b.dphHeapBlock !== undefined && b.state === "Freed")).toBe(true);
    expect(all.some((b) => b.dphHeapBlock !== undefined && b.state === "Freed" && !readTarget(target, b.userAddress, 1))).toBe(true);
    expect(all.some((b) => b.dphHeapBlock === undefined && b.state === "Busy")).toBe(true);
    expect(all.some((b) => b.dphHeapBlock === undefined && b.state === "Freed")).toBe(true);
  });

  for (const truthIndex of [0, 1, 2, 3]) {
    it(`walks heap #${truthIndex} exactly as the writer placed it, in its order, without a finding`, () => {
      const truth = image.truth.heaps[truthIndex];
      const heap = heaps.find((h) => h.address === truth.address)!;
      expect(heap.findings).toEqual([]);
      if (truth.type === "PageHeap") expect(heap.blocks).toEqual(plain(truth.blocks));
      else expect([...heap.blocks].sort(byAddress)).toEqual(plain(truth.blocks).sort(byAddress));
    });
  }

  it("records for each page-heap block the stack trace record its truth's stack came from", () => {
    const walks = walkAll(target);
    const offsets = offsetsOf(image);
    let traced = 0;
    for (const truth of pageHeaps(image)) {
      const blocks = walks.get(truth.address)!.blocks;
      expect(blocks.count).toBe(truth.blocks.length);
      expect(blocks.trace).toBeDefined();
      for (let row = 0; row < blocks.count; row++) {
        const block = truth.blocks.find((b) => b.address === BigInt(blocks.address[row]))!;
        expect(block.stack).toBeDefined();
        const record = BigInt(blocks.trace![row]);
        expect(record).not.toBe(0n);
        expect(framesAt(target, offsets, record, image.truth.traces.frameCountField)).toEqual(block.stack!.frames);
        traced++;
      }
    }
    expect(traced).toBe(pageHeaps(image).reduce((n, h) => n + h.blocks.length, 0));
  });

  it("shows each page-heap block's stack (a delayed-free block's: its free's) as its AllocationStack", () => {
    for (const truth of pageHeaps(image)) {
      const heap = [...session.process.Heaps].find((h: any) => big(h.Address) === truth.address);
      const blocks: any[] = [...heap.Blocks];
      expect(blocks.length).toBe(truth.blocks.length);
      blocks.forEach((block, i) => expect([...block.AllocationStack].map((frame: any) => big(frame.Address))).toEqual(truth.blocks[i].stack!.frames));
    }
  });

  it("reads each root and node pool once and each full-page block's header once; light blocks come from the NormalHeap's windows", () => {
    const fresh = sessionOf(targetOf(image));
    fresh.resetCounters();
    let blocks = 0;
    for (const heap of fresh.process.Heaps) for (const _ of heap.Blocks) blocks++;
    expect(blocks).toBe(image.truth.heaps.reduce((n, h) => n + h.blocks.length, 0));
    // Listing: RtlpLFHKey, the PEB (5), ntdll's page heap list (2 + 1 per root) and each root.
    // Per page heap: its classification (5), its root (1), its node pool (a readable stretch found
    // in at most 5 reads), the header of each full-page block. Per NormalHeap: its classification
    // (3), what an NT walk reads (walk.test.ts), and one read per committed run for the light blocks.
    const full = pageHeaps(image).reduce((n, h) => n + h.blocks.filter((b) => b.dphHeapBlock !== undefined).length, 0);
    const roots = pageHeaps(image).length;
    const listing = 1 + 5 + 2 + 2 * roots;
    const normal = image.truth.heaps.filter((h) => h.type === "NT").reduce((n, h) => {
      const ranges = h.segments.reduce((r, s) => r + s.uncommittedRanges.length, 0);
      return n + 3 + (8 + 4 * h.segments.length + 3 * ranges) + (h.segments.length + ranges);
    }, 0);
    expect(fresh.counters.memoryReads).toBeLessThanOrEqual(listing + roots * (5 + 1 + 5) + full + normal);
  });
});

describe.each(["x64", "x86"] as const)("%s: damaged page heaps end in a finding and a partial walk", (arch) => {
  const image = buildPageHeapImage(arch, 19041);
  const offsets = offsetsOf(image);
  const [first, second] = pageHeaps(image);
  const normalOf = (heap: HeapTruth) => image.truth.heaps.find((h) => h.address === heap.pageHeap!.normalHeap)!;
  const R = (field: string) => BigInt(offsets.of("_DPH_HEAP_ROOT", field));
  const N = (field: string) => BigInt(offsets.of("_DPH_HEAP_BLOCK", field));
  const L = (field: string) => BigInt(offsets.of("_RTL_BALANCED_LINKS", field));
  const T = (field: string) => BigInt(offsets.of("_RTL_AVL_TABLE", field));
  const I = (field: string) => BigInt(offsets.of("_DPH_BLOCK_INFORMATION", field));
  const infoSize = BigInt(offsets.size("_DPH_BLOCK_INFORMATION"));
  const p = arch === "x64" ? 8 : 4;
  /** The busy full-page blocks of the first page heap in key order, and their nodes' links. */
  const busy = fullPage(first, "Busy");
  const linksOf = (b: BlockTruth) => b.dphHeapBlock! + N("TableLinks");
  const sentinel = first.pageHeap!.root + R("BusyNodesTable") + T("BalancedRoot");

  /** The heap at `address` as the damaged image shows it; the other heaps must still be walked exactly. */
  function damaged(damage: (target: TargetData) => void, address: bigint, intact: HeapTruth[]): { heap: Walked | undefined; heaps: Walked[]; text: string } {
    const target = targetOf(image);
    damage(target);
    const session = sessionOf(target);
    const text = session.alias("heaps").output;
    const heaps = heapsOf(session);
    for (const truth of intact) {
      const heap = heaps.find((h) => h.address === truth.address)!;
      expect(heap.findings).toEqual([]);
      expect([...heap.blocks].sort(byAddress)).toEqual(plain(truth.blocks).sort(byAddress));
    }
    for (const command of ["heapstat", "heapcheck"]) expect(session.alias(command).output).not.toMatch(/^Error/m);
    return { heap: heaps.find((h) => h.address === address), heaps, text };
  }

  it("a root with a bad signature: that heap is Unknown and says why, its NormalHeap is not listed, the other page heap is walked", () => {
    const root = first.pageHeap!.root;
    const result = damaged((t) => write(t, root + R("Signature"), 0x12345678n, 4), first.address, [second, normalOf(second)]);
    expect(result.heaps.map((h) => h.address)).toEqual([first.address, second.address, second.pageHeap!.normalHeap]);
    expect(result.heap!.type).toBe("Unknown");
    expect(result.heap!.blocks).toEqual([]);
    expect(result.heap!.findings).toEqual([{
      kind: "Corruption",
      address: root,
      message: `heap ${hex(first.address)} is a page-heap handle (ForceFlags has HEAP_FLAG_PAGE_ALLOCS 0x1000000), but the _DPH_HEAP_ROOT at ${hex(root)} has signature 0x12345678, not 0xffeeddcc`,
    }]);
    expect(result.text).toContain("Heaps that could not be walked:");
    expect(result.text).toContain(`WARNING: Corruption: ntdll!RtlpDphPageHeapList: the _DPH_HEAP_ROOT at ${hex(root)} has signature 0x12345678`);
  });

  it("a busy tree that loops back is cut at the loop; every block is still listed once", () => {
    const target = targetOf(image);
    const top = readValue(target, sentinel + L("LeftChild"), p) || readValue(target, sentinel + L("RightChild"), p);
    const leaf = busy.find((b) => readValue(target, linksOf(b) + L("LeftChild"), p) === 0n && readValue(target, linksOf(b) + L("RightChild"), p) === 0n)!;
    const from = linksOf(leaf) + L("LeftChild");
    const result = damaged((t) => write(t, from, top, p), first.address, [normalOf(first), second, normalOf(second)]);
    expect(result.heap!.blocks).toEqual(plain(first.blocks));
    expect(result.heap!.findings.map((f) => [f.kind, f.address])).toEqual([["Corruption", from]]);
    expect(result.heap!.findings[0].message).toContain("loops");
  });

  it("a delayed-free list that loops back is cut at the loop", () => {
    const freed = fullPage(first, "Freed");
    const last = freed[freed.length - 1].dphHeapBlock!;
    const result = damaged((t) => write(t, last + N("pNextAlloc"), freed[0].dphHeapBlock!, p), first.address, [second]);
    expect(result.heap!.blocks).toEqual(plain(first.blocks));
    expect(result.heap!.findings.map((f) => [f.kind, f.address])).toEqual([["Corruption", freed[0].dphHeapBlock!]]);
    expect(result.heap!.findings[0].message).toContain("a second time");
  });

  it("a busy tree deeper than an AVL tree of its size can be is cut at that depth", () => {
    // Every busy node on one right spine, in key order: node i at depth i + 1; 7 nodes allow depth 4.
    expect(busy.length).toBe(7);
    const result = damaged((t) => {
      const top = readValue(t, sentinel + L("LeftChild"), p) !== 0n ? L("LeftChild") : L("RightChild");
      write(t, sentinel + top, linksOf(busy[0]), p);
      busy.forEach((b, i) => {
        write(t, linksOf(b) + L("LeftChild"), 0n, p);
        write(t, linksOf(b) + L("RightChild"), i + 1 < busy.length ? linksOf(busy[i + 1]) : 0n, p);
      });
    }, first.address, [second]);
    expect(result.heap!.blocks).toEqual(plain(first.blocks.filter((b) => !busy.slice(4).includes(b))));
    expect(result.heap!.findings.map((f) => [f.kind, f.address])).toEqual([["Corruption", busy[4].dphHeapBlock!]]);
    expect(result.heap!.findings[0].message).toContain("deeper than an AVL tree of 7 nodes can be (4)");
  });

  it("a node whose user range leaves its virtual block is not listed; the others are", () => {
    const bad = busy[4];
    const result = damaged((t) => write(t, bad.dphHeapBlock! + N("nUserRequestedSize"), BigInt(bad.size), p), first.address, [second]);
    expect(result.heap!.blocks).toEqual(plain(first.blocks.filter((b) => b !== bad)));
    expect(result.heap!.findings.map((f) => [f.kind, f.address])).toEqual([["Corruption", bad.dphHeapBlock!]]);
    expect(result.heap!.findings[0].message).toContain("is not inside its virtual block");
  });

  it("a full-page block with a bad start stamp is listed, with a finding at its DPH_BLOCK_INFORMATION", () => {
    const info = busy[2].userAddress - infoSize;
    const result = damaged((t) => write(t, info + I("StartStamp"), 0xabcdaaaan, 4), first.address, [second]);
    expect(result.heap!.blocks).toEqual(plain(first.blocks));
    expect(result.heap!.findings).toEqual([{
      kind: "Corruption",
      address: info,
      message: `busy full-page block of node ${hex(busy[2].dphHeapBlock!)}: its DPH_BLOCK_INFORMATION at ${hex(info)} has stamps 0xabcdaaaa/0xdcbabbbb, not 0xabcdbbbb/0xdcbabbbb`,
    }]);
  });

  it("a light block with a bad end stamp is listed, with a finding at its DPH_BLOCK_INFORMATION", () => {
    const block = light(second).find((b) => b.state === "Freed")!;
    const info = block.userAddress - infoSize;
    const result = damaged((t) => write(t, info + I("EndStamp"), 0xdcbaaaaan, 4), second.address, [first, normalOf(first)]);
    expect(result.heap!.blocks).toEqual(plain(second.blocks));
    expect(result.heap!.findings.map((f) => [f.kind, f.address])).toEqual([["Corruption", info]]);
    expect(result.heap!.findings[0].message).toContain("EndStamp 0xdcbaaaaa, not 0xdcbaaaa9");
  });

  it("a busy full-page block whose header page is not in the dump is listed, with an Unreadable finding", () => {
    const block = busy[6];
    const info = block.userAddress - infoSize;
    const result = damaged((t) => dropPage(t, info), first.address, [second]);
    expect(result.heap!.blocks).toEqual(plain(first.blocks));
    expect(result.heap!.findings.map((f) => [f.kind, f.address])).toEqual([["Unreadable", info]]);
  });

  it("a node on a page that is not in the dump is not listed, with an Unreadable finding; the rest of the tree is", () => {
    // The writer keeps its nodes on the root's page: a leaf is moved to the (page-aligned) user data
    // of the 0x1000-byte block, its parent relinked to the copy, and that page left out.
    const target = targetOf(image);
    const host = busy[6];
    expect(host.userAddress % 0x1000n).toBe(0n);
    const nodeSize = offsets.size("_DPH_HEAP_BLOCK");
    const isLeaf = (b: BlockTruth) => readValue(target, linksOf(b) + L("LeftChild"), p) === 0n && readValue(target, linksOf(b) + L("RightChild"), p) === 0n;
    const leaf = busy.find((b) => b !== host && isLeaf(b))!;
    let slot = 0n;
    for (const b of busy) for (const child of ["LeftChild", "RightChild"]) if (readValue(target, linksOf(b) + L(child), p) === linksOf(leaf)) slot = linksOf(b) + L(child);
    expect(slot).not.toBe(0n);
    const copy = host.userAddress;
    const result = damaged((t) => {
      write(t, copy, readValue(t, leaf.dphHeapBlock!, nodeSize), nodeSize);
      write(t, slot, copy + N("TableLinks"), p);
      dropPage(t, copy);
    }, first.address, [second]);
    expect(result.heap!.blocks).toEqual(plain(first.blocks.filter((b) => b !== leaf)));
    expect(result.heap!.findings.map((f) => [f.kind, f.address])).toEqual([["Unreadable", copy]]);
  });

  it("a NormalHeap page that is not in the dump ends that heap's walk there; the light blocks before it are listed", () => {
    const block = light(second)[light(second).length - 1];
    const page = block.address & ~0xfffn;
    const result = damaged((t) => dropPage(t, page), second.address, [first, normalOf(first)]);
    const normal = result.heaps.find((h) => h.address === second.pageHeap!.normalHeap)!;
    // The NT walk stops at the first header it cannot read, on that page (robustness.test.ts).
    const stop = normal.findings.find((f) => f.kind === "Unreadable")!.address;
    expect(stop >= page && stop < page + 0x1000n).toBe(true);
    expect(result.heap!.findings).toEqual([]);
    expect(result.heap!.blocks).toEqual(plain(second.blocks.filter((b) => b.address < stop)));
    expect(result.heap!.blocks.length).toBeLessThan(second.blocks.length);
  });

  it("a page heap the PEB does not list is found through ntdll!RtlpDphPageHeapList", () => {
    const target = targetOf(image);
    const pebHeaps = BigInt(offsets.of("_PEB", "ProcessHeaps"));
    const array = readValue(target, BigInt(image.truth.peb) + pebHeaps, p);
    write(target, array + BigInt(p), 0n, p);
    const heaps = heapsOf(sessionOf(target));
    expect(heaps.map((h) => [h.address, h.type, h.listedIn])).toEqual([
      [first.address, "PageHeap", ["PEB", "ProcessHeap"]],
      [first.pageHeap!.normalHeap, "NT", ["PageHeapRoot"]],
      [second.address, "PageHeap", ["PageHeapRoot"]],
      [second.pageHeap!.normalHeap, "NT", ["PageHeapRoot"]],
    ]);
    expect(heaps[2].blocks).toEqual(plain(second.blocks));
  });

  it("a damaged ntdll!RtlpDphPageHeapList is reported, and the page heaps are found from the PEB", () => {
    const target = targetOf(image);
    const isf = IsfTypes.parse(image.ntdllIsf);
    const ntdll = target.modules.find((m) => /^ntdll/i.test(m.name))!;
    const head = ntdll.base + BigInt(isf.symbolRva("RtlpDphPageHeapList")!);
    write(target, head, 0x10000n, p);
    const session = sessionOf(target);
    const heaps = heapsOf(session);
    expect(heaps.map((h) => [h.address, h.type, h.listedIn])).toEqual(image.truth.heaps.map((h) => [h.address, h.type, [...h.listedIn].sort()]));
    expect(session.alias("heaps").output).toContain("WARNING: Corruption: ntdll!RtlpDphPageHeapList: list entry at 0x10000 is not readable");
  });

  it("without the _DPH_* types page heaps are Unsupported, and say why; nothing throws", () => {
    const target = targetOf(image, (isf) => delete isf.user_types._DPH_HEAP_ROOT);
    const session = sessionOf(target);
    const heaps = heapsOf(session);
    expect(heaps.map((h) => [h.address, h.type])).toEqual(pageHeaps(image).map((h) => [h.address, "PageHeap"]));
    for (const heap of heaps) {
      expect(heap.blocks).toEqual([]);
      expect(heap.findings.map((f) => [f.kind, f.address])).toEqual([["Unsupported", heap.address]]);
      expect(heap.findings[0].message).toContain("_DPH_HEAP_ROOT");
    }
    expect(session.alias("heaps").output).toContain(`PageHeap: ntdll's symbols do not describe`);
  });
});

describe("NT heaps do not need the page heap types", () => {
  it.each([["x64", 19041], ["x86", 7601]] as const)("%s %d: the same walk without _DPH_HEAP_BLOCK", (arch, build) => {
    const image = buildImage(arch, build);
    const isf = JSON.parse(JSON.stringify(image.ntdllIsf));
    delete isf.user_types._DPH_HEAP_BLOCK;
    const session = ScriptSession.load(BUNDLE, targetFromDump(image.dump, { ntdll: IsfTypes.parse(isf) }));
    const heaps = heapsOf(session);
    expect(heaps.map((h) => [h.address, h.type])).toEqual(image.truth.heaps.map((h) => [h.address, h.type]));
    for (const truth of image.truth.heaps) {
      const heap = heaps.find((h) => h.address === truth.address)!;
      expect(heap.findings).toEqual([]);
      expect([...heap.blocks].sort(byAddress)).toEqual(plain(truth.blocks).sort(byAddress));
    }
  });
});
