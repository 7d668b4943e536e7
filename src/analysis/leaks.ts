// The leak scan: which busy blocks nothing in the process points to any more, !heap -l's idea
// (docs/heap-structures.md §3.6) with its semantics stated, a conservative mark scan:
//  - roots: every thread's live stack (from its stack pointer, or StackLimit without a context, up
//    to StackBase) and its registers; the writable sections of loaded modules (from their PE
//    headers in memory); and every other committed, readable byte that belongs to no heap block,
//    no module image and no dead stack (TEBs, the PEB and TLS vectors, private buffers);
//  - every pointer-sized, pointer-aligned value pointing into a busy block's user data (interior
//    pointers count) marks that block; marks propagate through marked blocks' user data;
//  - what stays unmarked is unreachable.
// Reads are large and sequential: the roots once, then every busy block's user data once, window by
// window, into a compact graph of block-to-block pointers (one Int32 per pointer found); marking
// then walks that graph without reading again. Candidate values are checked against the heaps'
// extents first, then the address index, in O(log n).
import { AddressIndex } from "../heap/address-index";
import { BlockTable, HeapWalk, KIND_LARGE, KIND_VIRTUAL_ALLOC, NONE, STATE_BUSY } from "../heap/records";
import { Memory, MemoryRegion, MemoryRun } from "../host/memory-types";
import { readableRuns } from "../host/memory-scan";
import { Progress } from "../host/progress";
import { writableSections } from "../host/pe";
import { Target, mergeRegions } from "../host/target";
import { DataWindow, busyDataWindows } from "./user-data";
import { pointer } from "../util/bytes";

/** Pointers kept in the graph at most (4 bytes each): beyond, marking stops at what the roots reach. */
const MAX_EDGES = 1 << 26;

export interface LeakScan {
  /** Per walk, 1 for each busy block found unreachable. */
  unreachable: Uint8Array[];
  unreachableCount: number;
  unreachableBytes: number;
  busyCount: number;
  /** Bytes of root memory scanned, and how many roots (live stack ranges, registers, sections, other regions). */
  rootBytes: number;
  /** Bytes of heap user data scanned. */
  heapBytes: number;
  /** What limited the scan (no region list, graph too large), or undefined. */
  problem: string | undefined;
  /** Per walk, the first pointer of each busy block's user data, read on the way (src/stacks/types.ts firstPointers); undefined for walks not scanned. */
  firstPointers: (Float64Array | undefined)[];
  /** Where the scan first found each root-marked block held (src/analysis/referrers.ts reads these). */
  roots: RootHits;
  /** The block graph: per walk, each row's first edge (-1: not scanned) and edge count; edges hold global rows. */
  edgeStarts: Int32Array[];
  edgeCounts: Int32Array[];
  edges: Int32Array;
  /** Global row of each walk's first row. */
  firstRow: number[];
}

/**
 * The first root that marked each block: a memory location, or a thread's register (location NaN).
 * One entry per block marked from the roots, in typed arrays that grow in place.
 */
export class RootHits {
  rows = new Int32Array(1024);
  locations = new Float64Array(1024);
  count = 0;
  readonly registers: { row: number; thread: number; register: string }[] = [];

  add(row: number, location: number): void {
    if (this.count === this.rows.length) {
      const rows = new Int32Array(this.count * 2);
      rows.set(this.rows);
      this.rows = rows;
      const locations = new Float64Array(this.count * 2);
      locations.set(this.locations);
      this.locations = locations;
    }
    this.rows[this.count] = row;
    this.locations[this.count++] = location;
  }
}

/** The top-level extents of the heaps (segments, VirtualAlloc'd and Large blocks), merged, for exclusion and a quick reject. */
function heapExtents(walks: HeapWalk[]): MemoryRegion[] {
  const out: MemoryRegion[] = [];
  for (let w = 0; w < walks.length; w++) {
    const walk = walks[w];
    for (let s = 0; s < walk.segments.length; s++) out.push({ base: walk.segments[s].baseAddress, size: walk.segments[s].lastValidEntry - walk.segments[s].baseAddress });
    if (walk.metadata) for (let m = 0; m < walk.metadata.length; m++) out.push(walk.metadata[m]);
    const { container, kind, segment, address, size, count } = walk.blocks;
    for (let i = 0; i < count; i++) {
      if (container[i] === NONE && (kind[i] === KIND_VIRTUAL_ALLOC || kind[i] === KIND_LARGE || segment[i] === NONE)) out.push({ base: address[i], size: size[i] });
    }
  }
  return mergeRegions(out);
}

/** The regions of `from` minus those of `minus` (both merged and sorted). */
function subtract(from: MemoryRegion[], minus: MemoryRegion[]): MemoryRegion[] {
  const out: MemoryRegion[] = [];
  let m = 0;
  for (let i = 0; i < from.length; i++) {
    let start = from[i].base;
    const end = from[i].base + from[i].size;
    while (m < minus.length && minus[m].base + minus[m].size <= start) m++;
    for (let k = m; k < minus.length && minus[k].base < end; k++) {
      if (minus[k].base > start) out.push({ base: start, size: minus[k].base - start });
      start = Math.max(start, minus[k].base + minus[k].size);
    }
    if (start < end) out.push({ base: start, size: end - start });
  }
  return out;
}

/** The parts of `a` inside `b` (both merged and sorted). */
function intersect(a: MemoryRegion[], b: MemoryRegion[]): MemoryRegion[] {
  const out: MemoryRegion[] = [];
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const start = a[i].base;
    const end = a[i].base + a[i].size;
    while (m < b.length && b[m].base + b[m].size <= start) m++;
    for (let k = m; k < b.length && b[k].base < end; k++) {
      const from = Math.max(start, b[k].base);
      const to = Math.min(end, b[k].base + b[k].size);
      if (from < to) out.push({ base: from, size: to - from });
    }
  }
  return out;
}

/**
 * `widths` gives each walk's pointer size (its ntdll's); roots are read with the program's, or
 * with both in a WOW64 process, whose roots hold 32-bit and 64-bit pointers. Walks not `counted`
 * (a page heap's NormalHeap, whose blocks the page heap lists) are neither scanned nor reported.
 */
export function scanLeaks(target: Target, memory: Memory, walks: HeapWalk[], widths: (4 | 8)[], counted: boolean[], index: AddressIndex): LeakScan {
  const rootWidth: PointerWidth = target.isWow64 ? "both" : target.views[0].layout.pointerSize;
  const extents = heapExtents(walks);
  const firstRow: number[] = [];
  let total = 0;
  for (let w = 0; w < walks.length; w++) {
    firstRow.push(total);
    total += walks[w].blocks.count;
  }
  const marked = new Uint8Array(total);
  const queue: number[] = [];
  /** The busy block whose user data holds `value`, as a global row, or -1. */
  const holder = (value: number): number => {
    if (!inExtents(extents, value)) return -1;
    let row = index.findRow(value);
    if (row < 0) return -1;
    // On x64 a busy block's last 8 bytes of user data may lie in the next block's header
    // (PreviousBlockPrivateData, docs/heap-structures.md §2.2): a value there is the block's before.
    if (value < walks[index.foundWalk].blocks.userAddress[row]) row = index.findRow(walks[index.foundWalk].blocks.address[row] - 1);
    if (row < 0 || !counted[index.foundWalk]) return -1;
    const b = walks[index.foundWalk].blocks;
    if (b.state[row] !== STATE_BUSY || value < b.userAddress[row] || value >= b.userAddress[row] + b.userSize[row]) return -1;
    return firstRow[index.foundWalk] + row;
  };
  const hits = new RootHits();
  /** Marks the block `value` points into, from a root at `location` (NaN: a register, recorded by the caller). */
  const mark = (value: number, location: number): number => {
    const g = holder(value);
    if (g >= 0 && !marked[g]) {
      marked[g] = 1;
      queue.push(g);
      if (location === location) hits.add(g, location);
      return g;
    }
    return -1;
  };

  // Roots.
  const threads = target.threads();
  const stacks: MemoryRegion[] = [];
  const live: MemoryRegion[] = [];
  for (let t = 0; t < threads.length; t++) {
    const th = threads[t];
    for (const s of th.stacks) {
      if (!(s.limit < s.base)) continue;
      stacks.push({ base: s.limit, size: s.base - s.limit });
      const sp = s.pointer !== undefined && s.pointer >= s.limit && s.pointer < s.base ? s.pointer : s.limit;
      live.push({ base: sp, size: s.base - sp });
    }
    for (const name in th.registers) {
      const g = mark(th.registers[name], NaN);
      if (g >= 0) hits.registers.push({ row: g, thread: t, register: name });
    }
  }
  const images = target.modules();
  const sections: MemoryRegion[] = [];
  for (let i = 0; i < images.length; i++) {
    const found = writableSections(memory, images[i].base, images[i].size);
    for (let k = 0; k < found.length; k++) sections.push(found[k]);
  }
  const regions = target.regions();
  const imageRegions = images.map((m) => ({ base: m.base, size: m.size }));
  // A stack holds no heap and no module image, and only committed memory is read: bounds taken
  // from a damaged TEB (gigabytes across every heap and hole) shrink to what a stack can be.
  const notStack = mergeRegions(extents.concat(imageRegions));
  const clip = (r: MemoryRegion[]) => subtract(regions.problem ? mergeRegions(r) : intersect(mergeRegions(r), regions.regions), notStack);
  const excluded = mergeRegions(extents.concat(clip(stacks), imageRegions));
  const rest = subtract(regions.regions, excluded);
  const roots = mergeRegions(clip(live).concat(sections, rest));
  const low = extents.length > 0 ? extents[0].base : 0;
  const high = extents.length > 0 ? extents[extents.length - 1].base + extents[extents.length - 1].size : 0;
  let rootBytes = 0;
  let busyBytes = 0;
  for (let r = 0; r < roots.length; r++) rootBytes += roots[r].size;
  // Passes over every row keep the columns and bounds in locals: they run once per command, much
  // of it before the JIT has optimized them, where each property look-up costs.
  for (let w = 0; w < walks.length; w++) {
    if (!counted[w]) continue;
    const { state, userSize, count } = walks[w].blocks;
    const minimum = widths[w];
    for (let i = 0; i < count; i++) if (state[i] === STATE_BUSY && userSize[i] >= minimum) busyBytes += userSize[i];
  }
  /** Per walk, the first edge of each row (-1 for rows not scanned) and how many it has. */
  const starts: Int32Array[] = [];
  const edgeCounts: Int32Array[] = [];
  const graph = new Edges(holder);
  let heapBytes = 0;
  let problem = regions.problem ? `${regions.problem}: only thread stacks, registers, module sections and heap memory were scanned, so blocks held only from other memory show as unreachable` : undefined;
  const firstPointers: (Float64Array | undefined)[] = [];
  Progress.around(memory, "leak scan", rootBytes + busyBytes, () => {
    for (let r = 0; r < roots.length; r++) {
      for (const run of readableRuns(memory, roots[r].base, roots[r].base + roots[r].size)) forEachPointer(run, rootWidth, low, high, mark);
    }
    // Every busy block's user data once: the pointers it holds into other busy blocks.
    for (let w = 0; w < walks.length; w++) {
      const blocks = walks[w].blocks;
      // The first edge of each scanned row, and how many it has.
      const start = new Int32Array(blocks.count).fill(-1);
      const counts = new Int32Array(blocks.count);
      starts.push(start);
      edgeCounts.push(counts);
      if (!counted[w]) {
        firstPointers.push(undefined);
        continue;
      }
      const firsts = new Float64Array(blocks.count).fill(NaN);
      firstPointers.push(firsts);
      const p = widths[w];
      for (const window of busyDataWindows(memory, walks[w], p, (r) => blocks.userSize[r])) {
        heapBytes += scanWindow(window, blocks, p, low, high, graph, start, counts, firsts);
      }
    }
  });
  const edges = graph.edges;
  const edgeCount = graph.count;
  if (edgeCount >= MAX_EDGES) problem = `more than ${MAX_EDGES} pointers between blocks: marking stopped there, so some reachable blocks may show as unreachable`;

  // Marking follows the graph, nothing more is read.
  while (queue.length > 0) {
    const g = queue.pop()!;
    let w = 0;
    while (w + 1 < firstRow.length && firstRow[w + 1] <= g) w++;
    const row = g - firstRow[w];
    const first = starts[w][row];
    for (let e = first, end = first + edgeCounts[w][row]; e < end; e++) {
      const to = edges[e];
      if (!marked[to]) {
        marked[to] = 1;
        queue.push(to);
      }
    }
  }

  const unreachable: Uint8Array[] = [];
  let unreachableCount = 0;
  let unreachableBytes = 0;
  let busyCount = 0;
  for (let w = 0; w < walks.length; w++) {
    const { state, userSize, count } = walks[w].blocks;
    const out = new Uint8Array(count);
    unreachable.push(out);
    if (!counted[w]) continue;
    const first = firstRow[w];
    for (let row = 0; row < count; row++) {
      if (state[row] !== STATE_BUSY) continue;
      busyCount++;
      if (!marked[first + row]) {
        out[row] = 1;
        unreachableCount++;
        unreachableBytes += userSize[row];
      }
    }
  }
  return {
    unreachable, unreachableCount, unreachableBytes, busyCount, rootBytes, heapBytes, problem, firstPointers,
    roots: hits, edgeStarts: starts, edgeCounts, edges: edges.subarray(0, edgeCount), firstRow,
  };
}

/** The graph's edges: the global row of the block each pointer found points into. */
class Edges {
  edges = new Int32Array(1 << 16);
  count = 0;

  constructor(private readonly holder: (value: number) => number) {}

  /** Adds the block holding `value`, if any, while the graph has room. */
  add(value: number): void {
    const g = this.holder(value);
    if (g < 0 || this.count >= MAX_EDGES) return;
    if (this.count === this.edges.length) {
      const grown = new Int32Array(Math.min(MAX_EDGES, this.edges.length * 2));
      grown.set(this.edges);
      this.edges = grown;
    }
    this.edges[this.count++] = g;
  }
}

/**
 * The user data of a window's rows: each pointer into a busy block becomes an edge of the row,
 * each row's first pointer is kept. One loop for all the rows of a window (blocks are many and
 * small), over 32-bit words in place; returns the bytes scanned.
 */
function scanWindow(window: DataWindow, blocks: BlockTable, p: 4 | 8, low: number, high: number, graph: Edges,
  start: Int32Array, counts: Int32Array, firsts: Float64Array): number {
  const runs = window.runs;
  const rows = window.rows;
  const span = spanOf(low, high);
  const add = (value: number) => graph.add(value);
  let bytes = 0;
  let r = 0;
  let words = runs.length > 0 ? wordsOf(runs[0]) : undefined;
  // The run's address modulo the pointer size, once per run: a row's alignment then comes from its
  // small offset in the run, with no floating-point remainder of a 47-bit address per row.
  let baseRemainder = runs.length > 0 ? runs[0].address % p : 0;
  for (let k = 0; k < rows.length; k++) {
    const row = rows[k];
    start[row] = graph.count;
    const before = graph.count;
    const from = blocks.userAddress[row];
    const size = blocks.userSize[row];
    const to = from + size;
    bytes += size;
    while (r < runs.length && runs[r].address + runs[r].bytes.length <= from) {
      words = ++r < runs.length ? wordsOf(runs[r]) : undefined;
      if (r < runs.length) baseRemainder = runs[r].address % p;
    }
    if (r === runs.length) continue;
    const run = runs[r];
    const base = run.address;
    if (words === undefined || from < base || to > base + 4 * words.length || ((from - base + baseRemainder) & (p - 1)) !== 0) {
      // Rare: a row across runs, an unaligned buffer or block (the general path).
      if (base <= from && from + p <= base + run.bytes.length) firsts[row] = pointer(run.bytes, from - base, p);
      for (let q = r; q < runs.length && runs[q].address < to; q++) forEachPointer(runs[q], p, low, high, add, from, to);
      counts[row] = graph.count - before;
      continue;
    }
    // The row lies in the run: int32 math, and no global (Math, Infinity) is looked up per row.
    const i = (from - base) >> 2;
    const stop = i + ((size - (size % p)) >> 2);
    if (i < stop) firsts[row] = p === 4 ? words[i] : words[i + 1] > 0x1fffff ? INFINITE : words[i + 1] * TWO_32 + words[i];
    scanWords(words, i, stop, p, span, add);
    counts[row] = graph.count - before;
  }
  return bytes;
}

function inExtents(extents: MemoryRegion[], value: number): boolean {
  let low = 0;
  let high = extents.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const e = extents[middle];
    if (value < e.base) high = middle - 1;
    else if (value >= e.base + e.size) low = middle + 1;
    else return true;
  }
  return false;
}

const TWO_32 = 4294967296;
const INFINITE = 1 / 0;

/**
 * How values are read as pointers: 4 or 8-byte aligned words, or, in a WOW64 process's memory
 * that is neither side's alone, both: every aligned 4-byte word (32-bit pointers, and 64-bit ones
 * below 4 GiB by their low half) and every aligned 8-byte word with a high half.
 */
export type PointerWidth = 4 | 8 | "both";

/** The heaps' span [low, high), and the high halves of its first and last address (x64). */
interface Span {
  low: number;
  high: number;
  topLow: number;
  topHigh: number;
}

function spanOf(low: number, high: number): Span {
  return { low, high, topLow: Math.floor(low / TWO_32), topHigh: Math.min(Math.floor((high - 1) / TWO_32), 0x1fffff) };
}

/**
 * The p-byte values of words[i..stop) (in 32-bit words, a whole number of values) that lie in the
 * span: visit(value, index of its first word). A scan looks at every word of gigabytes and most
 * are no heap address: on x64 the high half turns them away before a double is made, and only
 * exact doubles (high half at most 0x1FFFFF) are made.
 */
function scanWords(words: Uint32Array, i: number, stop: number, p: 4 | 8, span: Span, visit: (value: number, word: number) => void): void {
  const { low, high, topLow, topHigh } = span;
  if (p === 4) {
    for (; i < stop; i++) {
      const value = words[i];
      if (value >= low && value < high) visit(value, i);
    }
    return;
  }
  for (; i < stop; i += 2) {
    const top = words[i + 1];
    if (top < topLow || top > topHigh) continue;
    const value = top * TWO_32 + words[i];
    if (value >= low && value < high) visit(value, i);
  }
}

/** The run's bytes as 32-bit words in place, when its address and buffer allow it (a read's own buffer always does). */
function wordsOf(run: MemoryRun): Uint32Array | undefined {
  const bytes = run.bytes;
  if (run.address % 4 !== 0 || bytes.byteOffset % 4 !== 0) return undefined;
  return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
}

/**
 * Every pointer-aligned, pointer-sized value of the run (within [from, to) when given) that lies
 * in [low, high), the heaps' span: a scan looks at every word of gigabytes, and most words are no
 * heap address, so they are turned away with two comparisons (x64: on the high half first).
 */
function forEachPointer(run: MemoryRun, width: PointerWidth, low: number, high: number, visit: (value: number, location: number) => void, from = run.address, to = run.address + run.bytes.length): void {
  const bytes = run.bytes;
  const step = width === 8 ? 8 : 4;
  let at = Math.max(from, run.address);
  at += (step - (at % step)) % step;
  const end = Math.min(to, run.address + bytes.length);
  if (at + step > end) return;
  const words = width === "both" ? undefined : wordsOf(run);
  if (words !== undefined) {
    // In place as 32-bit words (a read's own buffer is aligned): the roots, and big blocks that
    // cross reads.
    const i = (at - run.address) / 4;
    scanWords(words, i, i + Math.floor((end - at) / step) * (step / 4), step, spanOf(low, high), (value, word) => visit(value, run.address + 4 * word));
    return;
  }
  for (; at + step <= end; at += step) {
    const o = at - run.address;
    const word = (bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16)) + bytes[o + 3] * 0x1000000;
    if (width === 4) {
      if (word >= low && word < high) visit(word, at);
      continue;
    }
    if (width === "both") {
      if (word >= low && word < high) visit(word, at);
      if (at % 8 !== 0 || at + 8 > end) continue;
    }
    const top = (bytes[o + 4] | (bytes[o + 5] << 8) | (bytes[o + 6] << 16)) + bytes[o + 7] * 0x1000000;
    const value = top * TWO_32 + word;
    if ((width === 8 || top > 0) && top <= 0x1fffff && value >= low && value < high) visit(value, at);
  }
}
