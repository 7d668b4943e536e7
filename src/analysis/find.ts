// `!heap -x -v ADDR` (docs/heap-structures.md §3.4): every pointer-sized, pointer-aligned value
// in the process that points into a block (the block itself is found by src/heap/address-index.ts).

import { Memory, MemoryRegion, MemoryRun } from "../host/memory-types";

export interface Reference {
  /** Where the pointer is stored. */
  location: number;
  /** The pointer: an address inside the searched range. */
  value: number;
}

/** Largest single read: a whole process costs (committed bytes / 1 MiB) reads. */
export const SCAN_CHUNK_BYTES = 1 << 20;

const TWO_POW_32 = 4294967296;

/**
 * Every aligned pointer-sized value in the regions' readable memory that lies in
 * [start, endExclusive). Unreadable parts of a region are skipped (readRuns is soft).
 */
export function findReferences(
  memory: Memory,
  regions: MemoryRegion[],
  start: number,
  endExclusive: number,
  pointerSize: 4 | 8,
): Reference[] {
  const references: Reference[] = [];
  for (let r = 0; r < regions.length; r++) {
    const region = regions[r];
    forEachReadableRun(memory, region.base, region.base + region.size, (run) => {
      collectPointersInRange(run, pointerSize, start, endExclusive, references);
    });
  }
  return references;
}

/**
 * Reads [start, endExclusive) in pieces of at most SCAN_CHUNK_BYTES and hands each readable
 * run to `visit`. Pieces end on absolute multiples of SCAN_CHUNK_BYTES, so a value aligned
 * to its own width (1, 2, 4 or 8 bytes) never straddles two pieces.
 */
export function forEachReadableRun(
  memory: Memory,
  start: number,
  endExclusive: number,
  visit: (run: MemoryRun) => void,
): void {
  let pieceStart = start;
  while (pieceStart < endExclusive) {
    const pieceEnd = Math.min(endExclusive, (Math.floor(pieceStart / SCAN_CHUNK_BYTES) + 1) * SCAN_CHUNK_BYTES);
    const runs = memory.readRuns(pieceStart, pieceEnd - pieceStart);
    for (let i = 0; i < runs.length; i++) visit(runs[i]);
    pieceStart = pieceEnd;
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
