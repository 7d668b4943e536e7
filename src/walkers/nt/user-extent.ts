// Where a busy block's user data starts and how many bytes were asked for, from its
// UnusedBytes (docs/heap-structures.md §2.2), for back-end and LFH blocks alike:
//   0x40 set: an extended entry (0x3F bits: its distance in granules) holds the count in
//             UnusedBytesLength, and the user data follows it (+ust headers, §2.7);
//   0x3F:     the count is stored after the block, in the next header's first pointer
//             (x64 [DECOMP]; on x86 UNVERIFIED, read the same way);
//   else:     UnusedBytes is the count.
import { NtHeapLayout } from "../../layouts/ntheap";
import { pointer, u16 } from "../../util/bytes";
import { MemoryWindow } from "../window";

const UNUSED_EXTENDED = 0x40;
const UNUSED_STORED_AFTER = 0x3f;

/** The user extent of one block; a single instance is reused for every block of a walk. */
export interface UserExtent {
  userAddress: number;
  userSize: number;
}

/**
 * Sets out.userAddress and out.userSize of the block at `entry` of `size` bytes. `unused` is
 * UnusedBytes without the LFH marker (0x80). False, with userSize 0, when the count cannot be
 * read or does not fit the block.
 */
export function decodeUserExtent(window: MemoryWindow, layout: NtHeapLayout, entry: number, size: number, unused: number, out: UserExtent): boolean {
  const granularity = layout.entry.granularity;
  out.userAddress = entry + granularity;
  out.userSize = 0;
  let count: number;
  let userAddress = entry + granularity;
  if ((unused & UNUSED_EXTENDED) !== 0) {
    const extended = entry + (unused & 0x3f) * granularity;
    if (!(extended > entry && extended + granularity <= entry + size && window.ensure(extended, granularity))) return false;
    count = u16(window.bytes, extended - window.base + layout.entry.unusedBytesLength);
    userAddress = extended + granularity;
  } else if (unused === UNUSED_STORED_AFTER) {
    if (!window.ensure(entry + size, layout.pointerSize)) return false;
    count = pointer(window.bytes, entry + size - window.base, layout.pointerSize);
  } else {
    count = unused;
  }
  // The user data ends inside the block, or (x64) at most in the next header's first 8 bytes,
  // which a busy block may use (§2.2: PreviousBlockPrivateData).
  const spill = layout.pointerSize === 8 ? granularity / 2 : 0;
  if (count > size || userAddress + (size - count) > entry + size + spill) return false;
  out.userAddress = userAddress;
  out.userSize = size - count;
  return true;
}
