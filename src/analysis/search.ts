// `!heap -srch [-b|-w|-d|-q] PATTERN` (docs/heap-structures.md §3.5): where a 1-, 2-, 4- or
// 8-byte value occurs in the heap's busy user data. INFERRED there: only busy user ranges
// [UserPtr, UserPtr + UserSize) are scanned, at offsets aligned to the pattern width.

import { BlockTable, HeapWalk, STATE_BUSY } from "../heap/records";
import { Memory, MemoryRun } from "../host/memory-types";
import { SCAN_CHUNK_BYTES, readableRuns } from "../host/memory-scan";
import { alignUpOffset } from "./find";

export interface PatternHit {
  /** Row of the walk's BlockTable whose user data holds the match. */
  row: number;
  /** Address of the match, a multiple of the pattern width. */
  location: number;
}

/**
 * Blocks are read together, in windows of at most SCAN_CHUNK_BYTES, when the gap between
 * them is at most this: reading a few unused bytes is cheaper than another host call.
 */
const MAX_GAP_IN_WINDOW = 64 * 1024;

/**
 * Hits in address order, found as the heap is read: one window of blocks (at most
 * SCAN_CHUNK_BYTES) is held at a time, so any number of hits costs no memory until kept.
 * `pattern` holds the value little-endian, 1, 2, 4 or 8 bytes wide.
 */
export function* searchPattern(memory: Memory, walk: HeapWalk, pattern: Uint8Array): Generator<PatternHit> {
  const width = pattern.length;
  if (width !== 1 && width !== 2 && width !== 4 && width !== 8) {
    throw new RangeError(`A !heap -srch pattern is 1, 2, 4 or 8 bytes wide, not ${width}`);
  }
  const blocks = walk.blocks;
  const order = busyRowsByUserAddress(blocks, width);
  let first = 0;
  while (first < order.length) {
    const readWindow = windowFrom(blocks, order, first);
    yield* scanWindow(memory, blocks, order, first, readWindow, pattern);
    first = readWindow.last + 1;
  }
}

/** Busy rows whose user data can hold the pattern, sorted by UserPtr (LFH rows sit among backend rows). */
function busyRowsByUserAddress(blocks: BlockTable, width: number): number[] {
  const rows: number[] = [];
  for (let i = 0; i < blocks.count; i++) {
    if (blocks.state[i] === STATE_BUSY && blocks.userSize[i] >= width) rows.push(i);
  }
  const userAddress = blocks.userAddress;
  rows.sort((a, b) => userAddress[a] - userAddress[b]);
  return rows;
}

/** Rows order[first..last] are read together, as [UserPtr of order[first], end). */
interface ReadWindow {
  last: number;
  end: number;
}

function windowFrom(blocks: BlockTable, order: number[], first: number): ReadWindow {
  const windowStart = blocks.userAddress[order[first]];
  let windowEnd = windowStart + blocks.userSize[order[first]];
  let last = first;
  while (last + 1 < order.length) {
    const next = order[last + 1];
    const nextStart = blocks.userAddress[next];
    const nextEnd = nextStart + blocks.userSize[next];
    if (nextStart - windowEnd > MAX_GAP_IN_WINDOW || nextEnd - windowStart > SCAN_CHUNK_BYTES) break;
    if (nextEnd > windowEnd) windowEnd = nextEnd;
    last++;
  }
  return { last, end: windowEnd };
}

/** Runs in address order, and in each run the blocks by UserPtr (busy blocks do not overlap): hits come out in address order. */
function* scanWindow(memory: Memory, blocks: BlockTable, order: number[], first: number, span: ReadWindow, pattern: Uint8Array): Generator<PatternHit> {
  for (const run of readableRuns(memory, blocks.userAddress[order[first]], span.end)) {
    for (let k = first; k <= span.last; k++) yield* scanUserDataInRun(blocks, order[k], run, pattern);
  }
}

function* scanUserDataInRun(blocks: BlockTable, row: number, run: MemoryRun, pattern: Uint8Array): Generator<PatternHit> {
  const width = pattern.length;
  const from = Math.max(blocks.userAddress[row], run.address);
  const to = Math.min(blocks.userAddress[row] + blocks.userSize[row], run.address + run.bytes.length);
  for (let location = from + alignUpOffset(from, width); location + width <= to; location += width) {
    if (matchesAt(run.bytes, location - run.address, pattern)) yield { row, location };
  }
}

function matchesAt(bytes: Uint8Array, offset: number, pattern: Uint8Array): boolean {
  for (let k = 0; k < pattern.length; k++) {
    if (bytes[offset + k] !== pattern[k]) return false;
  }
  return true;
}
