// The page segments of a segment heap and their page ranges (docs/heap-structures.md §2.5 steps 1
// and 2): each segment context's SegmentListHead links _HEAP_PAGE_SEGMENT.ListEntry; a segment
// starts with its descriptor array (_HEAP_PAGE_SEGMENT), one _HEAP_PAGE_RANGE_DESCRIPTOR per unit,
// and its ranges are read from the descriptors of their first units. The segment's own header
// units come first (Internal), then each range: a backend allocation (Busy), a free range (Free),
// or a VS / LFH subsegment (Internal, followed by its chunks or blocks).
import { BlockTableBuilder, KIND_PAGE_RANGE, NONE, SegmentRecord, STATE_BUSY, STATE_FREE, STATE_INTERNAL, UncommittedRange } from "../../heap/records";
import { FindingLog } from "../../heap/findings";
import { Memory } from "../../host/memory-types";
import { low32, pointer, pointerHex, u16, u32 } from "../../util/bytes";
import { hex0x } from "../../util/hex";
import { walkList } from "../list";
import { SegmentHeapContext } from "./context";
import { LfhSubsegmentWalker } from "./lfh";
import { VsSubsegmentWalker } from "./vs";

const TWO_32 = 4294967296;
/** More page segments than this in one context: the list is corrupt. */
const MAX_SEGMENTS = 1 << 16;
/** Units of 4 KiB to 1 MiB (§1.9: 4 KiB units in context 0, 64 KiB ones in context 1). */
const MIN_UNIT_SHIFT = 12;
const MAX_UNIT_SHIFT = 20;
/** The page segment signature's constant before build 26100; 0 from 26100 (§2.5 step 1). */
const SIGNATURE_CONSTANT = 0xa2e64ead;

/** RangeFlags (§2.5 step 2): allocated ranges have 0x01 and 0x02; 0x1C is their type. */
const RANGE_ALLOCATED = 0x01;
const RANGE_ALLOCATED_FIRST = 0x03;
const RANGE_TYPE = 0x1c;
const RANGE_BACKEND = 0x00;
const RANGE_LFH = 0x08;
const RANGE_VS = 0x0c;

export class PageSegmentWalker {
  constructor(
    private readonly memory: Memory,
    private readonly context: SegmentHeapContext,
    private readonly blocks: BlockTableBuilder,
    private readonly findings: FindingLog,
    private readonly vs: VsSubsegmentWalker | undefined,
    private readonly lfh: LfhSubsegmentWalker | undefined,
  ) {}

  /** Walks SegContexts[index] of the heap whose header is `header`, appending to `segments`; returns the segments walked. */
  walkContext(heap: number, header: Uint8Array, index: number, segments: SegmentRecord[]): number {
    const layout = this.context.layout;
    const c = layout.segContext;
    const p = layout.pointerSize;
    const at = layout.heap.segContexts + index * c.size;
    const contextAddress = heap + at;
    const head = contextAddress + c.segmentListHead;
    // A context that was never set up has a zeroed list head: nothing to walk (no finding).
    if (pointer(header, at + c.segmentListHead, p) === 0 && pointer(header, at + c.segmentListHead + p, p) === 0) return 0;
    const list = walkList(this.memory, head, MAX_SEGMENTS);
    if (list.problem) {
      // A link into memory the dump lacks (a dropped segment header) is Unreadable, not Corruption.
      const kind = this.readable(list.problem.address) ? "Corruption" : "Unreadable";
      this.findings.add(kind, list.problem.address, `segment list of segment context ${index} (${hex0x(contextAddress)}): ${list.problem.message}`);
    }
    if (list.links.length === 0) return 0;

    const unitShift = header[at + c.unitShift];
    const firstDescriptor = header[at + c.firstDescriptorIndex];
    const count = layout.pageSegment.descriptorCount;
    if (unitShift < MIN_UNIT_SHIFT || unitShift > MAX_UNIT_SHIFT || firstDescriptor === 0 || firstDescriptor >= count ||
        firstDescriptor * Math.pow(2, unitShift) < layout.pageSegment.size) {
      this.findings.add("Corruption", contextAddress,
        `segment context ${index} (${hex0x(contextAddress)}) has an implausible geometry (UnitShift ${unitShift}, FirstDescriptorIndex ${firstDescriptor}): its segments are not walked`);
      return 0;
    }
    const unit = Math.pow(2, unitShift);
    const segmentBytes = count * unit;
    // Any address's segment is addr & SegmentMask (§2.5 step 1): the mask must clear exactly the segment's bytes.
    const maskLow = u32(header, at + c.segmentMask);
    const maskHigh = p === 8 ? u32(header, at + c.segmentMask + 4) : 0xffffffff;
    if (maskHigh !== 0xffffffff || maskLow !== TWO_32 - segmentBytes) {
      this.findings.add("Corruption", contextAddress,
        `segment context ${index} (${hex0x(contextAddress)}): SegmentMask ${pointerHex(header, at + c.segmentMask, p)} does not match its ${hex0x(segmentBytes)}-byte segments`);
    }
    let walked = 0;
    for (let i = 0; i < list.links.length; i++) {
      const segment = list.links[i] - layout.pageSegment.listEntry;
      if (this.walkSegment(segment, contextAddress, unit, firstDescriptor, segments)) walked++;
    }
    return walked;
  }

  private walkSegment(segment: number, contextAddress: number, unit: number, firstDescriptor: number, segments: SegmentRecord[]): boolean {
    const layout = this.context.layout;
    const d = layout.descriptor;
    const count = layout.pageSegment.descriptorCount;
    const segmentBytes = count * unit;
    if (segment % segmentBytes !== 0) {
      this.findings.add("Corruption", segment, `page segment ${hex0x(segment)} is not aligned to its ${hex0x(segmentBytes)} bytes (SegmentMask, §2.5)`);
      return false;
    }
    let bytes: Uint8Array;
    try {
      bytes = this.memory.read(segment, layout.pageSegment.size);
    } catch (e) {
      this.findings.add("Unreadable", segment, `page segment ${hex0x(segment)}: its descriptors are not readable`);
      return false;
    }
    if (!this.signatureOk(bytes, segment, contextAddress)) {
      this.findings.add("Corruption", segment,
        `page segment ${hex0x(segment)} fails its signature check (Signature ${pointerHex(bytes, layout.pageSegment.signature, layout.pointerSize)}): it is not walked`);
      return false;
    }

    const segmentIndex = segments.length;
    const uncommittedRanges: UncommittedRange[] = [];
    const record: SegmentRecord = {
      address: segment,
      baseAddress: segment,
      firstEntry: segment + firstDescriptor * unit,
      lastValidEntry: segment + segmentBytes,
      reservedBytes: segmentBytes,
      committedBytes: segmentBytes,
      uncommittedRanges,
    };
    segments.push(record);
    // The segment's own header units (its descriptor array), as !heap lists a segment's header first.
    const headerBytes = firstDescriptor * unit;
    this.blocks.push(segment, segment, headerBytes, headerBytes, STATE_INTERNAL, KIND_PAGE_RANGE, segmentIndex, NONE, 0, 0);

    let i = firstDescriptor;
    while (i < count) {
      const at = i * d.size;
      const units = bytes[at + d.unitSize];
      const start = segment + i * unit;
      if (units === 0 || i + units > count) {
        this.findings.add("Corruption", start,
          `page segment ${hex0x(segment)}: descriptor ${i} (range ${hex0x(start)}) has ${units} units, past the segment's ${count}: the rest of the segment is not walked`);
        break;
      }
      const size = units * unit;
      const flags = bytes[at + d.rangeFlags] & d.rangeFlagsMask;
      if ((flags & RANGE_ALLOCATED) === 0) {
        this.blocks.push(start, start, size, 0, STATE_FREE, KIND_PAGE_RANGE, segmentIndex, NONE, 0, flags);
        if (this.committedPages(bytes, at, size) === 0) uncommittedRanges.push({ address: start, size });
      } else {
        this.allocatedRange(bytes, at, flags, start, size, segmentIndex);
      }
      i += units;
    }
    let uncommitted = 0;
    for (let k = 0; k < uncommittedRanges.length; k++) uncommitted += uncommittedRanges[k].size;
    record.committedBytes = segmentBytes - uncommitted;
    return true;
  }

  private allocatedRange(bytes: Uint8Array, at: number, flags: number, start: number, size: number, segmentIndex: number): void {
    const d = this.context.layout.descriptor;
    const type = flags & RANGE_TYPE;
    if ((flags & RANGE_ALLOCATED_FIRST) !== RANGE_ALLOCATED_FIRST || (type !== RANGE_BACKEND && type !== RANGE_LFH && type !== RANGE_VS)) {
      this.findings.add("Corruption", start, `page range ${hex0x(start)} has unknown RangeFlags 0x${flags.toString(16)}: listed as busy`,
        "range-flags", "page ranges with unknown RangeFlags");
    }
    if (type === RANGE_VS || type === RANGE_LFH) {
      const row = this.blocks.push(start, start, size, size, STATE_INTERNAL, KIND_PAGE_RANGE, segmentIndex, NONE, 0, flags);
      if (type === RANGE_VS && this.vs) this.vs.walk(start, start + size, row, segmentIndex);
      if (type === RANGE_LFH && this.lfh) this.lfh.walk(start, start + size, row, segmentIndex);
      return;
    }
    // A backend allocation served straight from the segment: user size = bytes - UnusedBytes (§2.5 step 2).
    const unused = d.unusedBytesWidth === 4 ? u32(bytes, at + d.unusedBytes) : u16(bytes, at + d.unusedBytes);
    let userSize = size - unused;
    if (unused >= size) {
      this.findings.add("Corruption", start, `page range ${hex0x(start)}: UnusedBytes 0x${unused.toString(16)} is not below its 0x${size.toString(16)} bytes`,
        "range-unused", "page ranges whose UnusedBytes exceed their size");
      userSize = size;
    }
    this.blocks.push(start, start, size, userSize, STATE_BUSY, KIND_PAGE_RANGE, segmentIndex, NONE, 0, flags);
  }

  /**
   * Committed pages of a free range (in units for the newer 8-bit count; only 0 matters here).
   * _HEAP_DESCRIPTOR_KEY.EncodedCommittedPageCount is stored complemented ([DECOMP], §2.5 step 2;
   * UNVERIFIED): that reading is taken when it fits the range, else the plain count (with 16 bits
   * the two never both fit: a range has fewer than 2^15 pages), else CommittedPageCount (x64).
   * 0 means the range is uncommitted.
   */
  private committedPages(bytes: Uint8Array, at: number, size: number): number {
    const d = this.context.layout.descriptor;
    const pages = size / 4096;
    if (d.encodedCommittedPageCount !== undefined) {
      const mask = d.encodedCommittedPageCountBits === 8 ? 0xff : 0xffff;
      const raw = d.encodedCommittedPageCountBits === 8 ? bytes[at + d.encodedCommittedPageCount] : u16(bytes, at + d.encodedCommittedPageCount);
      const complemented = ~raw & mask;
      if (complemented <= pages) return complemented;
      if (raw <= pages) return raw;
    }
    if (d.committedPageCount !== undefined) return Math.min(bytes[at + d.committedPageCount], pages);
    return pages;
  }

  private readable(address: number): boolean {
    try {
      this.memory.read(address, this.context.layout.pointerSize);
      return true;
    } catch (e) {
      return false;
    }
  }

  /**
   * Signature ^ segment ^ HeapKey ^ C == &SegContexts[i] (§2.5 step 1), per 32-bit half. C is
   * 0xA2E64EADA2E64EAD before build 26100 and 0 from 26100; both are accepted whatever the build
   * (it can be ambiguous, and a false match is one chance in 2^63). On x86 the constant's low half is used (UNVERIFIED: §2.5 names the
   * 64-bit constant only). Without keys the check cannot be made and is skipped.
   */
  private signatureOk(bytes: Uint8Array, segment: number, contextAddress: number): boolean {
    const keys = this.context.keys;
    if (!keys) return true;
    const layout = this.context.layout;
    const s = layout.pageSegment.signature;
    const lo = (u32(bytes, s) ^ low32(segment) ^ keys.heapLo ^ low32(contextAddress)) >>> 0;
    if (layout.pointerSize === 4) return lo === 0 || lo === SIGNATURE_CONSTANT;
    const hi = (u32(bytes, s + 4) ^ Math.floor(segment / TWO_32) ^ keys.heapHi ^ Math.floor(contextAddress / TWO_32)) >>> 0;
    return (lo === 0 && hi === 0) || (lo === SIGNATURE_CONSTANT && hi === SIGNATURE_CONSTANT);
  }
}
