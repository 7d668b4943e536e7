// `!heap -srch [-b|-w|-d|-q] PATTERN` (docs/heap-structures.md §3.5): where a 1-, 2-, 4- or
// 8-byte value occurs in the heap's busy user data. INFERRED there: only busy user ranges
// [UserPtr, UserPtr + UserSize) are scanned, at offsets aligned to the pattern width.

import { BlockTable, HeapWalk, STATE_BUSY } from "../heap/records";
import { Memory, MemoryRun } from "../host/memory-types";
import { Progress } from "../host/progress";
import { alignUpOffset } from "./find";
import { busyDataWindows } from "./user-data";

export interface PatternHit {
  /** Row of the walk's BlockTable whose user data holds the match. */
  row: number;
  /** Address of the match, a multiple of the pattern width. */
  location: number;
}

/**
 * Hits in address order, found as the heap is read: one window of blocks (at most
 * SCAN_CHUNK_BYTES) is held at a time, so any number of hits costs no memory until kept.
 * `pattern` holds the value little-endian, 1, 2, 4 or 8 bytes wide. Runs come in address order
 * and, in each, the blocks by UserPtr (busy blocks do not overlap): hits come out in address order.
 */
export function* searchPattern(memory: Memory, walk: HeapWalk, pattern: Uint8Array): Generator<PatternHit> {
  const width = pattern.length;
  if (width !== 1 && width !== 2 && width !== 4 && width !== 8) {
    throw new RangeError(`A !heap -srch pattern is 1, 2, 4 or 8 bytes wide, not ${width}`);
  }
  const blocks = walk.blocks;
  let total = 0;
  for (let i = 0; i < blocks.count; i++) if (blocks.state[i] === STATE_BUSY && blocks.userSize[i] >= width) total += blocks.userSize[i];
  const progress = Progress.start(`!heapsearch in heap 0x${walk.address.toString(16)}`, total);
  for (const window of busyDataWindows(memory, walk, width, (row) => blocks.userSize[row])) {
    if (progress) for (let r = 0; r < window.runs.length; r++) progress.advance(window.runs[r].bytes.length);
    for (let r = 0; r < window.runs.length; r++) {
      for (let k = 0; k < window.rows.length; k++) yield* scanUserDataInRun(blocks, window.rows[k], window.runs[r], pattern);
    }
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
