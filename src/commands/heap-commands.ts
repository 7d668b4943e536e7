// The ! commands. Each prints what the matching !heap switch prints and returns the same
// result as dx objects, so `!heapfilter 0x400000` reads like `!heap -flt s 400000` and
// `dx @$heapfilter(0x400000).First().UserAddress` goes on from there.
import { filterBySize } from "../analysis/filter";
import { findReferences } from "../analysis/find";
import { searchPattern } from "../analysis/search";
import { sizeStatistics, StatGroupBy } from "../analysis/stat";
import { summarizeHeap, summarizePageHeap, summarizeSegmentHeap } from "../analysis/summary";
import { MemoryRegion } from "../host/memory-types";
import { BlockModel, BlockSelection } from "../model/block";
import { HeapModel } from "../model/heap";
import { LazyCollection } from "../model/lazy";
import { Reference } from "../analysis/find";
import { FoundBlockModel, HeapCheckModel, HeapStackModel, HeapSummaryModel, PageHeapSummaryModel, PatternHitModel, SegmentHeapSummaryModel, SizeStatisticsModel } from "../model/results";
import { FindingLog } from "../heap/findings";
import { checkNtHeap } from "../walkers/nt/check";
import { hex, hexAddress } from "../util/hex";
import { choice, flag, optional, patternBytes, required } from "./args";
import { CommandContext, WalkedHeap, command } from "./context";
import { MAX_PRINTED_FINDINGS, MAX_PRINTED_ROWS, RowLimit } from "./output";
import {
  formatBlockRows, formatFoundBlock, formatHeapSummaryTable, formatPageHeapTable, formatSearchHits, formatSegmentHeapSummaryTable, formatSizeStatistics,
  formatStackGroup, formatStackLines, formatTypeRows,
} from "./format";
import { GroupList, stackGroups, typeGroups } from "../model/groups";
import { StackModel, stackModel } from "../model/stack";
import { BLOCK_STATES, HeapWalk } from "../heap/records";

const GROUPS: readonly StatGroupBy[] = ["A", "B", "S"];
const DEFAULT_MAX_ROWS = 20;

/**
 * !heaps — !heap -s: one row per NT heap, with the fragmentation lines; a table of the segment
 * heaps, one of the page heaps; the heaps that could not be walked, and why.
 */
export const heaps = command("heaps", 0, (): (HeapSummaryModel | SegmentHeapSummaryModel | PageHeapSummaryModel)[] => {
  const context = new CommandContext();
  const all = context.allHeaps();
  const views = context.heaps.target.views;
  let text = "";
  const results: (HeapSummaryModel | SegmentHeapSummaryModel | PageHeapSummaryModel)[] = [];
  // A WOW64 process: the 32-bit heaps, then the 64-bit ones, each with its own table.
  for (let v = 0; v < views.length; v++) {
    const view = views[v];
    const own = all.filter((h) => h.ref.view === view && !h.ref.problem());
    const nt = own.filter((h) => h.walk.type === "NT").map((h) => summarizeHeap(h.walk));
    const segment = own.filter((h) => h.walk.type === "Segment").map((h) => summarizeSegmentHeap(h.walk));
    const page = own.filter((h) => h.walk.type === "PageHeap").map((h) => summarizePageHeap(h.walk));
    const width = view.layout.pointerSize;
    if (views.length > 1) text += `${v > 0 ? "\n" : ""}${view.arch === "x86" ? "32" : "64"}-bit heaps (${view.module}, PEB ${hexAddress(view.peb, width)}):\n`;
    text += formatHeapSummaryTable(nt, { pointerSize: width, lfhKey: view.lfhKey });
    if (segment.length > 0) text += formatSegmentHeapSummaryTable(segment, width);
    if (page.length > 0) text += formatPageHeapTable(page, width);
    for (let i = 0; i < nt.length; i++) results.push(new HeapSummaryModel(nt[i]));
    for (let i = 0; i < segment.length; i++) results.push(new SegmentHeapSummaryModel(segment[i]));
    for (let i = 0; i < page.length; i++) results.push(new PageHeapSummaryModel(page[i]));
  }
  const others = all.filter((h) => h.ref.problem());
  if (others.length > 0) {
    text += "Heaps that could not be walked:\n";
    for (let i = 0; i < others.length; i++) {
      text += `${hexAddress(others[i].walk.address, others[i].width)} ${others[i].walk.type}: ${others[i].ref.problem()!.message}\n`;
    }
  }
  context.print(text);
  return results;
});

/** !heapstat [heap] [, "A"|"B"|"S"] [, max] — !heap -stat -h: busy blocks grouped by requested size. */
export const heapstat = command("heapstat", 3, (heap?: unknown, groupBy?: unknown, maxRows?: unknown): SizeStatisticsModel[] => {
  const address = optional("heapstat", "a heap address (0 or nothing for all heaps)", heap, 0);
  const group = choice("heapstat", "a grouping", groupBy, GROUPS, "S");
  const max = optional("heapstat", "a row count", maxRows, DEFAULT_MAX_ROWS);
  if (max < 1) throw new Error(`heapstat: expected a row count of at least 1, got ${max}`);
  const context = new CommandContext();
  const chosen = address === 0 ? context.walkedHeaps() : [context.heapAt("heapstat", address)];
  let text = "";
  const results: SizeStatisticsModel[] = [];
  for (let i = 0; i < chosen.length; i++) {
    const walk = chosen[i].walk;
    const stats = sizeStatistics(walk, group, max);
    text += formatSizeStatistics(walk.address, group, max, stats, chosen[i].width);
    results.push(new SizeStatisticsModel(walk.address, group, stats));
  }
  context.print(text);
  return results;
});

/** !heapfilter size [, maxExclusive] — !heap -flt s / -flt r: busy blocks by requested size, [size, max). */
export const heapfilter = command("heapfilter", 2, (size?: unknown, maxExclusive?: unknown): BlockSelection => {
  const min = required("heapfilter", "a size", size);
  const max = optional("heapfilter", "an exclusive upper bound", maxExclusive, min + 1);
  if (max <= min) throw new Error(`heapfilter: the upper bound 0x${hex(max)} must be above the size 0x${hex(min)} (the range is [size, max))`);
  const context = new CommandContext();
  const walked = context.walkedHeaps();
  const limit = new RowLimit();
  let text = "";
  const parts: { heap: HeapModel; walk: HeapWalk; rows: number[] }[] = [];
  for (let i = 0; i < walked.length; i++) {
    const rows = filterBySize(walked[i].walk, min, max);
    if (rows.length === 0) continue;
    parts.push({ heap: walked[i].model, walk: walked[i].walk, rows });
    const printed: number[] = [];
    for (let r = 0; r < rows.length; r++) if (limit.take()) printed.push(rows[r]);
    if (printed.length > 0) text += formatBlockRows(walked[i].walk, printed, walked[i].width);
  }
  const range = max === min + 1 ? `0x${hex(min)}` : `(0x${hex(min)}, 0x${hex(max)})`;
  if (parts.length === 0) {
    text = max === min + 1 ? `no busy blocks of size 0x${hex(min)}\n` : `no busy blocks of sizes [0x${hex(min)}, 0x${hex(max)})\n`;
  }
  context.print(text + limit.note("blocks", `dx @$heapfilter(${range})`));
  return new BlockSelection(parts);
});

/** !heapfind address [, true] — !heap -x [-v]: the block holding an address, and (true) every pointer into it. */
export const heapfind = command("heapfind", 2, (address?: unknown, searchReferences?: unknown): FoundBlockModel | null => {
  const target = required("heapfind", "an address", address);
  const withReferences = flag("heapfind", "whether to search the process for pointers into the block", searchReferences);
  const context = new CommandContext();
  const found = context.heaps.locate(target);
  if (!found) {
    context.allHeaps();
    context.print(`0x${hex(target)} is not inside any block of the process's heaps\n`);
    return null;
  }
  const heap = context.use(found.heap);
  const blocks = heap.walk.blocks;
  const start = blocks.address[found.row];
  const end = start + blocks.size[found.row];
  let note = "";
  let references: (() => Iterator<Reference>) | undefined;
  let printed: Reference[] | undefined;
  if (withReferences) {
    const segments: MemoryRegion[] = [];
    const walked = context.walkedHeaps();
    for (let i = 0; i < walked.length; i++) {
      for (const s of walked[i].walk.segments) segments.push({ base: s.baseAddress, size: s.lastValidEntry - s.baseAddress });
    }
    const regions = context.heaps.target.regions(segments);
    if (regions.problem) note += `The region list was unavailable (${regions.problem}): scanning heap segments, thread stacks and module images only.\n`;
    const memory = found.heap.view.memory;
    // A WOW64 process's memory holds 32-bit pointers and 64-bit ones: every aligned 4-byte value
    // finds both (a 64-bit heap there lies below 4 GiB too, so a 64-bit pointer's low half is it).
    const width = context.heaps.target.isWow64 ? 4 : heap.width;
    references = () => findReferences(memory, regions.regions, start, end, width);
    const limit = new RowLimit();
    printed = [];
    for (const reference of findReferences(memory, regions.regions, start, end, width)) if (limit.take()) printed.push(reference);
    note = limit.note("references", `dx @$heapfind(0x${hex(target)}, true).References`) + note;
  }
  context.print(formatFoundBlock(heap.walk, found.row, heap.width, printed) + note);
  return new FoundBlockModel(BlockModel.of(heap.model, heap.walk, found.row), target - start, references);
});

/** !heapsearch pattern [, width] — !heap -srch: where a 1, 2, 4 or 8-byte value occurs in busy user data. */
export const heapsearch = command("heapsearch", 2, (pattern?: unknown, width?: unknown): LazyCollection<PatternHitModel> => {
  if (pattern === undefined) throw new Error("heapsearch: expected a pattern");
  const context = new CommandContext();
  const bytes = optional("heapsearch", "a width (1, 2, 4 or 8)", width, context.pointerSize);
  if (bytes !== 1 && bytes !== 2 && bytes !== 4 && bytes !== 8) throw new Error(`heapsearch: expected a width of 1, 2, 4 or 8, got ${bytes}`);
  const needle = patternBytes("heapsearch", pattern, bytes);
  const walked = context.walkedHeaps();
  // Each hit prints three lines, as !heap -srch does (docs/seeds.md seed 004): a third of the usual rows.
  const limit = new RowLimit(MAX_PRINTED_ROWS / 2);
  let text = "";
  let hits = 0;
  for (let i = 0; i < walked.length; i++) {
    for (const hit of searchPattern(walked[i].ref.view.memory, walked[i].walk, needle)) {
      hits++;
      if (limit.take()) text += formatSearchHits(walked[i].walk, [hit], walked[i].width);
    }
  }
  const query = `dx @$heapsearch(${describePattern(pattern)}, ${bytes})`;
  context.print((hits === 0 ? "no match\n" : text) + limit.note("matches", query));
  return new LazyCollection(() => allHits(walked, needle), `${hits} matches`);
});

function* allHits(walked: WalkedHeap[], needle: Uint8Array): Generator<PatternHitModel> {
  for (let i = 0; i < walked.length; i++) {
    for (const hit of searchPattern(walked[i].ref.view.memory, walked[i].walk, needle)) {
      yield new PatternHitModel(BlockModel.of(walked[i].model, walked[i].walk, hit.row), hit.location);
    }
  }
}

/** A pattern as the user can type it again. */
function describePattern(pattern: unknown): string {
  return typeof pattern === "number" ? `0x${hex(pattern)}` : `0x${(pattern as host.Int64).toString(16)}`;
}

/** !heapcheck [heap] — !heap -v's idea: every cross-check on every heap (or one), and their findings. */
export const heapcheck = command("heapcheck", 1, (heap?: unknown): HeapCheckModel[] => {
  const address = optional("heapcheck", "a heap address (0 or nothing for all heaps)", heap, 0);
  const context = new CommandContext();
  const chosen = address === 0 ? context.allHeaps() : [context.use(context.heapAt("heapcheck", address).ref)];
  const limit = new RowLimit(MAX_PRINTED_FINDINGS);
  let text = "";
  const results: HeapCheckModel[] = [];
  for (let i = 0; i < chosen.length; i++) {
    const { ref, walk } = chosen[i];
    const log = new FindingLog();
    if (walk.type === "NT") checkNtHeap(ref.view, walk, log);
    const found = walk.findings.concat(log.list());
    text += `${hexAddress(walk.address, chosen[i].width)} ${walk.type} heap: ${found.length === 0 ? "no problem found" : `${found.length} finding${found.length === 1 ? "" : "s"}`}\n`;
    for (let f = 0; f < found.length; f++) if (limit.take()) text += `    ${found[f].kind}: ${found[f].message}\n`;
    results.push(new HeapCheckModel(walk.address, walk.type, found));
  }
  text += limit.note("findings", `dx @$heapcheck(${address === 0 ? "" : "0x" + hex(address)})`);
  // The walks' own findings are part of the report above; only the heap lists' are added after it.
  context.printWithoutWalkFindings(text);
  return results;
});

/**
 * !heapstack address — !heap -p -a: the heap and block holding the address (any kind), the
 * offset in it, busy or freed, and its allocation stack, or why there is none.
 */
export const heapstack = command("heapstack", 1, (address?: unknown): HeapStackModel | null => {
  const target = required("heapstack", "an address", address);
  const context = new CommandContext();
  const found = context.heaps.locate(target);
  if (!found) {
    context.allHeaps();
    context.print(`address ${hex(target)} is not inside any block of the process's heaps\n`);
    return null;
  }
  const heap = context.use(found.heap);
  const blocks = heap.walk.blocks;
  const stack = context.heaps.traces(found.heap.view).stack(heap.walk, found.row);
  const symbols = context.heaps.symbolizer();
  let text = `    address ${hex(target)} found in\n` + formatBlockRows(heap.walk, [found.row], heap.width);
  text += `    offset 0x${hex(target - blocks.address[found.row])} in the block, ${BLOCK_STATES[blocks.state[found.row]].toLowerCase()}\n`;
  text += "frames" in stack ? formatStackLines(stack.frames, (a) => symbols.name(a), heap.width) : `    no allocation stack (${stack.reason}): ${stack.message}\n`;
  context.print(text);
  return new HeapStackModel(BlockModel.of(heap.model, heap.walk, found.row), target - blocks.address[found.row], stackModel(stack, symbols));
});

/** !heapstacks [heap] [, max] — busy blocks grouped by allocation stack, largest total first (UMDH's view). */
export const heapstacks = command("heapstacks", 2, (heap?: unknown, maxGroups?: unknown): GroupList => {
  const address = optional("heapstacks", "a heap address (0 or nothing for all heaps)", heap, 0);
  const max = optional("heapstacks", "a group count", maxGroups, DEFAULT_MAX_ROWS);
  const context = new CommandContext();
  const chosen = address === 0 ? context.walkedHeaps() : [context.heapAt("heapstacks", address)];
  const groups = stackGroups(context.heaps, chosen.map((h) => h.ref), (ref) => context.model(ref));
  const symbols = context.heaps.symbolizer();
  const limit = new RowLimit(max);
  let text = groups.count() === 0 ? "no busy blocks\n" : "";
  for (let i = 0; i < groups.count(); i++) {
    if (!limit.take()) continue;
    const g = groups.getValueAt(i);
    const stack = g.Stack!;
    const stackText = stack instanceof StackModel ? formatStackLines(stack.addresses(), (a) => symbols.name(a), context.pointerSize) : `no stack (${stack.Reason})`;
    text += formatStackGroup(g.Count, g.TotalBytes, g.Sizes, stackText.replace(/\n$/, ""));
  }
  context.print(text + limit.note("groups", `dx @$heapstacks(${address === 0 ? "0" : "0x" + hex(address)}, ${groups.count()})`));
  return groups;
});

/** !heaptypes [heap] [, max] — busy blocks grouped by C++ type (their vftable), else by size, largest total first. */
export const heaptypes = command("heaptypes", 2, (heap?: unknown, maxGroups?: unknown): GroupList => {
  const address = optional("heaptypes", "a heap address (0 or nothing for all heaps)", heap, 0);
  const max = optional("heaptypes", "a group count", maxGroups, DEFAULT_MAX_ROWS);
  const context = new CommandContext();
  const chosen = address === 0 ? context.walkedHeaps() : [context.heapAt("heaptypes", address)];
  const groups = typeGroups(context.heaps, chosen.map((h) => h.ref), (ref) => context.model(ref));
  const rows: { count: number; bytes: number; key: string }[] = [];
  for (let i = 0; i < Math.min(max, groups.count()); i++) {
    const g = groups.getValueAt(i);
    rows.push({ count: g.Count, bytes: g.TotalBytes, key: g.key() });
  }
  const hidden = groups.count() - rows.length;
  context.print(formatTypeRows(rows) + (hidden > 0 ? `... ${hidden} more groups; use dx @$heaptypes(${address === 0 ? "0" : "0x" + hex(address)}, ${groups.count()}) to query them all\n` : ""));
  return groups;
});
