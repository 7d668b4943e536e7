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
import { HeapWalk, KIND_LARGE, KIND_VIRTUAL_ALLOC, NONE, STATE_BUSY } from "../heap/records";
import { Memory, MemoryRegion, MemoryRun } from "../host/memory-types";
import { readableRuns } from "../host/memory-scan";
import { writableSections } from "../host/pe";
import { Target, mergeRegions } from "../host/target";
import { busyDataWindows } from "./user-data";
import { pointerIn } from "../stacks/types";

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
  /** Where the scan first found each root-marked block held (src/analysis/referrers.ts reads these). */
  roots: RootHits;
  /** The block graph: per walk, (first edge, edge count) of each row; edges hold global rows. */
  offsets: Int32Array[];
  edges: Int32Array;
  /** Global row of each walk's first row. */
  firstRow: number[];
  /** Per walk scanned, each busy block's first pointer (read with its data; NaN where none), for type names. */
  firstPointers: (Float64Array | undefined)[];
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
    const b = walk.blocks;
    for (let i = 0; i < b.count; i++) {
      if (b.container[i] === NONE && (b.kind[i] === KIND_VIRTUAL_ALLOC || b.kind[i] === KIND_LARGE || b.segment[i] === NONE)) out.push({ base: b.address[i], size: b.size[i] });
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
    let found = index.find(value);
    if (!found) return -1;
    // On x64 a busy block's last 8 bytes of user data may lie in the next block's header
    // (PreviousBlockPrivateData, docs/heap-structures.md §2.2): a value there is the block's before.
    if (value < walks[found.walk].blocks.userAddress[found.row]) found = index.find(walks[found.walk].blocks.address[found.row] - 1);
    if (!found) return -1;
    if (!counted[found.walk]) return -1;
    const b = walks[found.walk].blocks;
    const row = found.row;
    if (b.state[row] !== STATE_BUSY || value < b.userAddress[row] || value >= b.userAddress[row] + b.userSize[row]) return -1;
    return firstRow[found.walk] + row;
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
  const excluded = mergeRegions(extents.concat(stacks, images.map((m) => ({ base: m.base, size: m.size }))));
  const rest = subtract(regions.regions, excluded);
  const roots = mergeRegions(live.concat(sections, rest));
  let rootBytes = 0;
  for (let r = 0; r < roots.length; r++) {
    rootBytes += roots[r].size;
    for (const run of readableRuns(memory, roots[r].base, roots[r].base + roots[r].size)) forEachPointer(run, rootWidth, mark);
  }

  // Every busy block's user data once: the pointers it holds into other busy blocks.
  /** Per walk, (first edge, edge count) of each row. */
  const offsets: Int32Array[] = [];
  const firstPointers: (Float64Array | undefined)[] = [];
  let edges = new Int32Array(1 << 16);
  let edgeCount = 0;
  let heapBytes = 0;
  let problem = regions.problem ? `${regions.problem}: only thread stacks, registers, module sections and heap memory were scanned, so blocks held only from other memory show as unreachable` : undefined;
  for (let w = 0; w < walks.length; w++) {
    const blocks = walks[w].blocks;
    // The first edge of each scanned row, and how many it has.
    const start = new Int32Array(blocks.count).fill(-1);
    const counts = new Int32Array(blocks.count);
    const p = widths[w];
    if (!counted[w]) {
      offsets.push(packOffsets(start, counts));
      firstPointers.push(undefined);
      continue;
    }
    const first = new Float64Array(blocks.count).fill(NaN);
    firstPointers.push(first);
    for (const window of busyDataWindows(memory, walks[w], p, (row) => blocks.userSize[row])) {
      let r = 0;
      for (let k = 0; k < window.rows.length; k++) {
        const row = window.rows[k];
        first[row] = pointerIn(window.runs, blocks.userAddress[row], p);
        start[row] = edgeCount;
        const from = blocks.userAddress[row];
        const to = from + blocks.userSize[row];
        heapBytes += blocks.userSize[row];
        while (r < window.runs.length && window.runs[r].address + window.runs[r].bytes.length <= from) r++;
        for (let q = r; q < window.runs.length && window.runs[q].address < to; q++) {
          forEachPointer(window.runs[q], p, (value) => {
            const g = holder(value);
            if (g < 0 || edgeCount >= MAX_EDGES) return;
            if (edgeCount === edges.length) {
              const grown = new Int32Array(Math.min(MAX_EDGES, edges.length * 2));
              grown.set(edges);
              edges = grown;
            }
            edges[edgeCount++] = g;
            counts[row]++;
          }, from, to);
        }
      }
    }
    offsets.push(packOffsets(start, counts));
  }
  if (edgeCount >= MAX_EDGES) problem = `more than ${MAX_EDGES} pointers between blocks: marking stopped there, so some reachable blocks may show as unreachable`;

  // Marking follows the graph, nothing more is read.
  while (queue.length > 0) {
    const g = queue.pop()!;
    let w = 0;
    while (w + 1 < firstRow.length && firstRow[w + 1] <= g) w++;
    const row = g - firstRow[w];
    const range = offsets[w];
    for (let e = range[2 * row]; e < range[2 * row] + range[2 * row + 1]; e++) {
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
    const blocks = walks[w].blocks;
    const out = new Uint8Array(blocks.count);
    for (let row = 0; row < blocks.count && counted[w]; row++) {
      if (blocks.state[row] !== STATE_BUSY) continue;
      busyCount++;
      if (!marked[firstRow[w] + row]) {
        out[row] = 1;
        unreachableCount++;
        unreachableBytes += blocks.userSize[row];
      }
    }
    unreachable.push(out);
  }
  return { unreachable, unreachableCount, unreachableBytes, busyCount, rootBytes, heapBytes, problem, roots: hits, offsets, edges: edges.subarray(0, edgeCount), firstRow, firstPointers };
}

/** (first edge, edge count) per row, interleaved; rows never scanned have none. */
function packOffsets(start: Int32Array, counts: Int32Array): Int32Array {
  const out = new Int32Array(2 * counts.length);
  for (let row = 0; row < counts.length; row++) {
    out[2 * row] = start[row] < 0 ? 0 : start[row];
    out[2 * row + 1] = counts[row];
  }
  return out;
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

/**
 * How values are read as pointers: 4 or 8-byte aligned words, or, in a WOW64 process's memory
 * that is neither side's alone, both: every aligned 4-byte word (32-bit pointers, and 64-bit ones
 * below 4 GiB by their low half) and every aligned 8-byte word with a high half.
 */
export type PointerWidth = 4 | 8 | "both";

/** Every pointer-aligned, pointer-sized value of the run (within [from, to) when given). */
function forEachPointer(run: MemoryRun, width: PointerWidth, visit: (value: number, location: number) => void, from = run.address, to = run.address + run.bytes.length): void {
  const bytes = run.bytes;
  const step = width === 8 ? 8 : 4;
  let at = Math.max(from, run.address);
  at += (step - (at % step)) % step;
  const end = Math.min(to, run.address + bytes.length);
  for (; at + step <= end; at += step) {
    const o = at - run.address;
    const low = (bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16)) + bytes[o + 3] * 0x1000000;
    if (width === 4) {
      visit(low, at);
      continue;
    }
    if (width === "both") {
      visit(low, at);
      if (at % 8 !== 0 || at + 8 > end) continue;
    }
    const high = (bytes[o + 4] | (bytes[o + 5] << 8) | (bytes[o + 6] << 16)) + bytes[o + 7] * 0x1000000;
    if (width === 8 ? high <= 0x1fffff : high > 0 && high <= 0x1fffff) visit(high * TWO_32 + low, at);
  }
}
