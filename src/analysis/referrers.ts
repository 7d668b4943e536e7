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
  for (let w = 0; w < scan.edgeStarts.length && out.length < max; w++) {
    const starts = scan.edgeStarts[w];
    const counts = scan.edgeCounts[w];
    for (let r = 0; r < starts.length && out.length < max; r++) {
      if (starts[r] < 0 || (w === heap && r === row)) continue;
      for (let e = starts[r], end = starts[r] + counts[r]; e < end; e++) {
        if (scan.edges[e] === target) {
          out.push({ kind: "block", heap: w, row: r });
          break;
        }
      }
    }
  }
  return out;
}
