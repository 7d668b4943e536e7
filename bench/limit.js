// The limit, as a script running where dxheap runs: reads the given ranges through
// host.memory.readMemoryValues in the walk's piece size (src/host/memory.ts MAX_READ), each byte
// once, and keeps nothing. Loaded by bench/measure.ts like dist/dxheap.js, so the reads pay what
// dxheap's reads pay in the same host.
"use strict";

const PIECE = 4 * 1024 * 1024;
const TWO_32 = 4294967296;

/** ranges: [base, size, base, size, ...]; returns the bytes read. */
function readAll(ranges) {
  let bytes = 0;
  for (let r = 0; r + 1 < ranges.length; r += 2) {
    const base = ranges[r];
    const size = ranges[r + 1];
    for (let offset = 0; offset < size; offset += PIECE) {
      const at = base + offset;
      bytes += host.memory.readMemoryValues(host.Int64(at % TWO_32, Math.floor(at / TWO_32)), Math.min(PIECE, size - offset), 1, false).length;
    }
  }
  return bytes;
}

/**
 * reads: [address, length, ...], a walk's host reads in its order, each replayed as one call;
 * a read that fails (a probe of unreadable memory) fails here too, as it did in the walk.
 */
function replay(reads) {
  let bytes = 0;
  for (let r = 0; r + 1 < reads.length; r += 2) {
    const at = reads[r];
    try {
      bytes += host.memory.readMemoryValues(host.Int64(at % TWO_32, Math.floor(at / TWO_32)), reads[r + 1], 1, false).length;
    } catch (e) {
      // as the walk's own probe
    }
  }
  return bytes;
}

function initializeScript() {
  return [new host.apiVersionSupport(1, 3), new host.functionAlias(readAll, "readall"), new host.functionAlias(replay, "replay")];
}
