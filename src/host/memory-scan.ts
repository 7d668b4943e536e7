// Reading long ranges of target memory for scans (pattern search, reference and leak scans):
// the readable runs of a range, in pieces of at most SCAN_CHUNK_BYTES, one piece at a time so a
// scan of gigabytes holds one piece in memory. A range that is unreadable for long (a dump
// without that memory, or a size taken from a corrupted header) is crossed with probes spaced
// twice as far each time, then the first readable page is found by bisection: a hole of any
// size costs a few dozen reads, not one per piece. A readable island smaller than the gap
// between two probes can be missed; only holes of at least a whole piece are crossed this way.
import { Memory, MemoryRun } from "./memory-types";

/** Largest piece read at once: a whole process costs (committed bytes / 1 MiB) reads. */
export const SCAN_CHUNK_BYTES = 1 << 20;
const PAGE = 0x1000;

/**
 * The readable runs of [start, end), in address order. Pieces end on absolute multiples of
 * SCAN_CHUNK_BYTES, so a value aligned to its own width (1, 2, 4 or 8 bytes) never straddles two.
 */
export function* readableRuns(memory: Memory, start: number, end: number): Generator<MemoryRun> {
  let at = start;
  while (at < end) {
    const pieceEnd = Math.min(end, (Math.floor(at / SCAN_CHUNK_BYTES) + 1) * SCAN_CHUNK_BYTES);
    const runs = memory.readRuns(at, pieceEnd - at);
    for (let i = 0; i < runs.length; i++) yield runs[i];
    at = runs.length > 0 ? pieceEnd : nextReadablePage(memory, pieceEnd, end);
  }
}

/** The first readable page at or after `from` (probing by doubling steps, then bisecting), or `end`. */
export function nextReadablePage(memory: Memory, from: number, end: number): number {
  let unreadable = from - 1; // the last address known unreadable
  for (let step = SCAN_CHUNK_BYTES; ; step *= 2) {
    const probe = Math.min(end - 1, from + step);
    if (!readable(memory, probe)) {
      if (probe === end - 1) return end;
      unreadable = probe;
      continue;
    }
    // The first readable page lies in (unreadable, probe]: bisect on page boundaries.
    let low = Math.floor(unreadable / PAGE) + 1;
    let high = Math.floor(probe / PAGE);
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      if (readable(memory, middle * PAGE)) high = middle;
      else low = middle + 1;
    }
    return Math.max(from, low * PAGE);
  }
}

function readable(memory: Memory, address: number): boolean {
  return memory.readPrefix(address, 1).length === 1;
}
