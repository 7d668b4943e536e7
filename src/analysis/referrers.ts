// Who holds a block, from what the leak scan kept (src/analysis/leaks.ts): the first root that
// marked it (a memory location or a thread's register) and every busy block whose user data
// points into it (the block graph's edges). Nothing is read again.
import { LeakScan } from "./leaks";

export type Referrer =
  | { kind: "register"; thread: number; register: string }
  | { kind: "memory"; location: number }
  | { kind: "block"; heap: number; row: number };

/** At most `max` referrers of a heap's row (heap: its position in the scan's walks), roots first. */
export function referrersOf(scan: LeakScan, heap: number, row: number, max: number): Referrer[] {
  const target = scan.firstRow[heap] + row;
  const out: Referrer[] = [];
  const roots = scan.roots;
  for (let i = 0; i < roots.registers.length && out.length < max; i++) {
    if (roots.registers[i].row === target) out.push({ kind: "register", thread: roots.registers[i].thread, register: roots.registers[i].register });
  }
  for (let i = 0; i < roots.count && out.length < max; i++) {
    if (roots.rows[i] === target) out.push({ kind: "memory", location: roots.locations[i] });
  }
  const incoming = incomingOf(scan);
  let previous = -1;
  for (let i = incoming.starts[target]; i < incoming.starts[target + 1] && out.length < max; i++) {
    const from = incoming.from[i];
    // A block that points into the target twice is one referrer; the target itself is none.
    if (from === previous || from === target) continue;
    previous = from;
    let w = 0;
    while (w + 1 < scan.firstRow.length && scan.firstRow[w + 1] <= from) w++;
    out.push({ kind: "block", heap: w, row: from - scan.firstRow[w] });
  }
  return out;
}

/** The graph's edges reversed: for each global row, the global rows of the blocks pointing into it. */
interface Incoming {
  /** The referrers of global row g are from[starts[g]] to from[starts[g + 1]], in row order. */
  starts: Int32Array;
  from: Int32Array;
}

const incomingOfScan = new WeakMap<LeakScan, Incoming>();

/** Made on the first look-up and kept with the scan: one pass over the edges, then each look-up reads its own. */
function incomingOf(scan: LeakScan): Incoming {
  let incoming = incomingOfScan.get(scan);
  if (incoming) return incoming;
  const walks = scan.edgeStarts.length;
  const total = walks > 0 ? scan.firstRow[walks - 1] + scan.edgeStarts[walks - 1].length : 0;
  const starts = new Int32Array(total + 1);
  for (let e = 0; e < scan.edges.length; e++) starts[scan.edges[e] + 1]++;
  for (let g = 0; g < total; g++) starts[g + 1] += starts[g];
  const next = starts.slice(0, total);
  const from = new Int32Array(scan.edges.length);
  for (let w = 0; w < walks; w++) {
    const first = scan.edgeStarts[w];
    const counts = scan.edgeCounts[w];
    for (let r = 0; r < first.length; r++) {
      if (first[r] < 0) continue;
      for (let e = first[r], end = first[r] + counts[r]; e < end; e++) from[next[scan.edges[e]]++] = scan.firstRow[w] + r;
    }
  }
  incoming = { starts, from };
  incomingOfScan.set(scan, incoming);
  return incoming;
}
