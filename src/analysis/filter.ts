// `!heap -flt s SIZE` / `-flt r MIN MAX` (docs/heap-structures.md §3.3): busy blocks whose user
// size is in [min, maxExclusive). The documentation's `-flt r 0x50 0x80` shows 0x50..0x7F,
// so MAX is exclusive; `-flt s SIZE` is the range [SIZE, SIZE + 1).

import { HeapWalk, STATE_BUSY } from "../heap/records";

/** Row indices, in table order, of the busy blocks with min ≤ userSize < maxExclusive. */
export function filterBySize(walk: HeapWalk, min: number, maxExclusive: number): number[] {
  const blocks = walk.blocks;
  const rows: number[] = [];
  for (let i = 0; i < blocks.count; i++) {
    if (blocks.state[i] !== STATE_BUSY) continue;
    const userSize = blocks.userSize[i];
    if (userSize >= min && userSize < maxExclusive) rows.push(i);
  }
  return rows;
}
