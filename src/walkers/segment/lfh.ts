// The blocks of a segment-heap LFH subsegment (docs/heap-structures.md §2.5 step 4): a
// _HEAP_LFH_SUBSEGMENT at the range's start whose BlockOffsets are encoded with the LFH key and the
// subsegment's address, a bitmap of 2 bits per block (bit 0 busy, bit 1 "unused-bytes info
// present"), then BlockCount blocks of BlockSize bytes, without headers.
import { BlockTableBuilder, KIND_LFH, STATE_BUSY, STATE_FREE } from "../../heap/records";
import { FindingLog } from "../../heap/findings";
import { Memory } from "../../host/memory-types";
import { LfhLayout } from "../../layouts/segment-heap";
import { low32, u16, u32 } from "../../util/bytes";
import { hex0x } from "../../util/hex";
import { MemoryWindow } from "../window";
import { SegmentHeapKeys } from "./context";

/** _HEAP_LFH_UNUSED_BYTES_INFO: OneByteUnused:1@15, UnusedBytes:14@0 (§1.9, §2.5 step 4). */
const ONE_BYTE_UNUSED = 0x8000;
const UNUSED_MASK = 0x3fff;
/** Smallest LFH block and the alignment of block sizes and offsets. */
const BLOCK_ALIGN = 8;

/** The decoded geometry of one subsegment, reused for every subsegment. */
interface Geometry {
  blockSize: number;
  first: number;
}

export class LfhSubsegmentWalker {
  private readonly geometry: Geometry = { blockSize: 0, first: 0 };

  constructor(
    private readonly memory: Memory,
    private readonly lfh: LfhLayout,
    private readonly pointerSize: 4 | 8,
    private readonly keys: SegmentHeapKeys,
    /** Try the 26100 shift (u32)(sub >> 12) first rather than (u32)sub >> 12 (§2.5 step 4, §6). */
    private readonly newerShift: boolean,
    private readonly blocks: BlockTableBuilder,
    private readonly findings: FindingLog,
  ) {}

  /** Lists the blocks of the LFH subsegment in [start, end), after the container row `row`. */
  walk(start: number, end: number, row: number, segmentIndex: number): void {
    const lfh = this.lfh;
    const window = new MemoryWindow(this.memory, end);
    if (!window.ensure(start, lfh.blockBitmap)) {
      this.unreadable(start, window);
      return;
    }
    const count = u16(window.bytes, start - window.base + lfh.blockCount);
    const encoded = u32(window.bytes, start - window.base + lfh.blockOffsets);
    // BlockBitmap is an array of pointer-sized words, 2 bits per block (§1.9).
    const bitmapBytes = Math.ceil((2 * count) / (8 * this.pointerSize)) * this.pointerSize;
    const g = this.geometry;
    if (!this.decodeOffsets(start, end, encoded, count, bitmapBytes)) {
      this.corrupt(start, `LFH subsegment ${hex0x(start)}: ${count} blocks at BlockOffsets decoding to size 0x${g.blockSize.toString(16)}, first offset 0x${g.first.toString(16)} do not fit its 0x${(end - start).toString(16)} bytes: its blocks are not listed`);
      return;
    }
    if (!window.ensure(start, lfh.blockBitmap + bitmapBytes)) {
      this.unreadable(start, window);
      return;
    }
    // At most 16 KiB (BlockCount is a u16): kept apart so that the window can move on with the blocks.
    const bitmap = window.bytes.slice(start - window.base + lfh.blockBitmap, start - window.base + lfh.blockBitmap + bitmapBytes);
    let badUnused = 0;
    let firstBadUnused = 0;
    for (let i = 0; i < count; i++) {
      const block = start + g.first + i * g.blockSize;
      const bits = (bitmap[i >> 2] >> ((i & 3) * 2)) & 3;
      if ((bits & 1) === 0) {
        this.blocks.push(block, block, g.blockSize, 0, STATE_FREE, KIND_LFH, segmentIndex, row, 0, bits);
        continue;
      }
      let unused = 0;
      if ((bits & 2) !== 0) {
        if (!window.ensure(block, g.blockSize)) {
          this.unreadable(start, window);
          return;
        }
        const info = u16(window.bytes, block - window.base + g.blockSize - 2);
        unused = (info & ONE_BYTE_UNUSED) !== 0 ? 1 : info & UNUSED_MASK;
        if (unused > g.blockSize) {
          if (badUnused++ === 0) firstBadUnused = block;
          unused = 0;
        }
      }
      this.blocks.push(block, block, g.blockSize, g.blockSize - unused, STATE_BUSY, KIND_LFH, segmentIndex, row, 0, bits);
    }
    if (badUnused > 0) {
      this.corrupt(firstBadUnused, `LFH subsegment ${hex0x(start)}: ${badUnused} busy blocks count more unused bytes than their 0x${g.blockSize.toString(16)} bytes (first at ${hex0x(firstBadUnused)})`);
    }
  }

  /**
   * BlockOffsets.EncodedData ^ LfhKey ^ shift: BlockSize in the low 16 bits, FirstBlockOffset in
   * the high ones; shift = (u32)sub >> 12 before build 26100, (u32)(sub >> 12) from 26100. The two
   * differ only above 4 GiB on x64; the build's variant is tried first, the other when it does not
   * fit the subsegment (§2.5 step 4). Fills this.geometry; false when neither fits.
   */
  private decodeOffsets(start: number, end: number, encoded: number, count: number, bitmapBytes: number): boolean {
    const older = low32(start) >>> 12;
    const newer = low32(Math.floor(start / 4096));
    const first = this.newerShift ? newer : older;
    const second = this.newerShift ? older : newer;
    if (this.fits(start, end, encoded, first, count, bitmapBytes)) return true;
    if (second !== first && this.fits(start, end, encoded, second, count, bitmapBytes)) return true;
    this.fits(start, end, encoded, first, count, bitmapBytes); // the message shows the build's reading
    return false;
  }

  private fits(start: number, end: number, encoded: number, shift: number, count: number, bitmapBytes: number): boolean {
    const e = (encoded ^ this.keys.lfh ^ shift) >>> 0;
    const g = this.geometry;
    g.blockSize = e & 0xffff;
    g.first = e >>> 16;
    return count > 0 && g.blockSize >= BLOCK_ALIGN && g.blockSize % BLOCK_ALIGN === 0 && g.first % BLOCK_ALIGN === 0 &&
      g.first >= this.lfh.blockBitmap + bitmapBytes && start + g.first + count * g.blockSize <= end;
  }

  private unreadable(start: number, window: MemoryWindow): void {
    this.findings.add("Unreadable", window.unreadableAt, `LFH subsegment ${hex0x(start)} is not readable at ${hex0x(window.unreadableAt)}: its blocks are not listed`);
  }

  private corrupt(address: number, message: string): void {
    this.findings.add("Corruption", address, message, "lfh-subsegment", "segment LFH subsegments whose blocks could not all be listed");
  }
}
