// Decoding of NT heap entry headers (docs/heap-structures.md §2.2): the 8 header bytes (x64: entry+8,
// x86: entry+0) are XORed with the same bytes of _HEAP.Encoding when _HEAP.EncodeFlagMask is
// set, and SmallTagIndex must equal Size.lo ^ Size.hi ^ Flags.
import { EntryLayout } from "../../layouts/ntheap";

/** One decoded header; a single instance is reused for every block of a walk. */
export interface DecodedEntry {
  /** Size in granules. */
  size: number;
  flags: number;
  /** PreviousSize in granules (for VirtualAlloc headers: the unused byte count, §2.3). */
  previousSize: number;
  unusedBytes: number;
  checksumOk: boolean;
}

// _HEAP_ENTRY.Flags bits (docs/heap-structures.md §1.4).
export const FLAG_BUSY = 0x01;
export const FLAG_EXTRA_PRESENT = 0x02;
export const FLAG_FILL_PATTERN = 0x04;
/** VIRTUAL_ALLOC on a big block; on a segment block it marks "internal" blocks such as LFH UserBlocks (§2.4, §6c.6). */
export const FLAG_INTERNAL = 0x08;
export const FLAG_SETTABLE = 0xe0;

export class EntryDecoder {
  // Each field's offset in the entry and its key byte(s), resolved once: decode runs per block.
  private readonly sizeAt: number;
  private readonly flagsAt: number;
  private readonly tagAt: number;
  private readonly previousAt: number;
  private readonly unusedAt: number;
  private readonly kSize0: number;
  private readonly kSize1: number;
  private readonly kFlags: number;
  private readonly kTag: number;
  private readonly kPrevious0: number;
  private readonly kPrevious1: number;
  private readonly kUnused: number;

  /** key: the 8 core bytes of _HEAP.Encoding, or zeros when the heap does not encode. */
  constructor(readonly layout: EntryLayout, key: Uint8Array) {
    this.sizeAt = layout.size;
    this.flagsAt = layout.flags;
    this.tagAt = layout.smallTagIndex;
    this.previousAt = layout.previousSize;
    this.unusedAt = layout.unusedBytes;
    const k = (offset: number) => key[offset - layout.core];
    this.kSize0 = k(layout.size);
    this.kSize1 = k(layout.size + 1);
    this.kFlags = k(layout.flags);
    this.kTag = k(layout.smallTagIndex);
    this.kPrevious0 = k(layout.previousSize);
    this.kPrevious1 = k(layout.previousSize + 1);
    this.kUnused = k(layout.unusedBytes);
  }

  /** Decodes the entry whose header starts at bytes[at]. */
  decode(bytes: Uint8Array, at: number, out: DecodedEntry): DecodedEntry {
    const s0 = bytes[at + this.sizeAt] ^ this.kSize0;
    const s1 = bytes[at + this.sizeAt + 1] ^ this.kSize1;
    const flags = bytes[at + this.flagsAt] ^ this.kFlags;
    out.size = s0 | (s1 << 8);
    out.flags = flags;
    out.previousSize = (bytes[at + this.previousAt] ^ this.kPrevious0) | ((bytes[at + this.previousAt + 1] ^ this.kPrevious1) << 8);
    out.unusedBytes = bytes[at + this.unusedAt] ^ this.kUnused;
    out.checksumOk = (bytes[at + this.tagAt] ^ this.kTag) === (s0 ^ s1 ^ flags);
    return out;
  }
}

export function newDecodedEntry(): DecodedEntry {
  return { size: 0, flags: 0, previousSize: 0, unusedBytes: 0, checksumOk: false };
}
