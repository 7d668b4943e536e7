// One walk of one NT heap: its segments' back-end entries (with the LFH blocks inside their
// UserBlocks containers) and its VirtualAlloc'd blocks, as a columnar BlockTable plus findings.
// Nothing here throws for bad target memory: what cannot be read or trusted becomes a finding.
import { BlockTableBuilder, HeapWalk, emptyHeapWalk } from "../../heap/records";
import { FindingLog } from "../../heap/findings";
import { NtdllView } from "../../host/target";
import { Progress } from "../../host/progress";
import { NtHeapLayout } from "../../layouts/ntheap";
import { pointer, u32 } from "../../util/bytes";
import { hex0x } from "../../util/hex";
import { BackendWalker } from "./backend";
import { EntryDecoder } from "./entry";
import { LfhDecoder } from "./lfh";
import { readSegments } from "./segments";
import { walkVirtualAllocs } from "./virtual-alloc";

/** _HEAP.FrontEndHeapType of the LFH (docs/heap-structures.md §1.2). */
const FRONT_END_LFH = 2;

export function walkNtHeap(view: NtdllView, address: number, flags: number): HeapWalk {
  const { memory, layout } = view;
  const findings = new FindingLog();
  const blocks = new BlockTableBuilder();
  const walk = emptyHeapWalk(address, "NT", flags, layout.entry.granularity);
  const h = layout.heap;
  const p = layout.pointerSize;
  let header: Uint8Array;
  try {
    header = memory.read(address, heapHeaderSpan(layout));
  } catch (e) {
    findings.add("Unreadable", address, `heap header at ${hex0x(address)} is not readable`);
    walk.findings = findings.list();
    return walk;
  }
  const decoder = new EntryDecoder(layout.entry, encodingKey(header, layout, address, findings));
  const lfhActive = header[h.frontEndHeapType] === FRONT_END_LFH;
  walk.counters.frontEnd = lfhActive ? "LFH" : "";
  if (h.lockCollisions !== undefined) walk.counters.lockContention = u32(header, h.lockCollisions);
  if (h.totalMemoryLargeUCR !== undefined) walk.counters.largeUncommittedBytes = pointer(header, h.totalMemoryLargeUCR, p);

  let lfh: LfhDecoder | undefined;
  if (lfhActive && layout.lfh) {
    lfh = new LfhDecoder(memory, layout, layout.lfh, address, pointer(header, h.frontEndHeap, p), view.lfhKey, blocks, findings);
  } else if (lfhActive) {
    findings.add("Unsupported", address, "the LFH is active but ntdll's symbols lack its types (_HEAP_USERDATA_HEADER, _HEAP_SUBSEGMENT): LFH blocks are listed as their containers only");
  }
  // Busy back-end blocks are never larger than this: bigger requests are VirtualAlloc'd (§2.3).
  const threshold = h.virtualMemoryThreshold !== undefined ? u32(header, h.virtualMemoryThreshold) * layout.entry.granularity : 0;
  const backend = new BackendWalker(memory, layout, decoder, blocks, findings, threshold, (container, window) => {
    if (lfh) lfh.decode(container, window);
  });
  walk.segments = readSegments(memory, layout, address, findings);
  // Every segment starts with a header entry the key must decode: when none does, the key itself
  // is damaged, which is said once instead of once per header (and nothing more is decoded with it).
  const headers = walk.segments.map((segment, i) => backend.walkHeader(segment, i));
  if (headers.length > 0 && headers.every((result) => typeof result === "string")) {
    findings.add("Corruption", address + h.encoding,
      `no segment header of heap ${hex0x(address)} decodes with its _HEAP.Encoding key: the key (or EncodeFlagMask) is damaged, so no header of this heap can be trusted`);
    walk.blocks = blocks.seal();
    walk.findings = findings.list();
    return walk;
  }
  let committed = 0;
  for (let i = 0; i < walk.segments.length; i++) committed += walk.segments[i].committedBytes;
  Progress.around(memory, `walking NT heap ${hex0x(address)}`, committed, () => {
    for (let i = 0; i < walk.segments.length; i++) {
      const result = headers[i];
      const segment = walk.segments[i];
      if (typeof result === "string") findings.add(result === "is not readable" ? "Unreadable" : "Corruption", segment.address, `the header entry of segment ${hex0x(segment.address)} ${result}`);
      backend.walkRuns(segment, i, typeof result === "number" ? result : -1);
    }
  });
  const virtualTotal = h.totalSizeInVirtualBlocks !== undefined ? pointer(header, h.totalSizeInVirtualBlocks, p) : undefined;
  walk.virtualBlockCount = walkVirtualAllocs(memory, layout, decoder, address, virtualTotal, walk.segments, blocks, findings);
  walk.blocks = blocks.seal();
  walk.findings = findings.list();
  return walk;
}

/**
 * The XOR key of the heap's entry headers: the 8 core bytes of _HEAP.Encoding when EncodeFlagMask
 * is set, zeros otherwise (§2.2). Its SegmentOffset and UnusedBytes bytes are 0 in every real
 * heap (§6c.2); a key with them set would turn every busy block into a pseudo-entry, so they are
 * taken as 0 and the damage is reported once.
 */
export function encodingKey(header: Uint8Array, layout: NtHeapLayout, heap: number, findings: FindingLog): Uint8Array {
  const h = layout.heap;
  if (u32(header, h.encodeFlagMask) === 0) return new Uint8Array(8);
  const key = header.slice(h.encoding + layout.entry.core, h.encoding + layout.entry.core + 8);
  const plain = [layout.entry.unusedBytes - layout.entry.core, layout.entry.unusedBytes - layout.entry.core - 1];
  if (key[plain[0]] !== 0 || key[plain[1]] !== 0) {
    findings.add("Corruption", heap + h.encoding + layout.entry.core + plain[1],
      `_HEAP.Encoding of heap ${hex0x(heap)} has SegmentOffset/UnusedBytes key bytes 0x${key[plain[1]].toString(16)}/0x${key[plain[0]].toString(16)}, which are 0 in every real heap: the key is damaged; those bytes are read as stored`);
    key[plain[0]] = 0;
    key[plain[1]] = 0;
  }
  return key;
}

/** Bytes of _HEAP the walk reads: up to the last field it uses. */
function heapHeaderSpan(layout: NtHeapLayout): number {
  const h = layout.heap;
  const p = layout.pointerSize;
  let end = Math.max(h.encoding + layout.entry.granularity, h.frontEndHeap + p, h.frontEndHeapType + 1, h.encodeFlagMask + 4);
  const fields: [number | undefined, number][] = [
    [h.lockCollisions, 4], [h.totalMemoryLargeUCR, p], [h.virtualMemoryThreshold, 4], [h.totalSizeInVirtualBlocks, p],
  ];
  for (let i = 0; i < fields.length; i++) {
    const at = fields[i][0];
    if (at !== undefined) end = Math.max(end, at + fields[i][1]);
  }
  return end;
}
