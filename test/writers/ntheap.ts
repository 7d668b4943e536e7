// Writes a complete NT heap (backend segments, uncommitted ranges, free lists, VirtualAlloc'd
// blocks, the LFH front end) into an AddressSpace, following /work/shared/heap/heap-internals.md
// ("§" below), and returns the truth of every block placed. Offsets come from the Layout only.
import type { AddressSpace, BlockTruth, HeapTruth, Layout, SegmentTruth, StackTruth } from "./types";
import { Random } from "./random";

export interface NtHeapSpec {
  seed: number;
  /** _HEAP.Flags. */
  flags: number;
  segments: number;
  /** Ordinary blocks per segment (uncommitted-range sentinels come on top). */
  blocksPerSegment: number;
  /** A leak to plant: `count` more busy blocks of `request` bytes, spread over the segments' first runs. */
  leak?: { request: number; count: number };
  lfh: boolean;
  /**
   * With lfh, these LFH subsegments instead of 2 to 4 random ones: `blocks` blocks of blockGranules
   * granules each, busy and free at random as in the random ones, every busy one holding `request`
   * bytes (images.ts buildTriageImage: an LFH bucket with a leak hidden in it).
   */
  lfhSubsegments?: { blockGranules: number; blocks: number; request: number }[];
  /** One VirtualAlloc'd block per entry: the user request in bytes. */
  virtualAllocs: number[];
  /** Blocks using the UnusedBytes escapes 0x3F (x64 only) and 0x40 (§2.2). */
  escapes: boolean;
  /** +ust: busy blocks carry their allocation trace (docs/heap-structures.md §2.7). */
  ust?: UstSpec;
}

/** A trace as a block stores it (§2.7), and the truth recorded for that block. */
export interface BlockTrace {
  /** The _RTL_STACK_TRACE_ENTRY: Windows 8+ blocks hold its address after their _HEAP_ENTRY. */
  record: bigint;
  /** Its index: Windows 7 blocks hold it in _HEAP_ENTRY_EXTRA.AllocatorBackTraceIndex. */
  index: number;
  stack: StackTruth;
}

/**
 * +ust (§2.7). Windows 8+: a traced block is an extended (0x40) block whose pointer after the
 * _HEAP_ENTRY is the trace record (user = entry + 3 granules), LFH ones with UnusedBytes 0xC2;
 * VirtualAlloc'd blocks carry none. Windows 7: HEAP_ENTRY_EXTRA_PRESENT and a _HEAP_ENTRY_EXTRA
 * in the block's last granule (VirtualAlloc'd: ExtraStuff), and no LFH (§2.7: the notes' reading
 * that the debug heap keeps LFH off there, UNVERIFIED). With ust, every 0x40 block is a traced one.
 */
export interface UstSpec {
  /** The first this many busy backend blocks were allocated before tracing began: no trace. */
  untracedBlocks: number;
  /** The trace of the next traced block, in write order. */
  nextTrace(): BlockTrace;
}

/** Planted (4-aligned) in the user data of some busy blocks, for search tests; never produced by the fill. */
export const SEARCH_PATTERN_U32 = 0x77176934;
/** Planted (8-aligned) in the user data of other busy blocks. */
export const SEARCH_PATTERN_U64 = 0x5eed0ff1ce5a1e55n;

const PAGE = 0x1000;
const ALLOCATION_GRANULARITY = 0x10000;

const SEGMENT_SIGNATURE = 0xffeeffee; // §1.3
const HEAP_SIGNATURE = 0xeeffeeff; // §1.2
const ENCODE_FLAG_MASK = 0x100000; // §2.2 [DLGHELP]
const USERDATA_SIGNATURE = 0xf0e0d0c0; // §1.6
const FRONT_END_LFH = 2; // §1.2 FrontEndHeapType

// _HEAP_ENTRY.Flags (§1.4).
const FLAG_BUSY = 0x01;
const FLAG_EXTRA_PRESENT = 0x02; // a _HEAP_ENTRY_EXTRA in the last granule (§2.7, Windows 7)
const FLAG_VIRTUAL_ALLOC = 0x08; // also the "internal" marker of LFH UserBlocks (§2.4 step 2b)
const FLAG_ENCODED_MARKER = 0x10; // set in the Encoding key's Flags byte only (§2.2, §6)

// _HEAP_ENTRY.UnusedBytes special values (§2.2, §6c.5).
const UNUSED_SEGMENT_HEADER = 1;
const UNUSED_UNCOMMITTED_SENTINEL = 3;
const UNUSED_VIRTUAL_ALLOC = 4;
const UNUSED_TOO_LARGE = 0x3f;
const UNUSED_EXTENDED = 0x40;
const UNUSED_LFH = 0x80;

/** The +ust extended entry (§2.7): 2 granules after the header, user data one granule later. */
const EXTENDED_ENTRY_GRANULES = 2;
const EXTENDED_FUNCTION_INDEX = 1;
const EXTENDED_BLOCK_SIGNATURE = 5;

/** [uncommitted range in the middle, at the end], segment after segment. */
const GAP_PATTERNS: readonly (readonly [boolean, boolean])[] = [
  [true, true],
  [true, false],
  [false, false],
  [false, true],
];

/** Sentinel before an uncommitted range: 4 granules (x86 0x20, x64 0x40), §6c.5. */
const SENTINEL_GRANULES = 4;
/** _HEAP_LIST_LOOKUP.ArraySize of the heap's BlocksIndex (§1.5). */
const LIST_LOOKUP_ARRAY_SIZE = 0x80;

const at = (base: bigint, offset: number) => base + BigInt(offset);
const alignUp = (value: number, unit: number) => Math.ceil(value / unit) * unit;
const low32 = (value: bigint) => Number(value & 0xffffffffn);



// ---------------------------------------------------------------------------------------------
// _HEAP_ENTRY: the 8-byte core (x64 at +8, x86 at +0) encoded with _HEAP.Encoding (§2.2).

interface EntryFields {
  size: number;
  flags: number;
  previousSize: number;
  unusedBytes: number;
}

class EntryCodec {
  /** Offset of the core in _HEAP_ENTRY; the bytes before it are the previous block's (§1.4, §2.2). */
  readonly core: number;
  private readonly size: number;
  private readonly flags: number;
  private readonly smallTagIndex: number;
  private readonly previousSize: number;
  private readonly unusedBytes: number;

  constructor(
    layout: Layout,
    /** The 8 key bytes of _HEAP.Encoding at the core's position. */
    readonly key: Uint8Array,
  ) {
    this.core = layout.off("_HEAP_ENTRY", "Size");
    const inCore = (field: string) => layout.off("_HEAP_ENTRY", field) - this.core;
    this.size = inCore("Size");
    this.flags = inCore("Flags");
    this.smallTagIndex = inCore("SmallTagIndex");
    this.previousSize = inCore("PreviousSize");
    this.unusedBytes = inCore("UnusedBytes");
  }

  /**
   * Random Size/Flags/SmallTagIndex/PreviousSize bytes, the Flags byte's 0x10 bit set, the last
   * two bytes (SegmentOffset, UnusedBytes) 0 as in every real dump (§2.2, §6, §6c.2).
   */
  static randomKey(layout: Layout, random: Random): EntryCodec {
    const key = new Uint8Array(8);
    const codec = new EntryCodec(layout, key);
    for (const offset of [codec.size, codec.size + 1, codec.flags, codec.smallTagIndex, codec.previousSize, codec.previousSize + 1]) {
      key[offset] = random.int(0, 0xff);
    }
    key[codec.flags] |= FLAG_ENCODED_MARKER;
    return codec;
  }

  write(space: AddressSpace, entry: bigint, fields: EntryFields): void {
    const core = new Uint8Array(8);
    core[this.size] = fields.size & 0xff;
    core[this.size + 1] = fields.size >> 8;
    core[this.flags] = fields.flags;
    // The checksum: SmallTagIndex = Size.lo ^ Size.hi ^ Flags (§2.2).
    core[this.smallTagIndex] = core[this.size] ^ core[this.size + 1] ^ fields.flags;
    core[this.previousSize] = fields.previousSize & 0xff;
    core[this.previousSize + 1] = fields.previousSize >> 8;
    core[this.unusedBytes] = fields.unusedBytes;
    for (let i = 0; i < 8; i++) core[i] ^= this.key[i];
    space.write(at(entry, this.core), core);
  }

  /** UnusedBytes of a header this codec wrote. */
  readUnusedBytes(space: AddressSpace, entry: bigint): number {
    const offset = this.core + this.unusedBytes;
    return space.read(at(entry, offset), 1)[0] ^ this.key[this.unusedBytes];
  }

  /** Makes the header's checksum fail by flipping its (encoded) SmallTagIndex byte. */
  breakChecksum(space: AddressSpace, entry: bigint): void {
    const address = at(entry, this.core + this.smallTagIndex);
    space.u8(address, space.read(address, 1)[0] ^ 0x5a);
  }

  static ofHeap(space: AddressSpace, layout: Layout, heap: bigint): EntryCodec {
    const core = layout.off("_HEAP_ENTRY", "Size");
    return new EntryCodec(layout, space.read(at(heap, layout.off("_HEAP", "Encoding") + core), 8));
  }
}

/** Links LIST_ENTRYs into a circular doubly linked list headed by head, in the given order. */
function linkList(space: AddressSpace, layout: Layout, head: bigint, entries: bigint[]): void {
  const flink = layout.off("_LIST_ENTRY", "Flink");
  const blink = layout.off("_LIST_ENTRY", "Blink");
  const ring = [head, ...entries];
  ring.forEach((entry, i) => {
    space.ptr(at(entry, flink), ring[(i + 1) % ring.length]);
    space.ptr(at(entry, blink), ring[(i + ring.length - 1) % ring.length]);
  });
}

// ---------------------------------------------------------------------------------------------
// The plan: every size and offset, decided before any byte is written.

/** One LFH subsegment: its block size and, per block, the user request (null = free). */
interface SubsegmentPlan {
  blockGranules: number;
  firstAllocationOffset: number;
  requests: (number | null)[];
}

type BackendBlock =
  | { variant: "busy" | "tooLargeUnused" | "extended" | "extraPresent"; granules: number; request: number }
  | { variant: "free"; granules: number }
  | { variant: "userBlocks"; granules: number; request: number; subsegment: number }
  | { variant: "sentinel"; granules: number };

interface CommittedRun {
  /** From the segment base; the first run's blocks start at FirstEntry. */
  start: number;
  end: number;
  blocks: BackendBlock[];
}

interface SegmentPlan {
  reserve: number;
  firstEntry: number;
  runs: CommittedRun[];
  uncommitted: { start: number; size: number }[];
}

/** Segment 0's header area after the _HEAP, from the heap: its BlocksIndex and what that points to. */
interface ListLookupArea {
  listLookup: number;
  listsInUse: number;
  listHints: number;
  end: number;
}

class NtHeapWriter {
  private readonly random: Random;
  private readonly gran: number;
  private readonly ptrSize: number;
  private readonly win8Lfh: boolean;
  private codec!: EntryCodec;
  private heap = 0n;
  private lfhHeap = 0n;
  private busyPlanned = 0;
  private busyFilled = 0;
  private readonly freeBlocks: { address: bigint; granules: number }[] = [];

  constructor(
    private readonly space: AddressSpace,
    private readonly layout: Layout,
    private readonly lfhKey: number,
    private readonly spec: NtHeapSpec,
  ) {
    this.random = new Random(spec.seed);
    this.gran = layout.granularity;
    this.ptrSize = layout.pointerSize;
    // Windows 8+ UserBlocks carry EncodedOffsets and a busy bitmap; Windows 7 ones do not (§2.4).
    this.win8Lfh = layout.has("_HEAP_USERDATA_HEADER", "EncodedOffsets");
  }

  write(): HeapTruth {
    const { space, layout, spec } = this;
    const subsegments = spec.lfh ? this.planSubsegments() : [];
    const segments = Array.from({ length: spec.segments }, (_, i) => this.planSegment(i, subsegments));

    const bases = segments.map((plan) => space.reserve(plan.reserve));
    this.heap = bases[0];
    segments.forEach((plan, i) => {
      for (const run of plan.runs) {
        const start = run === plan.runs[0] ? 0 : run.start; // the first run holds the header area too
        space.commit(at(bases[i], start), run.end - start);
      }
    });
    this.codec = EntryCodec.randomKey(layout, this.random);

    const subsegmentAddresses = spec.lfh ? this.writeLfhHeap(subsegments.length) : [];
    const blocks: BlockTruth[] = [];
    const segmentTruths: SegmentTruth[] = [];
    const ucrListEntries: bigint[] = [];
    segments.forEach((plan, i) => {
      segmentTruths.push(this.writeSegment(bases[i], plan, this.ucrDescriptorsOffset(i), ucrListEntries));
      // !heap -a lists the segment's own header entry first (_HEAP_SEGMENT.Entry; in segment 0
      // it holds the _HEAP): heap bookkeeping, with UnusedBytes 1 (§2.2 pseudo-entry values).
      blocks.push(backendTruth(bases[i], at(bases[i], this.gran), plan.firstEntry, plan.firstEntry - UNUSED_SEGMENT_HEADER, "Internal"));
      for (const run of plan.runs) {
        // A loop, not push(...): a large image's run has more blocks than a call takes arguments.
        for (const truth of this.writeRun(bases[i], run, run === plan.runs[0] ? plan.firstEntry / this.gran : 0, subsegments, subsegmentAddresses)) blocks.push(truth);
      }
    });
    const virtualAllocs = this.writeVirtualAllocs();
    blocks.push(...virtualAllocs.map((v) => v.truth));
    this.writeHeapFields(segments, bases, ucrListEntries, virtualAllocs.map((v) => v.entry), virtualAllocs.reduce((sum, v) => sum + v.truth.size, 0));

    return {
      address: this.heap,
      type: "NT",
      flags: spec.flags,
      granularity: this.gran,
      listedIn: [], // the process writer lists the heap and says where
      segments: segmentTruths,
      blocks,
      lfh: spec.lfh,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Planning.

  /** A user request for a backend block: mostly small, some medium, a few large. */
  private backendRequest(): number {
    const { random } = this;
    if (random.chance(0.6)) return random.int(0x10, 0x80);
    if (random.chance(0.75)) return random.int(0x81, 0x400);
    return random.int(0x401, 0x1000);
  }

  /** Granules holding header + request: x64 data may use the next header's first 8 bytes (§2.2, §6c.4). */
  private granulesFor(request: number, headerGranules = 1): number {
    const spill = this.layout.off("_HEAP_ENTRY", "Size"); // PreviousBlockPrivateData: 8 on x64, 0 on x86
    return Math.ceil((request + headerGranules * this.gran - spill) / this.gran);
  }

  private planSubsegments(): SubsegmentPlan[] {
    const { random, layout, gran } = this;
    const chosen: { blockGranules: number; blocks?: number; request?: number }[] = this.spec.lfhSubsegments ?? this.randomBlockSizes().map((blockGranules) => ({ blockGranules }));
    return chosen.map(({ blockGranules, blocks, request }) => {
      const stride = blockGranules * gran;
      if (request !== undefined) this.checkLfhRequest(stride, request);
      const blockCount = blocks ?? random.int(8, 24);
      // Partly busy: at least one block of each state, the others at random.
      const forcedBusy = random.int(0, blockCount - 1);
      const forcedFree = (forcedBusy + random.int(1, blockCount - 1)) % blockCount;
      const busy = Array.from({ length: blockCount }, (_, i) => i === forcedBusy || (i !== forcedFree && random.chance(0.6)));
      // Busy: unused = stride - request, between 8 and 0x3E (§2.4 step 6: 0 would read as free).
      const requests = busy.map((b) => (b ? (request ?? stride - this.lfhUnusedBytes(stride)) : null));
      // Windows 8+: blocks follow the bitmap, 8-aligned (§2.4 step 3; granule-aligned here so user
      // data is); Windows 7: right after the header (§2.4 "Windows 7").
      const bitmapWords = Math.ceil(blockCount / (8 * this.ptrSize));
      const firstAllocationOffset = this.win8Lfh
        ? alignUp(layout.off("_HEAP_USERDATA_HEADER", "BitmapData") + bitmapWords * this.ptrSize, gran)
        : layout.size("_HEAP_USERDATA_HEADER");
      return { blockGranules, firstAllocationOffset, requests };
    });
  }

  /** 2 to 4 distinct LFH block sizes, in granules. */
  private randomBlockSizes(): number[] {
    const { random } = this;
    const allSizes = this.gran === 16 ? [2, 3, 4, 6, 8, 10] : [2, 3, 4, 6, 8, 12];
    // +ust blocks hold 3 granules of headers before the user data (§2.7).
    const sizes = this.spec.ust ? allSizes.filter((granules) => granules > EXTENDED_ENTRY_GRANULES + 1) : allSizes;
    const chosen: number[] = [];
    const count = random.int(2, 4);
    while (chosen.length < count) {
      const size = random.pick(sizes);
      if (!chosen.includes(size)) chosen.push(size);
    }
    return chosen;
  }

  /** A chosen LFH request must leave the unused bytes lfhUnusedBytes would: 8 to 0x3E, +ust at least the 3 header granules. */
  private checkLfhRequest(stride: number, request: number): void {
    const unused = stride - request;
    const fits = this.spec.ust ? unused >= (EXTENDED_ENTRY_GRANULES + 1) * this.gran : unused >= 8 && unused <= 0x3e;
    if (!fits) throw new Error(`an LFH request of 0x${request.toString(16)} bytes does not fit blocks of 0x${stride.toString(16)}`);
  }

  /** Busy LFH block: unused = stride - request, 8 to 0x3E (§2.4 step 6: 0 reads as free); +ust: past the 3 header granules. */
  private lfhUnusedBytes(stride: number): number {
    if (!this.spec.ust) return this.random.int(8, Math.min(0x3e, stride - 1));
    const headers = (EXTENDED_ENTRY_GRANULES + 1) * this.gran;
    return headers + this.random.int(0, Math.min(0x20, stride - headers - 1));
  }

  /**
   * Segment i: uncommitted ranges in the middle and at the end, in the middle only, none, at the
   * end only, in turn. Reservations are 64 KiB multiples; each committed run ends at a page
   * boundary, where a free block takes up what its blocks leave (as the backend leaves it, §2.2),
   * followed by the 4-granule sentinel when an uncommitted range follows (§6c.5).
   */
  private planSegment(index: number, subsegments: SubsegmentPlan[]): SegmentPlan {
    const { random, layout, gran } = this;
    const [middleGap, endGap] = GAP_PATTERNS[index % GAP_PATTERNS.length];
    const gapCount = Number(middleGap) + Number(endGap);
    const firstEntry = alignUp(this.ucrDescriptorsOffset(index) + gapCount * layout.size("_HEAP_UCR_DESCRIPTOR"), gran);
    const runCount = middleGap ? 2 : 1;
    const runs: CommittedRun[] = [];
    const uncommitted: { start: number; size: number }[] = [];
    let cursor = firstEntry;
    for (let r = 0; r < runCount; r++) {
      const blocks = this.planBlocks(Math.ceil(this.spec.blocksPerSegment / runCount));
      if (r === 0 && this.spec.leak) {
        const { request, count } = this.spec.leak;
        const share = Math.ceil(count / this.spec.segments);
        const planted = Math.min(share, count - index * share);
        for (let i = 0; i < planted; i++) {
          const block: BackendBlock = this.spec.ust ? this.tracedBlock(request) : { variant: "busy", granules: this.granulesFor(request), request };
          blocks.splice(random.int(0, blocks.length - 1), 0, block);
        }
      }
      if (r === 0) {
        // LFH UserBlocks spread over the segments' first runs; a busy block never joins two free ones.
        subsegments.forEach((plan, k) => {
          if (k % this.spec.segments !== index) return;
          const request = plan.firstAllocationOffset + plan.requests.length * plan.blockGranules * gran;
          blocks.splice(random.int(0, blocks.length), 0, { variant: "userBlocks", granules: this.granulesFor(request), request, subsegment: k });
        });
      }
      const lastRun = r === runCount - 1;
      const followedByGap = !lastRun || endGap;
      const sentinelBytes = followedByGap ? SENTINEL_GRANULES * gran : 0;
      const used = cursor + blocks.reduce((sum, b) => sum + b.granules * gran, 0);
      const end = alignUp(used + 2 * gran + sentinelBytes, followedByGap ? PAGE : ALLOCATION_GRANULARITY);
      blocks.push({ variant: "free", granules: (end - sentinelBytes - used) / gran });
      if (followedByGap) blocks.push({ variant: "sentinel", granules: SENTINEL_GRANULES });
      runs.push({ start: cursor, end, blocks });
      cursor = end;
      if (followedByGap) {
        const gapEnd = lastRun ? alignUp(end + 2 * PAGE, ALLOCATION_GRANULARITY) : end + random.int(1, 4) * PAGE;
        uncommitted.push({ start: end, size: gapEnd - end });
        cursor = gapEnd;
      }
    }
    return { reserve: cursor, firstEntry, runs, uncommitted };
  }

  /**
   * count blocks, busy and free interleaved (never two free ones together: Windows coalesces
   * them), ending busy so that the free block closing the run has a busy neighbour.
   */
  private planBlocks(count: number): BackendBlock[] {
    const { random, gran } = this;
    const blocks: BackendBlock[] = [];
    for (let i = 0; i < count; i++) {
      if (blocks[blocks.length - 1]?.variant !== "free" && random.chance(0.3)) {
        blocks.push({ variant: "free", granules: random.int(2, 0x400 / gran) });
      } else {
        blocks.push(this.planBusyBlock());
      }
    }
    if (blocks[blocks.length - 1]?.variant === "free") blocks.push(this.planBusyBlock());
    return blocks;
  }

  /**
   * With spec.escapes the heap's 2nd busy block uses the 0x40 escape and its 3rd the 0x3F one
   * (x64 only: the x86 location of the count is UNVERIFIED, §2.2), later ones at random.
   */
  private planBusyBlock(): BackendBlock {
    const { random, gran } = this;
    const ordinal = ++this.busyPlanned;
    const request = this.backendRequest();
    const { ust } = this.spec;
    if (ust && ordinal > ust.untracedBlocks) return this.tracedBlock(request);
    let variant: "busy" | "tooLargeUnused" | "extended" = "busy";
    if (this.spec.escapes) {
      const draw = random.u32() / 0x1_0000_0000;
      if (!ust && (ordinal === 2 || (ordinal > 3 && draw < 0.07))) variant = "extended";
      else if (gran === 16 && (ordinal === 3 || (ordinal > 3 && draw < 0.14))) variant = "tooLargeUnused";
    }
    switch (variant) {
      case "extended":
        return { variant, granules: this.granulesFor(request, EXTENDED_ENTRY_GRANULES + 1), request };
      case "tooLargeUnused":
        // At least 0x3F unused bytes: the count does not fit UnusedBytes' 6 bits (§2.2).
        return { variant, granules: Math.ceil((request + UNUSED_TOO_LARGE) / gran) + random.int(0, 3), request };
      case "busy":
        return { variant, granules: this.granulesFor(request), request };
    }
  }

  /** A +ust block (§2.7): Windows 8+ extended, Windows 7 header + data + _HEAP_ENTRY_EXTRA granule. */
  private tracedBlock(request: number): BackendBlock {
    if (this.win8Lfh) return { variant: "extended", granules: this.granulesFor(request, EXTENDED_ENTRY_GRANULES + 1), request };
    return { variant: "extraPresent", granules: Math.ceil(request / this.gran) + 2, request };
  }

  /** The _HEAP_LIST_LOOKUP, its ListsInUseUlong bitmap and ListHints array, after the _HEAP. */
  private listLookupArea(): ListLookupArea {
    const { layout, ptrSize } = this;
    const listLookup = alignUp(layout.size("_HEAP"), 2 * ptrSize);
    const listsInUse = listLookup + layout.size("_HEAP_LIST_LOOKUP");
    const listHints = alignUp(listsInUse + LIST_LOOKUP_ARRAY_SIZE / 8, ptrSize);
    return { listLookup, listsInUse, listHints, end: listHints + LIST_LOOKUP_ARRAY_SIZE * ptrSize };
  }

  /** A segment's UCR descriptors follow its header structures, inside the header block (§2.2). */
  private ucrDescriptorsOffset(segmentIndex: number): number {
    const headerStructures = segmentIndex === 0 ? this.listLookupArea().end : this.layout.size("_HEAP_SEGMENT");
    return alignUp(headerStructures, 2 * this.ptrSize);
  }

  // -------------------------------------------------------------------------------------------
  // Writing.

  /** _HEAP_SEGMENT fields (the _HEAP's own for segment 0, §1.2), its header block and UCRs. */
  private writeSegment(base: bigint, plan: SegmentPlan, ucrDescriptors: number, ucrListEntries: bigint[]): SegmentTruth {
    const { space, layout } = this;
    const field = (name: string) => at(base, layout.off("_HEAP_SEGMENT", name));
    space.u32(field("SegmentSignature"), SEGMENT_SIGNATURE);
    space.ptr(field("Heap"), this.heap);
    space.ptr(field("BaseAddress"), base);
    space.u32(field("NumberOfPages"), plan.reserve / PAGE);
    space.ptr(field("FirstEntry"), at(base, plan.firstEntry));
    space.ptr(field("LastValidEntry"), at(base, plan.reserve));
    const uncommittedBytes = plan.uncommitted.reduce((sum, u) => sum + u.size, 0);
    space.u32(field("NumberOfUnCommittedPages"), uncommittedBytes / PAGE);
    space.u32(field("NumberOfUnCommittedRanges"), plan.uncommitted.length);
    // The segment header is a busy block of its own, covering everything up to FirstEntry (§2.2).
    this.codec.write(space, base, { size: plan.firstEntry / this.gran, flags: FLAG_BUSY, previousSize: 0, unusedBytes: UNUSED_SEGMENT_HEADER });

    const descriptorSize = layout.size("_HEAP_UCR_DESCRIPTOR");
    const descriptors = plan.uncommitted.map((u, i) => {
      const descriptor = at(base, ucrDescriptors + i * descriptorSize);
      space.ptr(at(descriptor, layout.off("_HEAP_UCR_DESCRIPTOR", "Address")), at(base, u.start));
      space.ptr(at(descriptor, layout.off("_HEAP_UCR_DESCRIPTOR", "Size")), BigInt(u.size));
      ucrListEntries.push(at(descriptor, layout.off("_HEAP_UCR_DESCRIPTOR", "ListEntry")));
      return at(descriptor, layout.off("_HEAP_UCR_DESCRIPTOR", "SegmentEntry"));
    });
    linkList(space, layout, field("UCRSegmentList"), descriptors);

    return {
      address: base,
      baseAddress: base,
      firstEntry: at(base, plan.firstEntry),
      lastValidEntry: at(base, plan.reserve),
      committedBytes: plan.reserve - uncommittedBytes,
      uncommittedRanges: plan.uncommitted.map((u) => ({ address: at(base, u.start), size: u.size })),
    };
  }

  /** The blocks of one committed run; PreviousSize starts at the header block's size or 0 after a UCR. */
  private writeRun(base: bigint, run: CommittedRun, previousSize: number, subsegments: SubsegmentPlan[], subsegmentAddresses: bigint[]): BlockTruth[] {
    const { space, gran, layout } = this;
    const truths: BlockTruth[] = [];
    let entry = at(base, run.start);
    for (const block of run.blocks) {
      const size = block.granules * gran;
      const header = (flags: number, unusedBytes: number) => this.codec.write(space, entry, { size: block.granules, flags, previousSize, unusedBytes });
      switch (block.variant) {
        case "busy":
          header(FLAG_BUSY, size - block.request);
          this.fillUserData(at(entry, gran), block.request);
          truths.push(this.untraced(backendTruth(entry, at(entry, gran), size, block.request, "Busy")));
          break;
        case "tooLargeUnused":
          // The real count sits in the next header's PreviousBlockPrivateData (§2.2) — x64 only.
          header(FLAG_BUSY, UNUSED_TOO_LARGE);
          space.ptr(at(entry, size), BigInt(size - block.request));
          this.fillUserData(at(entry, gran), block.request);
          truths.push(this.untraced(backendTruth(entry, at(entry, gran), size, block.request, "Busy")));
          break;
        case "extended": {
          // §2.2 / §2.7: UnusedBytes 0x40|2, the clear _HEAP_EXTENDED_ENTRY 2 granules on, user data after it.
          header(FLAG_BUSY, UNUSED_EXTENDED | EXTENDED_ENTRY_GRANULES);
          const user = this.writeExtendedEntry(entry, size - block.request);
          this.fillUserData(user, block.request);
          truths.push(backendTruth(entry, user, size, block.request, "Busy", this.extendedEntryTrace(entry)));
          break;
        }
        case "extraPresent": {
          // §2.7 Windows 7: the trace index in the _HEAP_ENTRY_EXTRA of the block's last granule.
          header(FLAG_BUSY | FLAG_EXTRA_PRESENT, size - block.request);
          const trace = this.spec.ust!.nextTrace();
          space.u16(at(entry, size - gran + layout.off("_HEAP_ENTRY_EXTRA", "AllocatorBackTraceIndex")), trace.index);
          this.fillUserData(at(entry, gran), block.request);
          truths.push(backendTruth(entry, at(entry, gran), size, block.request, "Busy", { stack: trace.stack }));
          break;
        }
        case "free":
          header(0, 0);
          this.freeBlocks.push({ address: entry, granules: block.granules });
          truths.push(backendTruth(entry, at(entry, gran), size, 0, "Free"));
          break;
        case "userBlocks":
          // An "internal" busy block (flag 0x08) holding the _HEAP_USERDATA_HEADER (§2.4 step 2b).
          header(FLAG_BUSY | FLAG_VIRTUAL_ALLOC, size - block.request);
          truths.push(backendTruth(entry, at(entry, gran), size, block.request, "Internal"));
          truths.push(...this.writeUserBlocks(at(entry, gran), subsegments[block.subsegment], subsegmentAddresses[block.subsegment]));
          break;
        case "sentinel":
          header(FLAG_BUSY, UNUSED_UNCOMMITTED_SENTINEL);
          truths.push(backendTruth(entry, at(entry, gran), size, size - UNUSED_UNCOMMITTED_SENTINEL, "Internal"));
          break;
      }
      previousSize = block.granules;
      entry = at(entry, size);
    }
    return truths;
  }

  /**
   * The clear _HEAP_EXTENDED_ENTRY 2 granules after entry (§2.7: FunctionIndex 1, ContextValue 0,
   * EntryOffset 2, signature 5; UnusedBytesLength the real unused count). Returns the user data.
   */
  private writeExtendedEntry(entry: bigint, unusedBytes: number): bigint {
    const { space, layout, gran } = this;
    const extended = at(entry, EXTENDED_ENTRY_GRANULES * gran);
    space.u16(at(extended, layout.off("_HEAP_ENTRY", "FunctionIndex")), EXTENDED_FUNCTION_INDEX);
    space.u16(at(extended, layout.off("_HEAP_ENTRY", "ContextValue")), 0);
    space.u16(at(extended, layout.off("_HEAP_ENTRY", "UnusedBytesLength")), unusedBytes);
    space.u8(at(extended, layout.off("_HEAP_ENTRY", "EntryOffset")), EXTENDED_ENTRY_GRANULES);
    space.u8(at(extended, layout.off("_HEAP_ENTRY", "ExtendedBlockSignature")), EXTENDED_BLOCK_SIGNATURE);
    return at(extended, gran);
  }

  /** The +ust trace slot right after an extended block's _HEAP_ENTRY (§2.7): the record, or 0 without +ust. */
  private extendedEntryTrace(entry: bigint): Pick<BlockTruth, "stack"> {
    const trace = this.spec.ust?.nextTrace();
    this.space.ptr(at(entry, this.gran), trace?.record ?? 0n);
    return trace ? { stack: trace.stack } : {};
  }

  /** A busy block without a trace: with +ust, one allocated before tracing began. */
  private untraced(truth: BlockTruth): BlockTruth {
    return this.spec.ust ? { ...truth, noStack: "BeforeTracing" } : truth;
  }

  /** The _LFH_HEAP and, after it in the same reservation, one _HEAP_SUBSEGMENT per subsegment. */
  private writeLfhHeap(subsegmentCount: number): bigint[] {
    const { space, layout } = this;
    // The x64 Windows 7 layout has no _LFH_HEAP (§1.6 gives only x86): the reservation stays blank.
    const known = layout.has("_LFH_HEAP", "Heap");
    const subsegmentsStart = alignUp(known ? layout.size("_LFH_HEAP") : 0, 0x40);
    const bytes = alignUp(subsegmentsStart + subsegmentCount * layout.size("_HEAP_SUBSEGMENT"), PAGE);
    this.lfhHeap = space.reserve(bytes);
    space.commit(this.lfhHeap, bytes);
    if (known) space.ptr(at(this.lfhHeap, layout.off("_LFH_HEAP", "Heap")), this.heap);
    return Array.from({ length: subsegmentCount }, (_, k) => at(this.lfhHeap, subsegmentsStart + k * layout.size("_HEAP_SUBSEGMENT")));
  }

  /** A UserBlocks: _HEAP_USERDATA_HEADER, its subsegment, and the LFH blocks (§1.6, §2.4). */
  private writeUserBlocks(userBlocks: bigint, plan: SubsegmentPlan, subsegment: bigint): BlockTruth[] {
    const { space, layout, gran } = this;
    const stride = plan.blockGranules * gran;
    const count = plan.requests.length;
    const header = (name: string) => at(userBlocks, layout.off("_HEAP_USERDATA_HEADER", name));
    const subsegmentField = (name: string) => at(subsegment, layout.off("_HEAP_SUBSEGMENT", name));

    space.ptr(subsegmentField("UserBlocks"), userBlocks);
    space.u16(subsegmentField("BlockSize"), plan.blockGranules);
    space.u16(subsegmentField("BlockCount"), count);
    space.u16(subsegmentField("AggregateExchg.Depth"), plan.requests.filter((r) => r === null).length); // free count (§2.4 step 7)

    space.ptr(header("SubSegment"), subsegment);
    if (this.win8Lfh) {
      space.u32(header("Signature"), USERDATA_SIGNATURE);
      // §2.4 step 3: (FirstAllocationOffset | BlockStride << 16) ^ UserBlocks ^ LfhHeap ^ RtlpLFHKey.
      const offsets = (plan.firstAllocationOffset | (stride << 16)) ^ low32(userBlocks) ^ low32(this.lfhHeap) ^ this.lfhKey;
      space.u32(header("EncodedOffsets.StrideAndOffset"), offsets >>> 0);
      const bitmap = header("BitmapData");
      space.ptr(header("BusyBitmap.SizeOfBitMap"), BigInt(count));
      space.ptr(header("BusyBitmap.Buffer"), bitmap);
      plan.requests.forEach((request, i) => {
        if (request === null) return;
        const byte = at(bitmap, i >> 3);
        space.u8(byte, space.read(byte, 1)[0] | (1 << (i & 7)));
      });
    } else {
      space.ptr(header("Signature"), BigInt(USERDATA_SIGNATURE)); // SIZE_T on Windows 7 (§1.6)
    }

    const unusedBytesOffset = layout.off("_HEAP_ENTRY", "UnusedBytes");
    return plan.requests.map((request, i) => {
      const block = at(userBlocks, plan.firstAllocationOffset + i * stride);
      this.writeLfhBlockCode(block, userBlocks, subsegment);
      if (request === null) {
        // §2.4 step 6: 0x80 marks LFH; the low 6 bits are the unused count, 0 when free.
        space.u8(at(block, unusedBytesOffset), UNUSED_LFH);
        return { address: block, userAddress: at(block, gran), size: stride, userSize: 0, kind: "LFH", state: "Free" } satisfies BlockTruth;
      }
      if (!this.spec.ust) {
        space.u8(at(block, unusedBytesOffset), UNUSED_LFH | (stride - request));
        this.fillUserData(at(block, gran), request);
        return { address: block, userAddress: at(block, gran), size: stride, userSize: request, kind: "LFH", state: "Busy" } satisfies BlockTruth;
      }
      // +ust (§2.7): UnusedBytes 0xC2, the trace slot and the extended entry as on backend blocks.
      space.u8(at(block, unusedBytesOffset), UNUSED_LFH | UNUSED_EXTENDED | EXTENDED_ENTRY_GRANULES);
      const user = this.writeExtendedEntry(block, stride - request);
      const trace = this.extendedEntryTrace(block);
      this.fillUserData(user, request);
      return { address: block, userAddress: user, size: stride, userSize: request, kind: "LFH", state: "Busy", ...trace } satisfies BlockTruth;
    });
  }

  /** The LFH block header's code (§2.4 step 6; Windows 7: §2.4 "Windows 7", UNVERIFIED). */
  private writeLfhBlockCode(block: bigint, userBlocks: bigint, subsegment: bigint): void {
    const { space, layout, lfhKey } = this;
    const heap32 = low32(this.heap);
    if (this.win8Lfh) {
      // ((Code ^ RtlpLFHKey ^ Heap ^ (block >> 4)) >> 12) == block - UserBlocks, low 16 bits 0 (x64);
      // x86: block >> 3 and >> 13.
      const [blockShift, offsetShift] = this.gran === 16 ? [4n, 12] : [3n, 13];
      const offset = Number(block - userBlocks);
      const code = (offset << offsetShift) ^ lfhKey ^ heap32 ^ low32(block >> blockShift);
      space.u32(at(block, layout.off("_HEAP_ENTRY", "SubSegmentCode")), code >>> 0);
    } else if (this.gran === 8) {
      // x86: SubSegment = Code ^ (block >> 3) ^ RtlpLFHKey ^ Heap.
      const code = low32(subsegment) ^ low32(block >> 3n) ^ lfhKey ^ heap32;
      space.u32(at(block, layout.off("_HEAP_ENTRY", "SubSegmentCode")), code >>> 0);
    } else {
      // x64: SubSegment = (((block ^ Heap) >> 4) ^ low 40 bits of the qword at +8 ^ RtlpLFHKey) << 4.
      const mask40 = (1n << 40n) - 1n;
      if (subsegment >> 4n > mask40) throw new Error(`subsegment ${subsegment.toString(16)} does not fit the Windows 7 x64 code`);
      const code = ((subsegment >> 4n) ^ ((block ^ this.heap) >> 4n) ^ BigInt(lfhKey)) & mask40;
      const bytes = new Uint8Array(5);
      for (let i = 0; i < 5; i++) bytes[i] = Number((code >> BigInt(8 * i)) & 0xffn);
      space.write(at(block, layout.off("_HEAP_ENTRY", "AgregateCode")), bytes);
    }
  }

  /** §2.3: a page-aligned reservation per block, its _HEAP_VIRTUAL_ALLOC_ENTRY at the start. */
  private writeVirtualAllocs(): { entry: bigint; truth: BlockTruth }[] {
    const { space, layout, gran } = this;
    const entrySize = layout.size("_HEAP_VIRTUAL_ALLOC_ENTRY");
    const field = (entry: bigint, name: string) => at(entry, layout.off("_HEAP_VIRTUAL_ALLOC_ENTRY", name));
    return this.spec.virtualAllocs.map((request) => {
      const commitSize = alignUp(request + entrySize, PAGE);
      const reserveSize = alignUp(commitSize, ALLOCATION_GRANULARITY);
      const entry = space.reserve(reserveSize);
      space.commit(entry, commitSize);
      space.ptr(field(entry, "CommitSize"), BigInt(commitSize));
      space.ptr(field(entry, "ReserveSize"), BigInt(reserveSize));
      // +ust (§2.7): Windows 7 keeps the trace index in ExtraStuff; Windows 8+ big blocks carry no trace.
      const trace = this.spec.ust && !this.win8Lfh ? this.spec.ust.nextTrace() : undefined;
      if (trace) space.u16(at(field(entry, "ExtraStuff"), layout.off("_HEAP_ENTRY_EXTRA", "AllocatorBackTraceIndex")), trace.index);
      // BusyBlock.Size holds the unused byte count, not a size (§2.3).
      const busyBlock = field(entry, "BusyBlock");
      const flags = FLAG_BUSY | FLAG_VIRTUAL_ALLOC | (trace ? FLAG_EXTRA_PRESENT : 0);
      this.codec.write(space, busyBlock, { size: commitSize - request - entrySize, flags, previousSize: 0, unusedBytes: UNUSED_VIRTUAL_ALLOC });
      const user = at(busyBlock, gran);
      this.fillUserData(user, request);
      const truth: BlockTruth = { address: busyBlock, userAddress: user, size: commitSize, userSize: request, kind: "VirtualAlloc", state: "Busy" };
      if (trace) truth.stack = trace.stack;
      else if (this.spec.ust) truth.noStack = "VirtualAllocNoTrace";
      return { entry: field(entry, "Entry"), truth };
    });
  }

  /** The _HEAP's own fields (§1.2), its lists, free lists and counters. */
  private writeHeapFields(segments: SegmentPlan[], bases: bigint[], ucrListEntries: bigint[], virtualAllocEntries: bigint[], virtualBytes: number): void {
    const { space, layout, random, gran, heap } = this;
    const field = (name: string) => at(heap, layout.off("_HEAP", name));
    space.u32(field("Flags"), this.spec.flags);
    space.u32(field("EncodeFlagMask"), ENCODE_FLAG_MASK);
    space.write(at(field("Encoding"), this.codec.core), this.codec.key);
    space.u32(field("Signature"), HEAP_SIGNATURE);
    // In granules (§2.3): 64 KiB, above every request the segments serve here, so that the images'
    // small VirtualAlloc'd blocks (0x11000 and up) are consistent with it.
    space.u32(field("VirtualMemoryThreshold"), ALLOCATION_GRANULARITY / gran);
    space.ptr(field("SegmentReserve"), 0x100000n);
    space.ptr(field("SegmentCommit"), 0x2000n);
    space.ptr(field("DeCommitFreeBlockThreshold"), 0x100n);
    space.ptr(field("DeCommitTotalFreeThreshold"), 0x1000n);
    space.ptr(field("MaximumAllocationSize"), gran === 16 ? 0x7ffffffdefffn : 0x7ffdefffn);
    space.u16(field("HeaderValidateLength"), layout.size("_HEAP"));
    space.ptr(field("AlignRound"), BigInt(2 * gran - 1));
    space.ptr(field("AlignMask"), (1n << BigInt(8 * this.ptrSize)) - BigInt(gran));

    linkList(space, layout, field("SegmentList"), bases.map((base) => at(base, layout.off("_HEAP_SEGMENT", "SegmentListEntry"))));
    linkList(space, layout, field("UCRList"), ucrListEntries);
    linkList(space, layout, field("VirtualAllocdBlocks"), virtualAllocEntries);
    this.writeFreeLists(this.listLookupArea());

    if (this.spec.lfh) {
      space.ptr(field("FrontEndHeap"), this.lfhHeap);
      space.u8(field("FrontEndHeapType"), FRONT_END_LFH);
    }

    const counter = (name: string) => field(`Counters.${name}`);
    const reserved = segments.reduce((sum, s) => sum + s.reserve, 0);
    const uncommitted = segments.reduce((sum, s) => sum + s.uncommitted.reduce((u, r) => u + r.size, 0), 0);
    space.ptr(counter("TotalMemoryReserved"), BigInt(reserved));
    space.ptr(counter("TotalMemoryCommitted"), BigInt(reserved - uncommitted));
    space.ptr(counter("TotalMemoryLargeUCR"), 0n);
    space.ptr(counter("TotalSizeInVirtualBlocks"), BigInt(virtualBytes));
    space.u32(counter("TotalSegments"), segments.length);
    space.u32(counter("TotalUCRs"), ucrListEntries.length);
    space.u32(counter("LockAcquires"), random.int(0x100, 0x4000));
    space.u32(counter("LockCollisions"), random.int(1, 12));
  }

  /**
   * _HEAP.FreeLists: every free block through _HEAP_FREE_ENTRY.FreeList, sorted by size (§2.2);
   * BlocksIndex → a _HEAP_LIST_LOOKUP whose ListHints point at the first free block of each size
   * below ArraySize, ListsInUseUlong marking them ([REACTOS heap.h], §1.5). TotalFreeSize in granules.
   */
  private writeFreeLists(area: ListLookupArea): void {
    const { space, layout, heap } = this;
    const sorted = [...this.freeBlocks].sort((a, b) => a.granules - b.granules || (a.address < b.address ? -1 : 1));
    const listEntry = (block: { address: bigint }) => at(block.address, layout.off("_HEAP_FREE_ENTRY", "FreeList"));
    const freeLists = at(heap, layout.off("_HEAP", "FreeLists"));
    linkList(space, layout, freeLists, sorted.map(listEntry));
    space.ptr(at(heap, layout.off("_HEAP", "TotalFreeSize")), BigInt(sorted.reduce((sum, b) => sum + b.granules, 0)));

    const lookup = at(heap, area.listLookup);
    const lookupField = (name: string) => at(lookup, layout.off("_HEAP_LIST_LOOKUP", name));
    space.ptr(at(heap, layout.off("_HEAP", "BlocksIndex")), lookup);
    space.u32(lookupField("ArraySize"), LIST_LOOKUP_ARRAY_SIZE);
    space.u32(lookupField("ItemCount"), sorted.length);
    space.u32(lookupField("OutOfRangeItems"), sorted.filter((b) => b.granules >= LIST_LOOKUP_ARRAY_SIZE).length);
    space.ptr(lookupField("ListHead"), freeLists);
    space.ptr(lookupField("ListsInUseUlong"), at(heap, area.listsInUse));
    space.ptr(lookupField("ListHints"), at(heap, area.listHints));
    for (const block of sorted) {
      if (block.granules >= LIST_LOOKUP_ARRAY_SIZE) continue;
      const hint = at(heap, area.listHints + block.granules * this.ptrSize);
      if (space.readPtr(hint) !== 0n) continue; // the first of its size only
      space.ptr(hint, listEntry(block));
      const inUse = at(heap, area.listsInUse + (block.granules >> 3));
      space.u8(inUse, space.read(inUse, 1)[0] | (1 << (block.granules & 7)));
    }
  }

  /**
   * Bytes 0x80..0xFF only, so that the search patterns (all bytes below 0x80) appear exactly
   * where planted: a u32 pattern in every 4th busy block, a u64 one in every 6th (others).
   */
  private fillUserData(user: bigint, length: number): void {
    const { random } = this;
    // Whole little-endian words (every host the writers run on is little-endian), cut to length.
    const words = new Uint32Array(Math.ceil(length / 4));
    for (let i = 0; i < words.length; i++) words[i] = random.u32() | 0x80808080;
    const bytes = new Uint8Array(words.buffer, 0, length);
    const ordinal = this.busyFilled++;
    if (ordinal % 4 === 1 && length >= 4) {
      new DataView(bytes.buffer).setUint32(4 * random.int(0, (length - 4) >> 2), SEARCH_PATTERN_U32, true);
    } else if (ordinal % 6 === 2 && length >= 8) {
      new DataView(bytes.buffer).setBigUint64(8 * random.int(0, (length - 8) >> 3), SEARCH_PATTERN_U64, true);
    }
    this.space.write(user, bytes);
  }
}

function backendTruth(address: bigint, userAddress: bigint, size: number, userSize: number, state: BlockTruth["state"], trace: Pick<BlockTruth, "stack"> = {}): BlockTruth {
  return { address, userAddress, size, userSize, kind: "Backend", state, ...trace };
}

/**
 * Writes a complete NT heap into space at a fresh reservation: the _HEAP (its own first segment),
 * spec.segments segments, spec.virtualAllocs big blocks, and with spec.lfh an LFH front end whose
 * block codes use keys.lfhKey (ntdll!RtlpLFHKey, written by the caller). Deterministic in spec.seed.
 * The truth's listedIn is left empty for the caller that lists the heap.
 */
export function writeNtHeap(space: AddressSpace, layout: Layout, keys: { lfhKey: number }, spec: NtHeapSpec): HeapTruth {
  if (spec.segments < 1) throw new Error("an NT heap has at least one segment (itself)");
  if (spec.ust && spec.lfh && !layout.has("_HEAP_USERDATA_HEADER", "EncodedOffsets")) {
    throw new Error("no LFH with +ust on Windows 7 (the notes' reading, §2.7)");
  }
  return new NtHeapWriter(space, layout, keys.lfhKey >>> 0, spec).write();
}

// ---------------------------------------------------------------------------------------------
// Corruption helpers: what a correct walker returns once one segment's walk has to stop.

/** The backend blocks after a segment's header, in address order (LFH blocks live inside their UserBlocks). */
function backendBlocksOf(heap: HeapTruth, segmentIndex: number): BlockTruth[] {
  const segment = heap.segments[segmentIndex];
  if (!segment) throw new Error(`heap ${heap.address.toString(16)} has no segment ${segmentIndex}`);
  return heap.blocks.filter((b) => b.kind === "Backend" && segment.firstEntry <= b.address && b.address < segment.lastValidEntry);
}

/** The truth with segment segmentIndex's walk ending before the backend block at stopAt. */
function truthStoppingAt(heap: HeapTruth, segmentIndex: number, stopAt: bigint): HeapTruth {
  const segment = heap.segments[segmentIndex];
  const lost = (b: BlockTruth) => b.kind === "Backend" && segment.baseAddress <= b.address && b.address < segment.lastValidEntry && b.address >= stopAt;
  const lostContainers = heap.blocks.filter((b) => lost(b) && b.state === "Internal");
  const insideLost = (b: BlockTruth) => b.kind === "LFH" && lostContainers.some((c) => c.userAddress <= b.address && b.address < c.address + BigInt(c.size));
  return { ...heap, blocks: heap.blocks.filter((b) => !lost(b) && !insideLost(b)) };
}

function targetBlock(heap: HeapTruth, segmentIndex: number, blockOrdinal: number): BlockTruth {
  const target = backendBlocksOf(heap, segmentIndex)[blockOrdinal];
  if (!target) throw new Error(`segment ${segmentIndex} has no backend block ${blockOrdinal}`);
  return target;
}

/**
 * Breaks the checksum of the blockOrdinal-th backend block of a segment (0 = the first after the
 * header). expected: the segment's blocks before it, every other segment's, the VirtualAlloc
 * blocks, and the LFH blocks of every UserBlocks still reached.
 */
export function corruptHeader(space: AddressSpace, layout: Layout, heap: HeapTruth, segmentIndex: number, blockOrdinal: number): { address: bigint; expected: HeapTruth } {
  const target = targetBlock(heap, segmentIndex, blockOrdinal);
  EntryCodec.ofHeap(space, layout, heap.address).breakChecksum(space, target.address);
  return { address: target.address, expected: truthStoppingAt(heap, segmentIndex, target.address) };
}

/**
 * Drops the page holding the blockOrdinal-th backend block's header from the dump. expected: the
 * segment's walk ends before the first block that touches the page — including a block whose
 * 0x3F count (§2.2) lies in it, in the next header's first bytes.
 */
export function dropPage(space: AddressSpace, layout: Layout, heap: HeapTruth, segmentIndex: number, blockOrdinal: number): { address: bigint; expected: HeapTruth } {
  const target = targetBlock(heap, segmentIndex, blockOrdinal);
  const page = target.address & ~BigInt(PAGE - 1);
  if (page < heap.segments[segmentIndex].firstEntry) throw new Error(`the page of ${target.address.toString(16)} holds the segment header`);
  const codec = EntryCodec.ofHeap(space, layout, heap.address);
  const extentEnd = (b: BlockTruth) => b.address + BigInt(b.size) + BigInt(codec.readUnusedBytes(space, b.address) === UNUSED_TOO_LARGE ? codec.core : 0);
  const firstTouching = backendBlocksOf(heap, segmentIndex).find((b) => extentEnd(b) > page && b.address < page + BigInt(PAGE))!;
  space.drop(page, PAGE);
  return { address: page, expected: truthStoppingAt(heap, segmentIndex, firstTouching.address) };
}
