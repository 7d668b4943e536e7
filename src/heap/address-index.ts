// Which block holds an address, over every walked heap of a process, in O(log n): the blocks that
// no other block contains, sorted by address, and inside a container (an LFH UserBlocks) its own
// blocks, which follow it in the walk's table in address order. Built once per process walk;
// !heapfind, the reference scan and the leak scan all ask it.
import { HeapWalk, NONE } from "./records";
import { orderByKey } from "../util/order";
import { AscendingLookup } from "../util/lookup";

export interface BlockLocation {
  /** Index into the walks the index was built from. */
  walk: number;
  /** Row of that walk's BlockTable. */
  row: number;
}

/** Overlapping blocks (only in corrupted heaps) are looked at this far back, no further. */
const MAX_OVERLAP_STEPS = 64;

export class AddressIndex {
  private readonly starts: Float64Array;
  private readonly lookup: AscendingLookup;
  /** Largest end of the blocks up to each position: how far back an address may still be held. */
  private readonly reach: Float64Array;
  private readonly walkOf: Int32Array;
  private readonly rowOf: Int32Array;

  constructor(private readonly walks: HeapWalk[]) {
    let rows = 0;
    for (let w = 0; w < walks.length; w++) rows += walks[w].blocks.count;
    // Sized for every row, filled with those no other block holds (one pass), then cut to them.
    let starts = new Float64Array(rows);
    const walkOf = new Int32Array(rows);
    const rowOf = new Int32Array(rows);
    // At one start, a page heap's light block (a row of the page heap's walk) sorts after the
    // NormalHeap block holding it, so the lookup, which scans back from the last start, finds it first.
    const late = new Uint8Array(rows);
    let n = 0;
    for (let w = 0; w < walks.length; w++) {
      // Columns in locals: this pass runs once, mostly before the JIT has optimized it.
      const { container, address, count } = walks[w].blocks;
      const pageHeap = walks[w].type === "PageHeap" ? 1 : 0;
      for (let i = 0; i < count; i++) {
        if (container[i] !== NONE) continue;
        starts[n] = address[i];
        walkOf[n] = w;
        rowOf[n] = i;
        late[n] = pageHeap;
        n++;
      }
    }
    const total = n;
    starts = starts.subarray(0, total);
    const order = orderByKey(starts, late);
    const sorted = new Float64Array(total);
    const walkOfSorted = new Int32Array(total);
    const rowOfSorted = new Int32Array(total);
    for (let i = 0; i < total; i++) {
      const o = order[i];
      sorted[i] = starts[o];
      walkOfSorted[i] = walkOf[o];
      rowOfSorted[i] = rowOf[o];
    }
    const sizes = walks.map((walk) => walk.blocks.size);
    const reachOf = new Float64Array(total);
    let reach = 0;
    for (let i = 0; i < total; i++) {
      const end = sorted[i] + sizes[walkOfSorted[i]][rowOfSorted[i]];
      if (end > reach) reach = end;
      reachOf[i] = reach;
    }
    this.starts = sorted;
    this.walkOf = walkOfSorted;
    this.rowOf = rowOfSorted;
    this.reach = reachOf;
    this.lookup = new AscendingLookup(sorted);
  }

  get size(): number {
    return this.starts.length;
  }

  /** The innermost block whose [address, address + size) holds `address`. */
  find(address: number): BlockLocation | undefined {
    const row = this.findRow(address);
    return row < 0 ? undefined : { walk: this.foundWalk, row };
  }

  /** The walk of the row findRow found last. */
  foundWalk = -1;

  /** find() without an object (the leak scan asks once per pointer): the row, its walk in foundWalk; -1 when none. */
  findRow(address: number): number {
    let i = this.lookup.lastAtOrBelow(address);
    for (let steps = 0; i >= 0 && steps < MAX_OVERLAP_STEPS && this.reach[i] > address; i--, steps++) {
      const w = this.walkOf[i];
      const row = this.rowOf[i];
      const blocks = this.walks[w].blocks;
      if (address < blocks.address[row] + blocks.size[row]) {
        this.foundWalk = w;
        return this.innermost(w, row, address);
      }
    }
    return -1;
  }

  /** A container's own blocks follow it in its table (in address order): the one holding address, else the container. */
  private innermost(w: number, container: number, address: number): number {
    const b = this.walks[w].blocks;
    // An LFH UserBlocks' blocks share one size and follow each other: the row is computed, then
    // checked (the leak scan asks once per pointer found, millions of times).
    const first = container + 1;
    if (first < b.count && b.container[first] === container && address >= b.address[first]) {
      const guess = first + Math.floor((address - b.address[first]) / b.size[first]);
      if (guess < b.count && b.container[guess] === container && b.address[guess] <= address && address < b.address[guess] + b.size[guess]) return guess;
    }
    // Otherwise, where its blocks end, by doubling steps then bisection: a UserBlocks may hold thousands.
    let low = container + 1;
    let high = low;
    for (let step = 1; high < b.count && b.container[high] === container; step *= 2) {
      low = high + 1;
      high = low + step;
    }
    if (high > b.count) high = b.count;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (b.container[mid] === container) low = mid + 1;
      else high = mid;
    }
    // Binary search in rows [container + 1, low) for the last block starting at or below address.
    let found = -1;
    let lo = container + 1;
    let hi = low - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (b.address[mid] <= address) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found >= 0 && address < b.address[found] + b.size[found] ? found : container;
  }
}
