// The NT low-fragmentation heap front end (docs/heap-structures.md §2.4). Its blocks live inside
// UserBlocks containers, which are busy internal back-end blocks starting with a
// _HEAP_USERDATA_HEADER (signature 0xF0E0D0C0); the container is found during the back-end
// walk, so no LFH structure outside the heap has to be trusted to list the blocks.
//   Windows 8-11: offsets decoded from EncodedOffsets with RtlpLFHKey, a busy bitmap, and a
//   per-block SubSegmentCode that must decode back to the block's offset.
//   Windows 7: blocks follow the header; size and count from the owning _HEAP_SUBSEGMENT.
// In both, a block is busy when UnusedBytes & 0x3F is not 0 (§2.4 step 6; UNVERIFIED for Windows 7).
import { BlockTableBuilder, KIND_LFH, STATE_BUSY, STATE_FREE } from "../../heap/records";
import { FindingLog } from "../../heap/findings";
import { Memory } from "../../host/memory-types";
import { LfhLayout, NtHeapLayout } from "../../layouts/ntheap";
import { low32, pointer, u16, u32 } from "../../util/bytes";
import { MemoryWindow } from "../window";
import { InternalBlock } from "./backend";
import { UserExtent, decodeUserExtent } from "./user-extent";
import { traceLocation } from "./trace-location";
import { hex0x } from "../../util/hex";

const USERDATA_SIGNATURE = 0xf0e0d0c0;
const LFH_MARKER = 0x80;

interface Geometry {
  first: number;
  stride: number;
  count: number;
  /** Where the busy bitmap is (Windows 8+), or undefined. */
  bitmapAddress: number | undefined;
  /** Busy bit per block, once read. */
  bitmap: Uint8Array | undefined;
}

export class LfhDecoder {
  /** Reused for every block: no object per block. */
  private readonly extent: UserExtent = { userAddress: 0, userSize: 0 };

  constructor(
    private readonly memory: Memory,
    private readonly layout: NtHeapLayout,
    private readonly lfh: LfhLayout,
    private readonly heap: number,
    private readonly lfhHeap: number,
    private readonly lfhKey: number | undefined,
    private readonly blocks: BlockTableBuilder,
    private readonly findings: FindingLog,
  ) {}

  /** Lists the blocks of `container` if it is a UserBlocks; leaves other internal blocks alone. */
  decode(container: InternalBlock, window: MemoryWindow): void {
    // The container's user data, past any extended header (+ust, §2.7): where UserBlocks starts.
    const userBlocks = this.blocks.userAddressOf(container.row);
    const length = container.end - userBlocks;
    if (length < this.lfh.userDataHeaderSize) return;
    if (!window.ensure(userBlocks, length)) {
      this.findings.add("Unreadable", window.unreadableAt, `internal block ${hex0x(container.entry)} (perhaps LFH UserBlocks) is not readable at ${hex0x(window.unreadableAt)}: its blocks are not listed`);
      return;
    }
    const bytes = window.bytes;
    const at = userBlocks - window.base;
    if (u32(bytes, at + this.lfh.userDataSignature) !== USERDATA_SIGNATURE) return;
    const geometry = this.lfh.scheme === "win8" ? this.win8Geometry(bytes, at, userBlocks) : this.win7Geometry(bytes, at, userBlocks);
    if (!geometry) return;
    // The count is checked against the container before anything is sized by it (a corrupted
    // SizeOfBitMap must not allocate a bitmap of 2^32 bits).
    if (geometry.first + geometry.count * geometry.stride > length || geometry.stride < this.layout.entry.granularity) {
      this.corrupt(userBlocks, `${geometry.count} blocks of 0x${geometry.stride.toString(16)} bytes at offset 0x${geometry.first.toString(16)} do not fit the container`);
      return;
    }
    if (geometry.bitmapAddress !== undefined) {
      geometry.bitmap = this.readBitmap(window, geometry.bitmapAddress, geometry.count);
      if (!geometry.bitmap) this.corrupt(userBlocks, `busy bitmap at ${hex0x(geometry.bitmapAddress)} is not readable`);
    }
    this.listBlocks(window, userBlocks, geometry, container.row);
  }

  private win8Geometry(bytes: Uint8Array, at: number, userBlocks: number): Geometry | undefined {
    if (this.lfhKey === undefined) {
      this.corrupt(userBlocks, "RtlpLFHKey is unknown (no ntdll symbol): LFH blocks cannot be decoded");
      return undefined;
    }
    const decoded = (u32(bytes, at + this.lfh.encodedOffsets) ^ low32(userBlocks) ^ low32(this.lfhHeap) ^ this.lfhKey) >>> 0;
    const first = decoded & 0xffff;
    const stride = decoded >>> 16;
    const count = u32(bytes, at + this.lfh.busyBitmapSize);
    // MemProcFS's sanity bounds on decoded offsets (§2.4 step 3).
    if (first % 8 !== 0 || first < this.lfh.userDataHeaderSize || first > 0x1000 || stride % 4 !== 0) {
      this.corrupt(userBlocks, `EncodedOffsets decode to an implausible first offset 0x${first.toString(16)} / stride 0x${stride.toString(16)}`);
      return undefined;
    }
    const bitmapAddress = pointer(bytes, at + this.lfh.busyBitmapBuffer, this.layout.pointerSize);
    return { first, stride, count, bitmapAddress, bitmap: undefined };
  }

  private win7Geometry(bytes: Uint8Array, at: number, userBlocks: number): Geometry | undefined {
    const subSegment = pointer(bytes, at + this.lfh.userDataSubSegment, this.layout.pointerSize);
    const span = Math.max(this.lfh.subSegmentUserBlocks + this.layout.pointerSize, this.lfh.subSegmentBlockSize + 2, this.lfh.subSegmentBlockCount + 2);
    let sub: Uint8Array;
    try {
      sub = this.memory.read(subSegment, span);
    } catch (e) {
      this.corrupt(userBlocks, `its subsegment ${hex0x(subSegment)} is not readable`);
      return undefined;
    }
    if (pointer(sub, this.lfh.subSegmentUserBlocks, this.layout.pointerSize) !== userBlocks) {
      this.corrupt(userBlocks, `its subsegment ${hex0x(subSegment)} does not point back to it`);
      return undefined;
    }
    const stride = u16(sub, this.lfh.subSegmentBlockSize) * this.layout.entry.granularity;
    return { first: this.lfh.userDataHeaderSize, stride, count: u16(sub, this.lfh.subSegmentBlockCount), bitmapAddress: undefined, bitmap: undefined };
  }

  /** The bitmap normally lies in the UserBlocks header (§2.4 step 4), already in the window. */
  private readBitmap(window: MemoryWindow, address: number, count: number): Uint8Array | undefined {
    const length = Math.ceil(count / 8);
    if (address >= window.base && address + length <= window.base + window.bytes.length) {
      return window.bytes.subarray(address - window.base, address - window.base + length);
    }
    try {
      return this.memory.read(address, length);
    } catch (e) {
      return undefined;
    }
  }

  /**
   * The blocks of a UserBlocks whose bytes decode() put in the window. 32-bit integer math only:
   * a block's offset in its UserBlocks is small, so the low 32 bits of block >> 4 (x64) or >> 3
   * (x86) are those of UserBlocks' plus the offset's share, with no division of a 47-bit double.
   */
  private listBlocks(window: MemoryWindow, userBlocks: number, g: Geometry, containerRow: number): void {
    const entry = this.layout.entry;
    const granularity = entry.granularity;
    const pointerSize = this.layout.pointerSize;
    const blockShift = pointerSize === 8 ? 4 : 3; // block >> 4 (x64) or >> 3 (x86), §2.4 step 6
    const codeShift = pointerSize === 8 ? 12 : 13;
    const codeAt = entry.subSegmentCode === undefined ? 0 : entry.subSegmentCode;
    const unusedAt = entry.unusedBytes;
    const checkCodes = this.lfh.scheme === "win8" && entry.subSegmentCode !== undefined && this.lfhKey !== undefined;
    const heapKey = checkCodes ? (this.lfhKey! ^ low32(this.heap)) >>> 0 : 0;
    const unit = 1 << blockShift;
    const userBlocksUnits = Math.floor(userBlocks / unit);
    const unitsLow = low32(userBlocksUnits);
    const unitsRest = userBlocks - userBlocksUnits * unit;
    // A busy block's user data may reach this far into the next header (§2.2, decodeUserExtent).
    const spill = pointerSize === 8 ? granularity / 2 : 0;
    const stride = g.stride;
    const bitmap = g.bitmap;
    const segment = this.blocks.segmentOf(containerRow);
    const extent = this.extent;
    const length = g.first + g.count * stride;
    let bytes = window.bytes;
    let origin = userBlocks - window.base;
    let badMarker = 0, badCode = 0, badBitmap = 0, badExtent = 0, firstBad = -1;
    // The rows go straight into the table's columns: no row is passed around block by block, and
    // what all of a UserBlocks' rows share is filled once.
    const rows = this.blocks.reserve(g.count, userBlocks + length, stride);
    const { address: addressColumn, userAddress: userColumn, userSize: userSizeColumn, state: stateColumn, flags: flagsColumn } = rows;
    const firstRow = rows.count;
    rows.size.fill(stride, firstRow, firstRow + g.count);
    rows.kind.fill(KIND_LFH, firstRow, firstRow + g.count);
    rows.segment.fill(segment, firstRow, firstRow + g.count);
    rows.container.fill(containerRow, firstRow, firstRow + g.count);
    let k = firstRow;
    for (let i = 0, offset = g.first; i < g.count; i++, offset += stride, k++) {
      const at = origin + offset;
      const block = userBlocks + offset;
      const unused = bytes[at + unusedAt];
      const busy = (unused & 0x3f) !== 0;
      let bad = false;
      if ((unused & LFH_MARKER) === 0) {
        badMarker++;
        bad = true;
      }
      if (checkCodes) {
        const code = (bytes[at + codeAt] | (bytes[at + codeAt + 1] << 8) | (bytes[at + codeAt + 2] << 16) | (bytes[at + codeAt + 3] << 24)) >>> 0;
        const x = (code ^ heapKey ^ ((unitsLow + ((unitsRest + offset) >>> blockShift)) >>> 0)) >>> 0;
        if ((x & 0xffff) !== 0 || x >>> codeShift !== offset) {
          badCode++;
          bad = true;
        }
      }
      if (bitmap !== undefined && ((bitmap[i >> 3] >> (i & 7)) & 1) !== (busy ? 1 : 0)) {
        badBitmap++;
        bad = true;
      }
      let userAddress = block + granularity;
      let userSize = 0;
      if (busy) {
        const count = unused & 0x7f;
        if ((count & 0x40) === 0 && count !== 0x3f) {
          // The plain count (decodeUserExtent's last case, inline): the user data starts after the header.
          if (count <= stride && count >= granularity - spill) userSize = stride - count;
          else {
            badExtent++;
            bad = true;
          }
        } else {
          // A count may lie after the block, past the window's bytes: the window can move.
          if (decodeUserExtent(window, this.layout, block, stride, count, extent)) {
            userAddress = extent.userAddress;
            userSize = extent.userSize;
          } else {
            badExtent++;
            bad = true;
          }
          if (window.bytes !== bytes && !window.ensure(userBlocks, length)) break;
          bytes = window.bytes;
          origin = userBlocks - window.base;
        }
      }
      if (bad && firstBad < 0) firstBad = block;
      addressColumn[k] = block;
      userColumn[k] = userAddress;
      userSizeColumn[k] = userSize;
      stateColumn[k] = busy ? STATE_BUSY : STATE_FREE;
      flagsColumn[k] = busy ? 1 : 0;
      // Only an extended header (0x40) names a trace on an LFH block (§2.7); it lies inside the block.
      if (busy && (unused & 0x40) !== 0) {
        const trace = traceLocation(window, this.layout, block, stride, unused & 0x7f, 0);
        if (trace !== 0) this.blocks.setTrace(rows.firstRow + k, trace);
      }
    }
    // The rows written: all of them, or those before a block whose bytes could not be read.
    rows.count = k;
    if (badMarker + badCode + badBitmap + badExtent > 0) {
      const parts: string[] = [];
      if (badMarker) parts.push(`${badMarker} without the LFH marker`);
      if (badCode) parts.push(`${badCode} whose SubSegmentCode does not decode to their offset`);
      if (badBitmap) parts.push(`${badBitmap} whose busy bit disagrees with UnusedBytes`);
      if (badExtent) parts.push(`${badExtent} whose UnusedBytes gives no user size that fits the block`);
      this.findings.add("Corruption", firstBad, `LFH UserBlocks ${hex0x(userBlocks)}: ${parts.join(", ")} (first at ${hex0x(firstBad)})`,
        "lfh-blocks", "LFH UserBlocks with blocks that fail their checks");
    }
  }

  private corrupt(userBlocks: number, message: string): void {
    this.findings.add("Corruption", userBlocks, `LFH UserBlocks ${hex0x(userBlocks)}: ${message}`, "lfh-userblocks", "LFH UserBlocks that cannot be decoded");
  }
}
