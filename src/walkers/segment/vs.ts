// The chunks of a VS subsegment (docs/heap-structures.md §2.5 step 3): a _HEAP_VS_SUBSEGMENT at the
// range's start (Signature == Size ^ 0x2BED), then chunks, each with a _HEAP_VS_CHUNK_HEADER whose
// first bytes are XOR-encoded with the chunk's address and RtlpHpHeapGlobals.HeapKey. The walk of a
// subsegment ends, with a finding, at the first header that fails its checks.
import { BlockTableBuilder, KIND_VS, STATE_BUSY, STATE_FREE } from "../../heap/records";
import { FindingLog } from "../../heap/findings";
import { Memory } from "../../host/memory-types";
import { VsLayout } from "../../layouts/segment-heap";
import { low32, u16, u32 } from "../../util/bytes";
import { hex0x } from "../../util/hex";
import { MemoryWindow } from "../window";
import { SegmentHeapKeys } from "./context";

const TWO_32 = 4294967296;
/** _HEAP_VS_SUBSEGMENT.Signature:15 == Size ^ 0x2BED (§2.5 step 3, [MEMPROCFS SegVS]). */
const SUBSEGMENT_SIGNATURE_XOR = 0x2bed;
/** AllocatedChunkBits.UnusedBytes:1@8: the chunk ends with a _HEAP_VS_UNUSED_BYTES_INFO (§1.9). */
const CHUNK_HAS_UNUSED_INFO = 0x100;
/** _HEAP_VS_UNUSED_BYTES_INFO: OneByteUnused:1@15, UnusedBytes:13@0 (§1.9, §2.5 step 3). */
const ONE_BYTE_UNUSED = 0x8000;
const UNUSED_MASK = 0x1fff;

/** One decoded chunk header, reused for every chunk. */
interface VsChunk {
  units: number;
  previousUnits: number;
  /** x64: the whole Allocated byte (only 0 or 1 is valid); x86: the Allocated bit. */
  allocated: number;
}

export class VsSubsegmentWalker {
  private readonly chunk: VsChunk = { units: 0, previousUnits: 0, allocated: 0 };

  constructor(
    private readonly memory: Memory,
    private readonly vs: VsLayout,
    private readonly pointerSize: 4 | 8,
    /** Bytes per unit of a chunk size: 16 on x64, 8 on x86 (§2.5 step 3). */
    private readonly granularity: number,
    private readonly keys: SegmentHeapKeys,
    private readonly blocks: BlockTableBuilder,
    private readonly findings: FindingLog,
  ) {}

  /** Lists the chunks of the VS subsegment in [start, end), after the container row `row`. */
  walk(start: number, end: number, row: number, segmentIndex: number): void {
    const vs = this.vs;
    const window = new MemoryWindow(this.memory, end);
    if (!window.ensure(start, vs.firstChunk)) {
      this.findings.add("Unreadable", window.unreadableAt, `VS subsegment ${hex0x(start)} is not readable at ${hex0x(window.unreadableAt)}: its chunks are not listed`);
      return;
    }
    const size = u16(window.bytes, start - window.base + vs.size);
    const signature = u16(window.bytes, start - window.base + vs.signature) & 0x7fff;
    if (signature !== ((size ^ SUBSEGMENT_SIGNATURE_XOR) & 0x7fff)) {
      this.corrupt(start, `VS subsegment ${hex0x(start)}: Signature 0x${signature.toString(16)} does not match Size 0x${size.toString(16)} ^ 0x2bed: its chunks are not listed`);
      return;
    }
    // Size counts chunk units (16 bytes on x64, 8 on x86): UNVERIFIED, §2.5 step 3 gives no unit.
    // The signature vouches for the value, so when that reading does not fit the page range the
    // unit is taken to be wrong and the chunks are walked to the range's end (their own checks hold).
    let chunksEnd = start + size * this.granularity;
    if (chunksEnd > end || chunksEnd < start + vs.firstChunk) chunksEnd = end;
    const headerSize = vs.chunkHeaderSize;
    const c = this.chunk;
    let cursor = start + vs.firstChunk;
    let previousUnits = -1;
    while (cursor + headerSize <= chunksEnd) {
      if (!window.ensure(cursor, headerSize)) {
        this.findings.add("Unreadable", window.unreadableAt, `VS chunk at ${hex0x(cursor)} is not readable (memory at ${hex0x(window.unreadableAt)}): the rest of subsegment ${hex0x(start)} is not listed`);
        return;
      }
      this.decode(window.bytes, cursor - window.base, cursor);
      const bytes = c.units * this.granularity;
      const why = c.units === 0 || cursor + bytes > chunksEnd ? `size 0x${bytes.toString(16)} runs past ${hex0x(chunksEnd)}`
        : c.allocated > 1 ? `Allocated is 0x${c.allocated.toString(16)}`
        : previousUnits >= 0 && c.previousUnits !== previousUnits ? `UnsafePrevSize 0x${c.previousUnits.toString(16)} but the previous chunk has 0x${previousUnits.toString(16)} units`
        : "";
      if (why) {
        this.corrupt(cursor, `corrupted VS chunk header at ${hex0x(cursor)}: ${why}: the rest of subsegment ${hex0x(start)} is not listed`);
        return;
      }
      if (c.allocated === 0) {
        this.blocks.push(cursor, cursor + headerSize, bytes, 0, STATE_FREE, KIND_VS, segmentIndex, row, 0, 0);
      } else if (!this.pushBusy(window, cursor, bytes, row, segmentIndex)) {
        return;
      }
      previousUnits = c.units;
      cursor += bytes;
    }
  }

  /**
   * x64: HeaderBits (u64) ^ chunk ^ HeapKey; UnsafeSize = bits 16..31, UnsafePrevSize = bits 32..47,
   * Allocated = bits 48..55. x86: u32 ^ chunk ^ HeapKey; UnsafeSize:15@1, UnsafePrevSize:15@16,
   * Allocated:1@31 (§1.9, §2.5 step 3). Done per 32-bit half.
   */
  private decode(bytes: Uint8Array, at: number, chunk: number): void {
    const c = this.chunk;
    const low = (u32(bytes, at) ^ low32(chunk) ^ this.keys.heapLo) >>> 0;
    if (this.pointerSize === 8) {
      const high = (u32(bytes, at + 4) ^ Math.floor(chunk / TWO_32) ^ this.keys.heapHi) >>> 0;
      c.units = low >>> 16;
      c.previousUnits = high & 0xffff;
      c.allocated = (high >>> 16) & 0xff;
    } else {
      c.units = (low >>> 1) & 0x7fff;
      c.previousUnits = (low >>> 16) & 0x7fff;
      c.allocated = low >>> 31;
    }
  }

  /** A busy chunk: its request is the chunk minus the header minus the unused bytes its last 2 bytes count, if flagged (§2.5 step 3). */
  private pushBusy(window: MemoryWindow, chunk: number, bytes: number, row: number, segmentIndex: number): boolean {
    const headerSize = this.vs.chunkHeaderSize;
    if (!window.ensure(chunk, bytes)) {
      this.findings.add("Unreadable", window.unreadableAt, `VS chunk at ${hex0x(chunk)} is not readable (memory at ${hex0x(window.unreadableAt)}): the rest of its subsegment is not listed`);
      return false;
    }
    const at = chunk - window.base;
    let unused = 0;
    if ((u32(window.bytes, at + this.vs.allocatedChunkBits) & CHUNK_HAS_UNUSED_INFO) !== 0) {
      const info = u16(window.bytes, at + bytes - 2);
      unused = (info & ONE_BYTE_UNUSED) !== 0 ? 1 : info & UNUSED_MASK;
    }
    let userSize = bytes - headerSize - unused;
    if (userSize < 0) {
      this.findings.add("Corruption", chunk, `VS chunk at ${hex0x(chunk)}: 0x${unused.toString(16)} unused bytes do not fit its 0x${bytes.toString(16)} bytes`,
        "vs-unused", "VS chunks whose unused bytes do not fit them");
      userSize = bytes - headerSize;
    }
    this.blocks.push(chunk, chunk + headerSize, bytes, userSize, STATE_BUSY, KIND_VS, segmentIndex, row, 0, 1);
    return true;
  }

  private corrupt(address: number, message: string): void {
    this.findings.add("Corruption", address, message, "vs-subsegment", "VS subsegments whose chunks could not all be listed");
  }
}
