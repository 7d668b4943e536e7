// `!heap -x -v ADDR` (docs/heap-structures.md §3.4): every pointer-sized, pointer-aligned value
// in the process that points into a block (the block itself is found by src/heap/address-index.ts).

import { Memory, MemoryRegion, MemoryRun } from "../host/memory-types";
import { readableRuns } from "../host/memory-scan";
import { Progress } from "../host/progress";

export interface Reference {
  /** Where the pointer is stored. */
  location: number;
  /** The pointer: an address inside the searched range. */
  value: number;
}

const TWO_POW_32 = 4294967296;

/**
 * Every aligned pointer-sized value in the regions' readable memory that lies in
 * [start, endExclusive), in address order, found as the regions are read (nothing is kept).
 */
export function* findReferences(
  memory: Memory,
  regions: MemoryRegion[],
  start: number,
  endExclusive: number,
  pointerSize: 4 | 8,
): Generator<Reference> {
  const found: Reference[] = [];
  let total = 0;
  for (let r = 0; r < regions.length; r++) total += regions[r].size;
  const progress = Progress.start(`searching for pointers into 0x${start.toString(16)}`, total);
  for (let r = 0; r < regions.length; r++) {
    const region = regions[r];
    for (const run of readableRuns(memory, region.base, region.base + region.size)) {
      if (progress) progress.advance(run.bytes.length);
      collectPointersInRange(run, pointerSize, start, endExclusive, found);
      for (let i = 0; i < found.length; i++) yield found[i];
      found.length = 0;
    }
  }
}

/** Offset of the first address ≥ `address` that is a multiple of `alignment`. */
export function alignUpOffset(address: number, alignment: number): number {
  const misalignment = address % alignment;
  return misalignment === 0 ? 0 : alignment - misalignment;
}

function collectPointersInRange(
  run: MemoryRun,
  pointerSize: 4 | 8,
  start: number,
  endExclusive: number,
  out: Reference[],
): void {
  const first = alignUpOffset(run.address, pointerSize);
  const words = alignedWords(run.bytes, first, Math.floor((run.bytes.length - first) / pointerSize) * (pointerSize / 4));
  if (pointerSize === 4) {
    for (let i = 0; i < words.length; i++) {
      const value = words[i];
      if (value >= start && value < endExclusive) out.push({ location: run.address + first + i * 4, value });
    }
    return;
  }
  // x64: the high dword decides most values cheaply before the pair is combined.
  const lowestHigh = Math.floor(start / TWO_POW_32);
  const highestHigh = Math.floor((endExclusive - 1) / TWO_POW_32);
  for (let i = 0; i + 1 < words.length; i += 2) {
    const high = words[i + 1];
    if (high < lowestHigh || high > highestHigh) continue;
    const value = high * TWO_POW_32 + words[i];
    if (value >= start && value < endExclusive) out.push({ location: run.address + first + i * 4, value });
  }
}

/**
 * `count` little-endian dwords from bytes[offset…] (every WinDbg host is little-endian).
 * A view when the buffer offset is 4-aligned, else a copy (a Uint32Array needs alignment).
 */
function alignedWords(bytes: Uint8Array, offset: number, count: number): Uint32Array {
  if (count <= 0) return new Uint32Array(0);
  const byteOffset = bytes.byteOffset + offset;
  if (byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, byteOffset, count);
  return new Uint32Array(bytes.slice(offset, offset + count * 4).buffer);
}
