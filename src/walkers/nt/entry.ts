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
  private readonly size: number;
  private readonly flags: number;
  private readonly tag: number;
  private readonly previous: number;
  private readonly unused: number;

  /** key: the 8 core bytes of _HEAP.Encoding, or zeros when the heap does not encode. */
  constructor(readonly layout: EntryLayout, private readonly key: Uint8Array) {
    this.size = layout.size - layout.core;
    this.flags = layout.flags - layout.core;
    this.tag = layout.smallTagIndex - layout.core;
    this.previous = layout.previousSize - layout.core;
    this.unused = layout.unusedBytes - layout.core;
  }

  /** Decodes the entry whose header starts at bytes[at]. */
  decode(bytes: Uint8Array, at: number, out: DecodedEntry): DecodedEntry {
    const core = at + this.layout.core;
    const k = this.key;
    const s0 = bytes[core + this.size] ^ k[this.size];
    const s1 = bytes[core + this.size + 1] ^ k[this.size + 1];
    const flags = bytes[core + this.flags] ^ k[this.flags];
    out.size = s0 | (s1 << 8);
    out.flags = flags;
    out.previousSize = (bytes[core + this.previous] ^ k[this.previous]) | ((bytes[core + this.previous + 1] ^ k[this.previous + 1]) << 8);
    out.unusedBytes = bytes[core + this.unused] ^ k[this.unused];
    out.checksumOk = (bytes[core + this.tag] ^ k[this.tag]) === (s0 ^ s1 ^ flags);
    return out;
  }
}

export function newDecodedEntry(): DecodedEntry {
  return { size: 0, flags: 0, previousSize: 0, unusedBytes: 0, checksumOk: false };
}
