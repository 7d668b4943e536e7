// The ! commands. Each prints what the matching !heap switch prints and returns the same
// result as dx objects, so `!heapfilter 0x400000` reads like `!heap -flt s 400000` and
// `dx @$heapfilter(0x400000).First().UserAddress` goes on from there.
import { filterBySize } from "../analysis/filter";
import { findContainingBlock, findReferences } from "../analysis/find";
import { searchPattern } from "../analysis/search";
import { sizeStatistics, StatGroupBy } from "../analysis/stat";
import { summarizeHeap } from "../analysis/summary";
import { BlockModel } from "../model/block";
import { FoundBlockModel, HeapSummaryModel, PatternHitModel, SizeStatisticsModel } from "../model/results";
import { hex, hexAddress } from "../util/hex";
import { choice, flag, optional, patternBytes, required } from "./args";
import { CommandContext } from "./context";
import { formatBlockRows, formatFoundBlock, formatHeapSummaryTable, formatSearchHits, formatSizeStatistics } from "./format";

const GROUPS: readonly StatGroupBy[] = ["A", "B", "S"];
const DEFAULT_MAX_ROWS = 20;

/** !heaps — !heap -s: one row per NT heap, with the fragmentation lines. */
export function heaps(): HeapSummaryModel[] {
  const context = new CommandContext();
  const nt = context.ntHeaps();
  const summaries = nt.map((h) => summarizeHeap(h.walk));
  let text = formatHeapSummaryTable(summaries, { pointerSize: context.pointerSize, lfhKey: context.target.lfhKey });
  const segmentHeaps = context.heaps.filter((h) => h.Type === "Segment");
  if (segmentHeaps.length > 0) {
    text += "Segment heaps (not walked yet):\n";
    for (let i = 0; i < segmentHeaps.length; i++) {
      const d = segmentHeaps[i].descriptor();
      text += `${hexAddress(d.address, context.pointerSize)} ${hex(d.flags)}\n`;
    }
  }
  context.print(text);
  return summaries.map((s) => new HeapSummaryModel(s));
}

/** !heapstat [heap] [, "A"|"B"|"S"] [, max] — !heap -stat -h: busy blocks grouped by requested size. */
export function heapstat(heap?: unknown, groupBy?: unknown, maxRows?: unknown): SizeStatisticsModel[] {
  const address = optional("heapstat", "a heap address (0 or nothing for all heaps)", heap, 0);
  const group = choice("heapstat", "a grouping", groupBy, GROUPS, "S");
  const max = optional("heapstat", "a row count", maxRows, DEFAULT_MAX_ROWS);
  if (max < 1) throw new Error(`heapstat: expected a row count of at least 1, got ${max}`);
  const context = new CommandContext();
  const chosen = address === 0 ? context.ntHeaps() : [onlyNtHeap(context, address, "heapstat")];
  let text = "";
  const results: SizeStatisticsModel[] = [];
  for (let i = 0; i < chosen.length; i++) {
    const stats = sizeStatistics(chosen[i].walk, group, max);
    text += formatSizeStatistics(chosen[i].walk.heap.address, group, max, stats, context.pointerSize);
    results.push(new SizeStatisticsModel(chosen[i].walk.heap.address, group, stats));
  }
  context.print(text);
  return results;
}

/** !heapfilter size [, maxExclusive] — !heap -flt s / -flt r: busy blocks by requested size, [size, max). */
export function heapfilter(size?: unknown, maxExclusive?: unknown): BlockModel[] {
  const min = required("heapfilter", "a size", size);
  const max = optional("heapfilter", "an exclusive upper bound", maxExclusive, min + 1);
  if (max <= min) throw new Error(`heapfilter: the upper bound 0x${hex(max)} must be above the size 0x${hex(min)} (the range is [size, max))`);
  const context = new CommandContext();
  const nt = context.ntHeaps();
  let text = "";
  const results: BlockModel[] = [];
  for (let i = 0; i < nt.length; i++) {
    const rows = filterBySize(nt[i].walk, min, max);
    text += formatBlockRows(nt[i].walk, rows, context.pointerSize);
    for (let r = 0; r < rows.length; r++) results.push(new BlockModel(nt[i].model, nt[i].walk, rows[r]));
  }
  context.print(text);
  return results;
}

/** !heapfind address [, true] — !heap -x [-v]: the block holding an address, and (true) every pointer into it. */
export function heapfind(address?: unknown, searchReferences?: unknown): FoundBlockModel | null {
  const target = required("heapfind", "an address", address);
  const withReferences = flag("heapfind", "whether to search the process for pointers into the block", searchReferences);
  const context = new CommandContext();
  const nt = context.ntHeaps();
  const location = findContainingBlock(nt.map((h) => h.walk), target);
  if (!location) {
    context.print(`0x${hex(target)} is not inside any block of the process's NT heaps\n`);
    return null;
  }
  const { model, walk } = nt[location.walkIndex];
  const start = walk.blocks.address[location.row];
  const references = withReferences
    ? findReferences(context.target.memory, context.target.regions(), start, start + walk.blocks.size[location.row], context.pointerSize)
    : undefined;
  context.print(formatFoundBlock(walk, location.row, context.pointerSize, references));
  return new FoundBlockModel(new BlockModel(model, walk, location.row), location.offset, references);
}

/** !heapsearch pattern [, width] — !heap -srch: where a 1, 2, 4 or 8-byte value occurs in busy user data. */
export function heapsearch(pattern?: unknown, width?: unknown): PatternHitModel[] {
  if (pattern === undefined) throw new Error("heapsearch: expected a pattern");
  const context = new CommandContext();
  const bytes = optional("heapsearch", "a width (1, 2, 4 or 8)", width, context.pointerSize);
  if (bytes !== 1 && bytes !== 2 && bytes !== 4 && bytes !== 8) throw new Error(`heapsearch: expected a width of 1, 2, 4 or 8, got ${bytes}`);
  const needle = patternBytes("heapsearch", pattern, bytes);
  const nt = context.ntHeaps();
  let text = "";
  const results: PatternHitModel[] = [];
  for (let i = 0; i < nt.length; i++) {
    const hits = searchPattern(context.target.memory, nt[i].walk, needle);
    if (hits.length > 0) text += formatSearchHits(nt[i].walk, hits, context.pointerSize);
    for (let h = 0; h < hits.length; h++) results.push(new PatternHitModel(new BlockModel(nt[i].model, nt[i].walk, hits[h].row), hits[h].location));
  }
  context.print(text || "no match\n");
  return results;
}

function onlyNtHeap(context: CommandContext, address: number, command: string) {
  const model = context.heapAt(address);
  if (model.Type !== "NT") throw new Error(`${command}: heap 0x${hex(address)} is a segment heap, which dxheap does not walk yet`);
  return { model, walk: model.walk() };
}
