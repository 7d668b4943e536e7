// !heaptriage: the leak hunt in one command. The first screen answers "what is leaking, and who
// allocated or holds it": the totals and whether stacks are on, the heaps by committed bytes, then
// the suspects by score, each with its stack (or its referrers), sample blocks and the next command;
// after them what dominates the largest heaps and which heaps are fragmented.
import { groupByStack, groupByType } from "../analysis/groups";
import { sizeStatistics } from "../analysis/stat";
import { lastDiff } from "../analysis/snapshot-store";
import { TriageHeap } from "../analysis/triage";
import { HeapWalk } from "../heap/records";
import { callerFrame } from "../stacks/frames";
import { Symbolizer } from "../stacks/symbolizer";
import { hex0x, hexAddress } from "../util/hex";
import { groupSources } from "../model/groups";
import { SuspectModel, TriageModel } from "../model/triage";
import { optional } from "./args";
import { CommandContext, command } from "./context";
import { formatStackLines } from "./format";

const DEFAULT_SUSPECTS = 5;
/** Suspects printed at most, whatever max asks (each takes up to a dozen lines); dx holds them all. */
const MAX_PRINTED_SUSPECTS = 200;
/** Heaps shown in the table, and heaps whose dominant sizes, stacks and types are shown. */
const HEAP_ROWS = 8;
const DOMINANT_HEAPS = 3;
const DOMINANT_ROWS = 3;
/** Frames printed per suspect, from the first one outside the allocators. */
const SUSPECT_FRAMES = 6;

/** !heaptriage [max] — heaps, suspects (max of them in detail, 5 by default), dominant groups, fragmentation. */
export const heaptriage = command("heaptriage", 1, (maxSuspects?: unknown): TriageModel => {
  const max = optional("heaptriage", "a suspect count", maxSuspects, DEFAULT_SUSPECTS);
  if (max < 1) throw new Error(`heaptriage: expected a suspect count of at least 1, got ${max}`);
  const context = new CommandContext();
  const walked = context.walkedHeaps();
  const model = TriageModel.of(context.heaps, (ref) => context.model(ref), max);
  const result = model.result();
  const symbols = context.heaps.symbolizer();
  const widthOf = (heap: number) => context.heaps.heaps()[heap].view.layout.pointerSize;

  const stacks = model.stackStatus();
  let text = `Leak triage: ${walked.length} heaps, ${hex0x(result.busyBlocks)} busy blocks holding ${hex0x(result.busyBytes)} bytes.\n`;
  text += stacks.on
    ? `Allocation stacks: on (${hex0x(stacks.traced)} of ${hex0x(result.busyBlocks)} busy blocks have one).\n`
    : `Allocation stacks: OFF: ${stacks.advice}.\n`;
  text += `Leak scan: ${hex0x(result.unreachableCount)} busy blocks (${hex0x(result.unreachableBytes)} bytes) are unreachable: nothing in the process points to them.\n`;
  const diff = lastDiff();
  if (diff) text += `Growth: from the last !heapdiff, ${diff.before.name} (${diff.before.process.name}) -> ${diff.after.name} (${diff.after.process.name}).\n`;

  text += "\nHeaps by committed bytes:\n" + heapTable(result.heaps.slice(0, HEAP_ROWS), context);
  if (result.heaps.length > HEAP_ROWS) text += `  ... ${result.heaps.length - HEAP_ROWS} more; use dx @$heapTriage().Heaps\n`;

  text += "\nSuspects, by score (bytes, doubled where unreachable, weighted by count and growth; README explains):\n";
  const suspects = model.Suspects;
  const shown = Math.min(max, suspects.count(), MAX_PRINTED_SUSPECTS);
  for (let i = 0; i < shown; i++) text += suspectText(suspects.getValueAt(i), context, symbols, widthOf);
  if (result.groupCount > shown) text += `... ${result.groupCount - shown} more groups; use dx @$heapTriage().Suspects (the first ${suspects.count()})\n`;

  for (let i = 0; i < Math.min(DOMINANT_HEAPS, result.heaps.length); i++) text += dominance(result.heaps[i], context, symbols, widthOf(result.heaps[i].heap));
  text += result.fragmented.length === 0
    ? "\nFragmentation: no heap's free blocks hold half of its committed bytes.\n"
    : "\nFragmented heaps (free blocks hold at least half of the committed bytes):\n" + heapTable(result.fragmented, context);
  context.print(text);
  return model;
});

function heapTable(heaps: TriageHeap[], context: CommandContext): string {
  const width = Math.max(...heaps.map((h) => context.heaps.heaps()[h.heap].view.layout.pointerSize), 4) * 2;
  let text = `  ${"Heap".padEnd(width)}  Type        Committed         Free   Busy blocks   Busy bytes  Unreachable\n`;
  for (let i = 0; i < heaps.length; i++) {
    const h = heaps[i];
    const ref = context.heaps.heaps()[h.heap];
    text += `  ${hexAddress(ref.address, ref.view.layout.pointerSize).padStart(width)}  ${h.walk.type.padEnd(8)}` +
      `${hex0x(h.committedBytes).padStart(13)}${hex0x(h.freeBytes).padStart(13)}${hex0x(h.busyBlocks).padStart(14)}` +
      `${hex0x(h.busyBytes).padStart(13)}${hex0x(h.unreachableBytes).padStart(13)}\n`;
  }
  return text;
}

function suspectText(suspect: SuspectModel, context: CommandContext, symbols: Symbolizer, widthOf: (heap: number) => 4 | 8): string {
  const s = suspect.suspect();
  const heapRef = context.heaps.heaps()[s.heap];
  const width = widthOf(s.heap);
  const blocks = s.group.count === 1 ? "1 block" : `${hex0x(s.group.count)} blocks`;
  let text = `#${suspect.Rank}  ${blocks} of ${hex0x(s.size)} bytes = ${hex0x(s.group.totalBytes)} bytes, ${s.heapShare.toFixed(2)}% of heap ${hexAddress(heapRef.address, heapRef.view.layout.pointerSize)}`;
  text += s.unreachableCount === 0 ? ", all reachable" : s.unreachableCount === s.group.count ? ", all unreachable" : `, ${hex0x(s.unreachableCount)} unreachable`;
  if (s.growth) {
    const g = s.growth;
    const signed = (n: number) => (n < 0 ? "-" : "+") + hex0x(Math.abs(n));
    text += g.count === 0 && g.bytes === 0 ? ", unchanged in the last diff" : `, ${signed(g.count)} blocks (${signed(g.bytes)} bytes) in the last diff`;
  }
  text += "\n";
  if (s.giant) text += "    a VirtualAlloc'd giant: Windows keeps no allocation stack for these\n";
  if (s.group.typeName !== undefined) text += `    type: ${s.group.typeName}\n`;
  const stack = s.group.stack;
  let referrers = s.giant;
  if (stack && "frames" in stack) {
    const caller = callerFrame(stack.frames, symbols);
    const from = caller === undefined ? 0 : stack.frames.indexOf(caller);
    const frames = stack.frames.slice(from, from + SUSPECT_FRAMES);
    text += `    allocated at ${caller === undefined ? "?" : symbols.name(caller).text}:\n` + formatStackLines(frames, (a) => symbols.name(a), width);
    if (stack.frames.length > from + SUSPECT_FRAMES) text += `        ... ${stack.frames.length - from - SUSPECT_FRAMES} more frames\n`;
  } else if (stack && !s.giant) {
    text += `    no allocation stack (${stack.reason})\n`;
    referrers = true;
  }
  if (referrers) {
    const found = suspect.Referrers;
    if (found.length === 0) text += `    held by: nothing the scan saw${s.unreachableCount > 0 ? " (unreachable)" : ""}\n`;
    for (let i = 0; i < found.length; i++) text += `    ${i === 0 ? "held by:" : "        "} ${found[i].Description}\n`;
  }
  const samples = suspect.samples().map((b) => hexAddress(b.ref.walk().blocks.userAddress[b.row], b.ref.view.layout.pointerSize));
  text += `    blocks: ${samples.join(" ")}${s.group.count > samples.length ? " ..." : ""}\n`;
  const next = suspect.next();
  text += `    next: ${next[0]}\n          ${next[1]}\n`;
  return text;
}

/** What dominates a heap's busy bytes: its largest sizes, stacks (by caller) and types. */
function dominance(heap: TriageHeap, context: CommandContext, symbols: Symbolizer, width: 4 | 8): string {
  const ref = context.heaps.heaps()[heap.heap];
  const walk: HeapWalk = heap.walk;
  if (heap.busyBytes === 0) return "";
  const share = (bytes: number) => `${((100 * bytes) / heap.busyBytes).toFixed(2)}%`;
  const sizes = sizeStatistics(walk, "S", DOMINANT_ROWS).rows.map((r) => `${hex0x(r.size)} x ${hex0x(r.count)} (${share(r.total)})`);
  const sources = groupSources(context.heaps, [ref]);
  const stacks = groupByStack(sources, undefined, false).slice(0, DOMINANT_ROWS).map((g) => {
    const caller = g.stack && "frames" in g.stack ? callerFrame(g.stack.frames, symbols) : undefined;
    const where = caller !== undefined ? symbols.name(caller).text : g.stack && "reason" in g.stack ? `no stack (${g.stack.reason})` : "?";
    return `${where} (${share(g.totalBytes)})`;
  });
  const types = groupByType(sources, undefined, false).slice(0, DOMINANT_ROWS).map((g) => `${g.key} (${share(g.totalBytes)})`);
  return `\nHeap ${hexAddress(ref.address, width)}: what holds its ${hex0x(heap.busyBytes)} busy bytes\n` +
    `    sizes:  ${sizes.join(", ")}\n    stacks: ${stacks.join(", ")}\n    types:  ${types.join(", ")}\n`;
}

