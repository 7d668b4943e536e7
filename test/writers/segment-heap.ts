// Writes a complete Windows segment heap (page segments in both segment contexts, their page
// range descriptors, VS and LFH subsegments, backend page ranges, Large blocks) into an
// AddressSpace, following docs/heap-structures.md ("§" below: §1.9 layouts, §2.5 walk), and
// returns the truth of every block placed. Offsets and bit positions come from the Layout's ISF.
// Nothing here reads the extension's code: the walk that reads these bytes is written separately.
import { SEARCH_PATTERN_U32, SEARCH_PATTERN_U64 } from "./ntheap";
import type { AddressSpace, BlockTruth, HeapTruth, Layout, SegmentHeapSummaryTruth, SegmentTruth } from "./types";
import { Random } from "./random";


export interface SegmentHeapSpec {
  seed: number;
  /**
   * LargeAllocMetadata with RTL_RB_TREE.Encoded set: Root stored as root ^ &tree and each child
   * link as child ^ &node, the notes' reading (§2.5 step 5, UNVERIFIED).
   */
  encodedLargeTree: boolean;
  /** A leak to plant: `count` more busy blocks of `request` bytes, where route() sends that size. */
  leak?: { request: number; count: number };
}

/** ntdll!RtlpHpHeapGlobals as the process writes it (§2.5 "Keys"). */
export interface SegmentHeapKeys {
  /** HeapKey, pointer-sized. */
  heapKey: bigint;
  /** LfhKey; the LFH uses its low 32 bits. */
  lfhKey: bigint;
}

const PAGE = 0x1000;
const ALLOCATION_GRANULARITY = 0x10000;

const SEGMENT_HEAP_SIGNATURE = 0xddeeddee; // §1.9
/** HEAP_GROWABLE (§1.2 flag list): the notes give no real GlobalFlags of a segment heap. */
const GLOBAL_FLAGS = 0x2;
/** §2.5 step 1: the segment signature's constant before build 26100; none from 26100. */
const SEGMENT_SIGNATURE_CONSTANT = 0xa2e64eada2e64eadn;
const VS_SIGNATURE_XOR = 0x2bed; // §2.5 step 3

// RangeFlags (§2.5 step 2): allocated ranges have bits 0x03; 0x08 more for LFH, 0x0C for VS.
const RANGE_ALLOCATED = 0x03;
const RANGE_LFH = 0x0b;
const RANGE_VS = 0x0f;
/** A free range's RangeFlags: the notes only say (flags & 3) != 3, 0 is our choice. */
const RANGE_FREE = 0x00;

// Unused-bytes info in a VS chunk's or LFH block's last 2 bytes (§1.9, §2.5 steps 3-4).
const ONE_BYTE_UNUSED = 0x8000;

/** _HEAP_PAGE_SEGMENT.DescArray[256] (§1.9): a segment is 256 units. */
const UNITS_PER_SEGMENT = 256;

/**
 * UnitShift of SegContexts[0] and [1]: 4 KiB and 64 KiB units. The notes give no real values
 * (§2.5 step 2 reads UnitShift from the context); different ones make a walk prove it does.
 */
const CONTEXT_UNIT_SHIFTS = [12, 16] as const;

/**
 * Where a request goes, the images' thresholds (the notes give none): LFH up to `lfh` bytes, VS
 * up to `vs`, a page range of context 0 up to `context0`, of context 1 up to `context1`, and a
 * Large block above.
 */
const ROUTES = { lfh: 0x400, vs: 0x2000, context0: 0x8000, context1: 0x20000 } as const;

/** A VS chunk below this size never straddles a page: §2.5 step 3's page-crossing case is avoided. */
const VS_PAGE_CROSSING_LIMIT = 0xff0;
/** Pages of a subsegment that holds a leak. */
const LEAK_SUBSEGMENT_PAGES = 16;

const at = (base: bigint, offset: number) => base + BigInt(offset);
const alignUp = (value: number, unit: number) => Math.ceil(value / unit) * unit;


// ---------------------------------------------------------------------------------------------
// Fields looked up in the layout's ISF, bitfields included: the x64, x86 and 26100 variants of a
// structure differ in offsets, widths and bit positions (§1.9).

interface FieldInfo {
  offset: number;
  /** Bytes of the field, or of its container for a bitfield. */
  size: number;
  bits?: { position: number; length: number };
}

class Fields {
  private readonly cache = new Map<string, FieldInfo>();
  constructor(
    private readonly space: AddressSpace,
    private readonly layout: Layout,
  ) {}

  info(type: string, path: string): FieldInfo {
    const key = `${type}.${path}`;
    let info = this.cache.get(key);
    if (!info) {
      info = this.lookUp(type, path);
      this.cache.set(key, info);
    }
    return info;
  }

  has(type: string, path: string): boolean {
    try {
      this.info(type, path);
      return true;
    } catch {
      return false;
    }
  }

  /** Writes value into the field at base (read-modify-write for a bitfield). */
  set(base: bigint, type: string, path: string, value: number | bigint): void {
    const { offset, size, bits } = this.info(type, path);
    let v = BigInt(value);
    if (bits) {
      const mask = ((1n << BigInt(bits.length)) - 1n) << BigInt(bits.position);
      v = (this.uint(at(base, offset), size) & ~mask) | ((v << BigInt(bits.position)) & mask);
    }
    this.writeUint(at(base, offset), size, v);
  }

  /** A value placed at a field's bit position, to compose a whole container (the VS header). */
  place(type: string, path: string, value: number): bigint {
    const { offset, bits } = this.info(type, path);
    return BigInt(value) << BigInt(8 * offset + (bits?.position ?? 0));
  }

  uint(address: bigint, size: number): bigint {
    const bytes = this.space.read(address, size);
    let value = 0n;
    for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
    return value;
  }

  writeUint(address: bigint, size: number, value: bigint): void {
    const bytes = new Uint8Array(size);
    const v = value & ((1n << BigInt(8 * size)) - 1n);
    for (let i = 0; i < size; i++) bytes[i] = Number((v >> BigInt(8 * i)) & 0xffn);
    this.space.write(address, bytes);
  }

  private lookUp(type: string, path: string): FieldInfo {
    const isf = this.layout.isf;
    let offset = 0;
    let current: any = { kind: "struct", name: type };
    for (const part of path.split(".")) {
      const field = isf.user_types[current.name]?.fields[part];
      if (!field) throw new Error(`${current.name} has no field ${part} (${this.layout.arch} ${this.layout.build})`);
      offset += field.offset;
      current = field.type;
    }
    if (current.kind === "bitfield") {
      return { offset, size: this.sizeOf(current.type), bits: { position: current.bit_position, length: current.bit_length } };
    }
    return { offset, size: this.sizeOf(current) };
  }

  private sizeOf(type: any): number {
    switch (type.kind) {
      case "base":
        return this.layout.isf.base_types[type.name].size;
      case "pointer":
        return this.layout.pointerSize;
      case "array":
        return type.count * this.sizeOf(type.subtype);
      default:
        return this.layout.size(type.name);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The plan: every range, chunk and block, decided before any byte is written.

/** A VS chunk: its bytes (header included) and the request, null when free. */
interface ChunkPlan {
  bytes: number;
  request: number | null;
}

/** Per LFH block: the request, null when free. */
interface LfhPlan {
  blockSize: number;
  firstBlockOffset: number;
  requests: (number | null)[];
}

type RangePlan =
  | { kind: "backend"; units: number; request: number }
  | { kind: "free"; units: number; committed: boolean }
  | { kind: "vs"; units: number; chunks: ChunkPlan[] }
  | { kind: "lfh"; units: number; lfh: LfhPlan };

type AllocatedRange = Exclude<RangePlan, { kind: "free" }>;

interface SegmentPlan {
  /** From the first unit after the header to the segment's end. */
  ranges: RangePlan[];
}

interface ContextGeometry {
  unitShift: number;
  unitBytes: number;
  segmentBytes: number;
  firstDescriptorIndex: number;
}

/** What the writer has placed of one range, for the truth, the trees and the counters. */
interface PlacedRange {
  context: number;
  address: bigint;
  descriptor: bigint;
  plan: RangePlan;
}

type Route = "LFH" | "VS" | "Context0" | "Context1" | "Large";

/** Which component a request of this many bytes lands in (see ROUTES). */
export function route(request: number): Route {
  if (request <= ROUTES.lfh) return "LFH";
  if (request <= ROUTES.vs) return "VS";
  if (request <= ROUTES.context0) return "Context0";
  if (request <= ROUTES.context1) return "Context1";
  return "Large";
}

class SegmentHeapWriter {
  private readonly random: Random;
  private readonly fields: Fields;
  private readonly gran: number;
  private readonly ptrMask: bigint;
  private readonly heapKey: bigint;
  private readonly lfhKey: number;
  private readonly geometry: ContextGeometry[];
  private readonly vsHeader: number;
  private readonly vsFreeHeader: number;
  private readonly vsFirstChunk: number;
  private heap = 0n;
  private busyFilled = 0;

  constructor(
    private readonly space: AddressSpace,
    private readonly layout: Layout,
    keys: SegmentHeapKeys,
    private readonly spec: SegmentHeapSpec,
  ) {
    this.random = new Random(spec.seed);
    this.fields = new Fields(space, layout);
    this.gran = layout.granularity;
    this.ptrMask = (1n << BigInt(8 * layout.pointerSize)) - 1n;
    this.heapKey = keys.heapKey & this.ptrMask;
    this.lfhKey = Number(keys.lfhKey & 0xffffffffn);
    const header = layout.size("_HEAP_PAGE_SEGMENT");
    this.geometry = CONTEXT_UNIT_SHIFTS.map((unitShift) => ({
      unitShift,
      unitBytes: 1 << unitShift,
      segmentBytes: UNITS_PER_SEGMENT << unitShift,
      // The header (and the descriptors it overlays) fills the units before the first range (§1.9).
      firstDescriptorIndex: Math.ceil(header / (1 << unitShift)),
    }));
    this.vsHeader = layout.size("_HEAP_VS_CHUNK_HEADER");
    this.vsFreeHeader = layout.size("_HEAP_VS_CHUNK_FREE_HEADER");
    // §2.5 step 3: the first chunk at +0x30 (x64) / +0x18 (x86), the subsegment header rounded up.
    this.vsFirstChunk = alignUp(layout.size("_HEAP_VS_SUBSEGMENT"), this.gran);
  }

  write(): HeapTruth {
    const { space, layout } = this;
    const size = layout.size("_SEGMENT_HEAP");
    this.heap = space.reserve(size);
    space.commit(this.heap, size);
    this.fields.set(this.heap, "_SEGMENT_HEAP", "Signature", SEGMENT_HEAP_SIGNATURE);
    this.fields.set(this.heap, "_SEGMENT_HEAP", "GlobalFlags", GLOBAL_FLAGS);

    const leakRoute = this.spec.leak && route(this.spec.leak.request);
    const contexts = [this.planContext0(leakRoute), this.planContext1(leakRoute)];
    const largeRequests = this.planLarge(leakRoute);

    const segments: SegmentTruth[] = [];
    const blocks: BlockTruth[] = [];
    const placed: PlacedRange[] = [];
    contexts.forEach((plans, context) => {
      const bases = plans.map((plan) => this.writeSegment(context, plan, segments, blocks, placed));
      const contextAddress = this.contextAddress(context);
      const segmentListEntry = this.fields.info("_HEAP_PAGE_SEGMENT", "ListEntry").offset;
      this.linkList(at(contextAddress, this.fields.info("_HEAP_SEG_CONTEXT", "SegmentListHead").offset), bases.map((b) => at(b, segmentListEntry)));
      this.writeContextFields(context, bases.length, placed.filter((p) => p.plan.kind === "free" && p.context === context));
    });
    const vsFreeCommittedBytes = this.writeVsContext(placed);
    const large = this.writeLargeBlocks(largeRequests);
    blocks.push(...large.blocks);

    const summary = { ...this.writeMemStats(segments, placed), vsFreeCommittedBytes, largeReservedBytes: large.reservedBytes, largeCommittedBytes: large.committedBytes };
    return {
      address: this.heap,
      type: "Segment",
      flags: GLOBAL_FLAGS,
      granularity: this.gran, // VS chunk units: 16 bytes on x64, 8 on x86 (§0 item 5)
      listedIn: [], // the process writer lists the heap and says where
      segments,
      blocks,
      lfh: true,
      segmentHeap: summary,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Planning.

  /**
   * Context 0 (4 KiB units): two VS subsegments, four LFH subsegments and three backend ranges,
   * shuffled over three segments with free ranges between them, plus the leak if it lands here.
   */
  private planContext0(leakRoute: Route | undefined): SegmentPlan[] {
    const { random, gran } = this;
    const items: AllocatedRange[] = [];
    for (let i = 0; i < 2; i++) items.push(this.vsRange(random.int(3, 6), null));
    const sizes = gran === 16 ? [0x20, 0x30, 0x40, 0x50, 0x70, 0x90, 0x100, 0x180, 0x300] : [0x10, 0x18, 0x28, 0x40, 0x60, 0x100, 0x180, 0x300];
    random.shuffle(sizes);
    for (const blockSize of sizes.slice(0, 4)) items.push(this.lfhRange(blockSize, null));
    for (let i = 0; i < 3; i++) items.push(this.backendRange(random.int(ROUTES.vs + 1, 0x5000), 0));
    random.shuffle(items);
    const leak = this.spec.leak;
    if (leak && leakRoute === "VS") items.push(...this.leakVsRanges(leak.request, leak.count));
    if (leak && leakRoute === "LFH") items.push(...this.leakLfhRanges(leak.request, leak.count));
    if (leak && leakRoute === "Context0") for (let i = 0; i < leak.count; i++) items.push(this.backendRange(leak.request, 0));
    // Segment 0 gets a committed free range before its second range, segment 1 an uncommitted one.
    return this.packSegments(0, items, 3, (segment, index) => (index !== 1 ? undefined : segment === 0 ? "committed" : segment === 1 ? "uncommitted" : undefined));
  }

  /** Context 1 (64 KiB units): a one-unit backend range in each of two segments, the second after a free range. */
  private planContext1(leakRoute: Route | undefined): SegmentPlan[] {
    const { random } = this;
    const items: AllocatedRange[] = [];
    for (let i = 0; i < 2; i++) items.push(this.backendRange(random.int(ROUTES.context0 + 1, 0xf000), 1));
    const leak = this.spec.leak;
    if (leak && leakRoute === "Context1") for (let i = 0; i < leak.count; i++) items.push(this.backendRange(leak.request, 1));
    return this.packSegments(1, items, 2, (segment, index) => (segment === 1 && index === 0 ? "uncommitted" : undefined));
  }

  /** Two Large requests, and the leak if it lands there. */
  private planLarge(leakRoute: Route | undefined): number[] {
    const requests = [this.random.int(ROUTES.context1 + 1, 0x30000), this.random.int(ROUTES.context1 + 1, 0x30000)];
    const leak = this.spec.leak;
    if (leak && leakRoute === "Large") for (let i = 0; i < leak.count; i++) requests.push(leak.request);
    return requests;
  }

  /**
   * Spreads the ranges over at least `minimum` segments of the context: range i goes to segment
   * i % minimum, or to the first with room, or to a new one. A free range may precede a range
   * (never two free ones together: Windows coalesces them); the rest of each segment is a free,
   * uncommitted tail. gapBefore forces a free range before the index-th range of a segment.
   */
  private packSegments(context: number, items: AllocatedRange[], minimum: number, gapBefore: (segment: number, index: number) => "committed" | "uncommitted" | undefined): SegmentPlan[] {
    const { random } = this;
    const { firstDescriptorIndex } = this.geometry[context];
    const capacity = UNITS_PER_SEGMENT - firstDescriptorIndex;
    const maxGap = context === 0 ? 3 : 2;
    const segments: { ranges: RangePlan[]; used: number }[] = Array.from({ length: minimum }, () => ({ ranges: [], used: 0 }));
    items.forEach((item, i) => {
      if (item.units + maxGap > capacity) throw new Error(`a range of ${item.units} units does not fit a segment`);
      const fits = (s: { used: number }) => s.used + maxGap + item.units <= capacity;
      let index = i % minimum;
      if (!fits(segments[index])) index = segments.findIndex(fits);
      if (index < 0) {
        segments.push({ ranges: [], used: 0 });
        index = segments.length - 1;
      }
      const segment = segments[index];
      const ordinal = segment.ranges.filter((r) => r.kind !== "free").length;
      const forced = gapBefore(index, ordinal);
      // Context 1 leaves its free ranges uncommitted: a committed one would cost 64 KiB a unit.
      if (forced || (ordinal > 0 && random.chance(0.35))) {
        const committed = forced ? forced === "committed" : context === 0 && random.chance(0.4);
        const units = random.int(1, maxGap);
        segment.ranges.push({ kind: "free", units, committed });
        segment.used += units;
      }
      segment.ranges.push(item);
      segment.used += item.units;
    });
    return segments.map(({ ranges, used }) => {
      if (used < capacity) ranges.push({ kind: "free", units: capacity - used, committed: false });
      return { ranges };
    });
  }

  private backendRange(request: number, context: number): AllocatedRange {
    return { kind: "backend", units: Math.ceil(request / this.geometry[context].unitBytes), request };
  }

  /** A random request for a VS chunk: mostly small, some medium, a few over a page. */
  private vsRequest(): number {
    const { random } = this;
    if (random.chance(0.7)) return random.int(0x10, 0x200);
    if (random.chance(0.67)) return random.int(0x201, 0x800);
    return random.int(0x1000, 0x1800);
  }

  /**
   * A VS subsegment of `pages` pages: random chunks, or the leak's chunks when given. Chunks below
   * VS_PAGE_CROSSING_LIMIT stay inside a page: the room they leave before a page boundary becomes a
   * free chunk, or the previous chunk's when too small for one.
   */
  private vsRange(pages: number, leak: { request: number; count: number } | null): AllocatedRange & { kind: "vs" } {
    const { random, gran } = this;
    const end = pages * PAGE;
    const chunks: ChunkPlan[] = [];
    let cursor = this.vsFirstChunk;
    let leaked = 0;
    /** Free bytes after the last chunk: a free chunk, or the last chunk's own when it is free or they are too few. */
    const free = (bytes: number) => {
      const last = chunks[chunks.length - 1];
      if (last && (last.request === null || bytes < this.vsFreeHeader)) last.bytes += bytes;
      else chunks.push({ bytes, request: null });
    };
    while (cursor < end) {
      const lastBusy = chunks.length > 0 && chunks[chunks.length - 1].request !== null;
      let chunk: ChunkPlan;
      if (leak) {
        chunk = leaked < leak.count ? this.busyChunk(leak.request, true) : { bytes: end - cursor, request: null };
      } else if (lastBusy && random.chance(0.25)) {
        chunk = { bytes: alignUp(this.vsHeader + this.vsRequest(), gran), request: null };
      } else {
        chunk = this.busyChunk(this.vsRequest(), false);
      }
      const pageEnd = Math.min(alignUp(cursor + 1, PAGE), end);
      const crossesPage = cursor + chunk.bytes > pageEnd && chunk.bytes < VS_PAGE_CROSSING_LIMIT;
      if (crossesPage || cursor + chunk.bytes > end) {
        const room = (crossesPage ? pageEnd : end) - cursor;
        free(room);
        cursor += room;
        continue;
      }
      if (chunk.request === null) free(chunk.bytes);
      else chunks.push(chunk);
      if (chunk.request !== null && leak) leaked++;
      cursor += chunk.bytes;
    }
    if (leak && leaked < leak.count) throw new Error(`a VS subsegment of ${pages} pages holds ${leaked} of ${leak.count} chunks`);
    return { kind: "vs", units: pages, chunks };
  }

  /**
   * A busy chunk for a request, rounded up to granules; a random one is sometimes a granule
   * longer, sometimes made exact (no unused-bytes info) or one byte short of exact.
   */
  private busyChunk(request: number, exactRequest: boolean): ChunkPlan {
    const { random, gran } = this;
    if (exactRequest) return { bytes: alignUp(this.vsHeader + request, gran), request };
    const bytes = alignUp(this.vsHeader + request, gran) + (random.chance(0.2) ? gran : 0);
    const draw = random.u32() / 0x1_0000_0000;
    if (draw < 0.2) return { bytes, request: bytes - this.vsHeader };
    if (draw < 0.35) return { bytes, request: bytes - this.vsHeader - 1 };
    return { bytes, request };
  }

  /** VS subsegments of LEAK_SUBSEGMENT_PAGES holding the leak's chunks. */
  private leakVsRanges(request: number, count: number): AllocatedRange[] {
    const perPage = Math.floor(PAGE / alignUp(this.vsHeader + request, this.gran));
    const perSubsegment = request + this.vsHeader >= VS_PAGE_CROSSING_LIMIT
      ? Math.floor((LEAK_SUBSEGMENT_PAGES * PAGE - this.vsFirstChunk) / alignUp(this.vsHeader + request, this.gran))
      : perPage * LEAK_SUBSEGMENT_PAGES - 1; // the first page has the subsegment header
    const ranges: AllocatedRange[] = [];
    for (let placed = 0; placed < count; placed += perSubsegment) {
      ranges.push(this.vsRange(LEAK_SUBSEGMENT_PAGES, { request, count: Math.min(perSubsegment, count - placed) }));
    }
    return ranges;
  }

  /**
   * An LFH subsegment of blocks of blockSize: as many as fit its pages after the header and the
   * 2-bit-per-block bitmap (§2.5 step 4), the first at a granularity-aligned offset. Random
   * blocks, at least one busy and one free, or `requests` first and the rest free.
   */
  private lfhRange(blockSize: number, leak: { request: number; count: number } | null): AllocatedRange {
    const { random } = this;
    const pages = leak ? LEAK_SUBSEGMENT_PAGES : Math.max(1, Math.ceil((0x40 + 12 * blockSize) / PAGE));
    const { count, firstBlockOffset } = this.lfhGeometry(blockSize, pages);
    let requests: (number | null)[];
    if (leak) {
      if (leak.count > count) throw new Error(`an LFH subsegment of ${pages} pages holds ${count} blocks, not ${leak.count}`);
      requests = Array.from({ length: count }, (_, i) => (i < leak.count ? leak.request : null));
    } else {
      const forcedBusy = random.int(0, count - 1);
      const forcedFree = (forcedBusy + random.int(1, count - 1)) % count;
      requests = Array.from({ length: count }, (_, i) => {
        if (i === forcedFree || (i !== forcedBusy && random.chance(0.4))) return null;
        const draw = random.u32() / 0x1_0000_0000;
        if (draw < 0.25) return blockSize; // no unused bytes: bit 1 clear
        if (draw < 0.4) return blockSize - 1; // the 0x8000 form
        return blockSize - random.int(2, Math.min(blockSize - 1, 0x40));
      });
    }
    return { kind: "lfh", units: pages, lfh: { blockSize, firstBlockOffset, requests } };
  }

  private lfhGeometry(blockSize: number, pages: number): { count: number; firstBlockOffset: number } {
    const bitmap = this.fields.info("_HEAP_LFH_SUBSEGMENT", "BlockBitmap");
    const word = bitmap.size; // the array has one element: its size is the word's
    const firstOffset = (count: number) => alignUp(bitmap.offset + Math.ceil((2 * count) / (8 * word)) * word, this.gran);
    let count = Math.floor((pages * PAGE - bitmap.offset) / blockSize);
    while (firstOffset(count) + count * blockSize > pages * PAGE) count--;
    return { count, firstBlockOffset: firstOffset(count) };
  }

  /** LFH subsegments of LEAK_SUBSEGMENT_PAGES holding the leak's blocks (BlockSize: the request rounded up). */
  private leakLfhRanges(request: number, count: number): AllocatedRange[] {
    const blockSize = alignUp(request, this.gran);
    const perSubsegment = this.lfhGeometry(blockSize, LEAK_SUBSEGMENT_PAGES).count;
    const ranges: AllocatedRange[] = [];
    for (let placed = 0; placed < count; placed += perSubsegment) {
      ranges.push(this.lfhRange(blockSize, { request, count: Math.min(perSubsegment, count - placed) }));
    }
    return ranges;
  }

  // -------------------------------------------------------------------------------------------
  // Writing the segments.

  private contextAddress(context: number): bigint {
    return at(this.heap, this.fields.info("_SEGMENT_HEAP", "SegContexts").offset + context * this.layout.size("_HEAP_SEG_CONTEXT"));
  }

  /**
   * One page segment: reserved at its own size's alignment (SegmentMask finds the segment of an
   * address, §2.5 step 1), its header and signature, one descriptor per unit, and the ranges.
   */
  private writeSegment(context: number, plan: SegmentPlan, segments: SegmentTruth[], blocks: BlockTruth[], placed: PlacedRange[]): bigint {
    const { space, fields } = this;
    const { unitShift, unitBytes, segmentBytes, firstDescriptorIndex } = this.geometry[context];
    const reservation = space.reserve(segmentBytes + segmentBytes);
    const base = BigInt(alignUp(Number(reservation), segmentBytes));
    const headerBytes = firstDescriptorIndex * unitBytes;
    space.commit(base, headerBytes);

    // §2.5 step 1: Signature ^ segment ^ HeapKey ^ C == &SegContexts[i].
    const constant = this.layout.build >= 26100 ? 0n : SEGMENT_SIGNATURE_CONSTANT;
    fields.set(base, "_HEAP_PAGE_SEGMENT", "Signature", (base ^ this.heapKey ^ constant ^ this.contextAddress(context)) & this.ptrMask);

    const descriptorSize = this.layout.size("_HEAP_PAGE_RANGE_DESCRIPTOR");
    const uncommitted: { address: bigint; size: number }[] = [];
    blocks.push({ address: base, userAddress: base, size: headerBytes, userSize: headerBytes, kind: "PageRange", state: "Internal" });
    let unit = firstDescriptorIndex;
    for (const range of plan.ranges) {
      const address = at(base, unit << unitShift);
      const bytes = range.units * unitBytes;
      const descriptor = at(base, unit * descriptorSize);
      if (range.kind !== "free" || range.committed) space.commit(address, bytes);
      else uncommitted.push({ address, size: bytes });
      this.writeDescriptors(descriptor, range, unitShift);
      placed.push({ context, address, descriptor, plan: range });
      blocks.push(...this.writeRange(address, range, bytes));
      unit += range.units;
    }
    if (unit !== UNITS_PER_SEGMENT) throw new Error(`segment ranges cover ${unit} of ${UNITS_PER_SEGMENT} units`);
    segments.push({
      address: base,
      baseAddress: base,
      firstEntry: at(base, headerBytes),
      lastValidEntry: at(base, segmentBytes),
      committedBytes: segmentBytes - uncommitted.reduce((sum, u) => sum + u.size, 0),
      uncommittedRanges: uncommitted,
    });
    return base;
  }

  /**
   * §2.5 step 2: the first descriptor of a range has RangeFlags and UnitSize, the others UnitOffset
   * (their distance back to it). A backend range's UnusedBytes; a free range's Key with its
   * committed page count complemented (its UnitCount is the UnitSize byte, which it overlays on
   * every variant, §1.9).
   */
  private writeDescriptors(descriptor: bigint, range: RangePlan, unitShift: number): void {
    const { fields } = this;
    const type = "_HEAP_PAGE_RANGE_DESCRIPTOR";
    const descriptorSize = this.layout.size(type);
    const flags = { backend: RANGE_ALLOCATED, lfh: RANGE_LFH, vs: RANGE_VS, free: RANGE_FREE }[range.kind];
    fields.set(descriptor, type, "RangeFlags", flags);
    fields.set(descriptor, type, "UnitSize", range.units);
    for (let k = 1; k < range.units; k++) fields.set(at(descriptor, k * descriptorSize), type, "UnitOffset", k);
    if (range.kind === "backend") fields.set(descriptor, type, "UnusedBytes", (range.units << unitShift) - range.request);
    if (range.kind === "free") {
      const path = fields.has(type, "Key.EncodedCommittedPageCount") ? "Key.EncodedCommittedPageCount" : "Key.EncodedCommitCount";
      const info = fields.info(type, path);
      const width = info.bits?.length ?? 8 * info.size;
      const pages = range.committed ? range.units << (unitShift - 12) : 0;
      if (pages >= 1 << width) throw new Error(`${pages} committed pages do not fit ${path}`);
      fields.set(descriptor, type, path, ~pages & ((1 << width) - 1));
    }
  }

  /** The range's own truth and its contents. */
  private writeRange(address: bigint, range: RangePlan, bytes: number): BlockTruth[] {
    const pageRange = (state: BlockTruth["state"], userSize: number): BlockTruth => ({ address, userAddress: address, size: bytes, userSize, kind: "PageRange", state });
    switch (range.kind) {
      case "backend":
        this.fillUserData(address, range.request);
        return [pageRange("Busy", range.request)];
      case "free":
        return [pageRange("Free", 0)];
      case "vs":
        return [pageRange("Internal", bytes), ...this.writeVsSubsegment(address, range.chunks, bytes)];
      case "lfh":
        return [pageRange("Internal", bytes), ...this.writeLfhSubsegment(address, range.lfh)];
    }
  }

  /**
   * §2.5 step 3: the subsegment header (Size in granules, our reading; Signature = Size ^ 0x2BED;
   * every page committed), then encoded chunk headers from vsFirstChunk to the range's end.
   */
  private writeVsSubsegment(subsegment: bigint, chunks: ChunkPlan[], bytes: number): BlockTruth[] {
    const { fields, gran } = this;
    const type = "_HEAP_VS_SUBSEGMENT";
    const size = bytes / gran;
    fields.set(subsegment, type, "Size", size);
    fields.set(subsegment, type, "Signature", (size ^ VS_SIGNATURE_XOR) & 0x7fff);
    fields.set(subsegment, type, "FullCommit", 1);
    fields.set(subsegment, type, "CommitBitmap", (1n << BigInt(bytes / PAGE)) - 1n);
    const truths: BlockTruth[] = [];
    let chunk = at(subsegment, this.vsFirstChunk);
    let previous = 0;
    for (const plan of chunks) {
      this.writeVsChunk(chunk, plan, previous);
      truths.push({ address: chunk, userAddress: at(chunk, this.vsHeader), size: plan.bytes, userSize: plan.request ?? 0, kind: "VS", state: plan.request === null ? "Free" : "Busy" });
      previous = plan.bytes;
      chunk = at(chunk, plan.bytes);
    }
    if (chunk !== at(subsegment, bytes)) throw new Error("VS chunks do not fill their subsegment");
    return truths;
  }

  /**
   * HeaderBits (UnsafeSize and UnsafePrevSize in granules, Allocated) ^ chunk ^ HeapKey (§2.5 step
   * 3). A busy chunk's AllocatedChunkBits (clear) flags unused bytes, whose count sits in the
   * chunk's last 2 bytes; 1 unused byte is the 0x8000 bit alone, in the chunk's last byte.
   */
  private writeVsChunk(chunk: bigint, plan: ChunkPlan, previousBytes: number): void {
    const { fields, gran } = this;
    const sizes = "_HEAP_VS_CHUNK_HEADER_SIZE";
    const headerBits =
      fields.place(sizes, "UnsafeSize", plan.bytes / gran) |
      fields.place(sizes, "UnsafePrevSize", previousBytes / gran) |
      fields.place(sizes, "Allocated", plan.request === null ? 0 : 1);
    const bitsSize = this.layout.size(sizes);
    fields.writeUint(chunk, bitsSize, headerBits ^ chunk ^ this.heapKey);
    if (plan.request === null) return;
    const unused = plan.bytes - this.vsHeader - plan.request;
    fields.set(chunk, "_HEAP_VS_CHUNK_HEADER", "UnusedBytes", unused > 0 ? 1 : 0);
    this.fillUserData(at(chunk, this.vsHeader), plan.request);
    this.writeUnusedBytes(at(chunk, plan.bytes), unused, "_HEAP_VS_UNUSED_BYTES_INFO");
  }

  /** The unused-bytes info ending at `end` (§2.5 steps 3-4); nothing when no byte is unused. */
  private writeUnusedBytes(end: bigint, unused: number, type: "_HEAP_VS_UNUSED_BYTES_INFO" | "_HEAP_LFH_UNUSED_BYTES_INFO"): void {
    if (unused === 0) return;
    if (unused === 1) {
      this.space.u8(at(end, -1), ONE_BYTE_UNUSED >> 8); // the byte before it is user data
      return;
    }
    const info = at(end, -2);
    const { bits } = this.fields.info(type, "UnusedBytes");
    if (unused >= 1 << bits!.length) throw new Error(`${unused} unused bytes do not fit ${type}`);
    this.fields.set(info, type, "UnusedBytes", unused);
  }

  /**
   * §2.5 step 4: BlockOffsets = (BlockSize | FirstBlockOffset << 16) ^ LfhKey ^ shift, where shift
   * is (u32)sub >> 12 before build 26100 and (u32)(sub >> 12) from it; 2 bitmap bits per block
   * (busy, unused-bytes info present); the blocks have no header.
   */
  private writeLfhSubsegment(subsegment: bigint, plan: LfhPlan): BlockTruth[] {
    const { fields, space } = this;
    const type = "_HEAP_LFH_SUBSEGMENT";
    const shift = this.layout.build >= 26100 ? Number((subsegment >> 12n) & 0xffffffffn) : Number(subsegment & 0xffffffffn) >>> 12;
    const encoded = ((plan.blockSize | (plan.firstBlockOffset << 16)) ^ this.lfhKey ^ shift) >>> 0;
    fields.set(subsegment, type, "BlockOffsets.EncodedData", encoded);
    fields.set(subsegment, type, "BlockCount", plan.requests.length);
    fields.set(subsegment, type, "FreeCount", plan.requests.filter((r) => r === null).length);
    const bitmap = at(subsegment, fields.info(type, "BlockBitmap").offset);
    return plan.requests.map((request, i) => {
      const block = at(subsegment, plan.firstBlockOffset + i * plan.blockSize);
      if (request !== null) {
        const unused = plan.blockSize - request;
        const bits = 1 | (unused > 0 ? 2 : 0);
        const byte = at(bitmap, (2 * i) >> 3);
        space.u8(byte, space.read(byte, 1)[0] | (bits << ((2 * i) & 7)));
        this.fillUserData(block, request);
        this.writeUnusedBytes(at(block, plan.blockSize), unused, "_HEAP_LFH_UNUSED_BYTES_INFO");
      }
      return { address: block, userAddress: block, size: plan.blockSize, userSize: request ?? 0, kind: "LFH", state: request === null ? "Free" : "Busy" } satisfies BlockTruth;
    });
  }

  // -------------------------------------------------------------------------------------------
  // Contexts, trees, Large blocks, counters.

  /**
   * _HEAP_SEG_CONTEXT: SegmentMask, UnitShift, PagesPerUnitShift, FirstDescriptorIndex, the heap,
   * SegmentCount, and FreePageRanges: the free ranges' first descriptors by Key order (size, then
   * more committed pages first, then address), not encoded.
   */
  private writeContextFields(context: number, segmentCount: number, freeRanges: PlacedRange[]): void {
    const { fields } = this;
    const { unitShift, segmentBytes, firstDescriptorIndex } = this.geometry[context];
    const ctx = this.contextAddress(context);
    const type = "_HEAP_SEG_CONTEXT";
    fields.set(ctx, type, "SegmentMask", ~BigInt(segmentBytes - 1) & this.ptrMask);
    fields.set(ctx, type, "UnitShift", unitShift);
    fields.set(ctx, type, "PagesPerUnitShift", unitShift - 12);
    fields.set(ctx, type, "FirstDescriptorIndex", firstDescriptorIndex);
    fields.set(ctx, type, "Heap", this.heap);
    fields.set(ctx, type, "SegmentCount", segmentCount);
    const committedPages = (r: PlacedRange) => (r.plan.kind === "free" && r.plan.committed ? r.plan.units : 0);
    const sorted = [...freeRanges].sort((a, b) => a.plan.units - b.plan.units || committedPages(b) - committedPages(a) || (a.address < b.address ? -1 : 1));
    this.writeRbTree(at(ctx, fields.info(type, "FreePageRanges").offset), sorted.map((r) => at(r.descriptor, fields.info("_HEAP_PAGE_RANGE_DESCRIPTOR", "TreeNode").offset)), false);
  }

  /**
   * _HEAP_VS_CONTEXT: SubsegmentList (the VS subsegments in address order), the committed and free
   * units (granules of the subsegments and of the free chunks), and FreeChunkTree: the free chunks
   * by size, then address, not encoded. Returns the free chunks' bytes.
   */
  private writeVsContext(placed: PlacedRange[]): number {
    const { fields, gran } = this;
    const vs = at(this.heap, fields.info("_SEGMENT_HEAP", "VsContext").offset);
    const type = "_HEAP_VS_CONTEXT";
    const subsegments = placed.filter((p) => p.plan.kind === "vs");
    const listEntry = fields.info("_HEAP_VS_SUBSEGMENT", "ListEntry").offset;
    this.linkList(at(vs, fields.info(type, "SubsegmentList").offset), subsegments.map((p) => at(p.address, listEntry)));
    const freeChunks: { address: bigint; bytes: number }[] = [];
    let committedUnits = 0;
    for (const { address, plan } of subsegments) {
      if (plan.kind !== "vs") continue;
      committedUnits += (plan.units * PAGE) / gran;
      let chunk = at(address, this.vsFirstChunk);
      for (const c of plan.chunks) {
        if (c.request === null) freeChunks.push({ address: chunk, bytes: c.bytes });
        chunk = at(chunk, c.bytes);
      }
    }
    const freeBytes = freeChunks.reduce((sum, c) => sum + c.bytes, 0);
    fields.set(vs, type, "TotalCommittedUnits", committedUnits);
    fields.set(vs, type, "FreeCommittedUnits", freeBytes / gran);
    freeChunks.sort((a, b) => a.bytes - b.bytes || (a.address < b.address ? -1 : 1));
    const node = fields.info("_HEAP_VS_CHUNK_FREE_HEADER", "Node").offset;
    this.writeRbTree(at(vs, fields.info(type, "FreeChunkTree").offset), freeChunks.map((c) => at(c.address, node)), false);
    return freeBytes;
  }

  /**
   * §2.5 step 5: each Large block in its own reservation, AllocatedPages committed; its
   * _HEAP_LARGE_ALLOC_DATA (in one metadata page) holds VirtualAddress | UnusedBytes and
   * AllocatedPages, and LargeAllocMetadata orders the nodes by address.
   */
  private writeLargeBlocks(requests: number[]): { blocks: BlockTruth[]; reservedBytes: number; committedBytes: number } {
    const { space, fields } = this;
    const type = "_HEAP_LARGE_ALLOC_DATA";
    const nodeStride = alignUp(this.layout.size(type), 2 * this.layout.pointerSize);
    const metadataBytes = alignUp(requests.length * nodeStride, PAGE);
    const metadata = space.reserve(metadataBytes);
    space.commit(metadata, metadataBytes);
    let reservedBytes = 0;
    const blocks = requests.map((request, i) => {
      const bytes = alignUp(request, PAGE);
      const reserve = alignUp(bytes, ALLOCATION_GRANULARITY);
      const address = space.reserve(reserve);
      space.commit(address, bytes);
      reservedBytes += reserve;
      const node = at(metadata, i * nodeStride);
      fields.set(node, type, "VirtualAddress", address | BigInt(bytes - request)); // 64 KiB-aligned: the low 16 bits are UnusedBytes
      fields.set(node, type, "AllocatedPages", bytes / PAGE);
      this.fillUserData(address, request);
      return { node, truth: { address, userAddress: address, size: bytes, userSize: request, kind: "Large", state: "Busy" } satisfies BlockTruth };
    });
    blocks.sort((a, b) => (a.truth.address < b.truth.address ? -1 : 1));
    const heapType = "_SEGMENT_HEAP";
    this.writeRbTree(at(this.heap, fields.info(heapType, "LargeAllocMetadata").offset), blocks.map((b) => at(b.node, fields.info(type, "TreeNode").offset)), this.spec.encodedLargeTree);
    const committedBytes = blocks.reduce((sum, b) => sum + b.truth.size, 0);
    fields.set(this.heap, heapType, "LargeReservedPages", reservedBytes / PAGE);
    fields.set(this.heap, heapType, "LargeCommittedPages", committedBytes / PAGE);
    return { blocks: blocks.map((b) => b.truth), reservedBytes, committedBytes };
  }

  /**
   * A balanced binary tree of the nodes (given in key order), coloured red-black (the deepest
   * level red, the rest black). Encoded (§2.5 step 5, UNVERIFIED): Root = root ^ &tree, a child
   * link = child ^ &node; a null link stays 0 and ParentValue and Min stay clear (our choice, the
   * notes say nothing of them); Min's bit 0 is Encoded.
   */
  private writeRbTree(tree: bigint, nodes: bigint[], encoded: boolean): void {
    const { fields } = this;
    const nodeType = "_RTL_BALANCED_NODE";
    const height = (lo: number, hi: number): number => {
      const mid = Math.floor((lo + hi) / 2);
      return lo > hi ? -1 : 1 + Math.max(height(lo, mid - 1), height(mid + 1, hi));
    };
    const maxDepth = height(0, nodes.length - 1);
    const link = (holder: bigint, target: bigint | null) => (target === null ? 0n : encoded ? target ^ holder : target);
    const build = (lo: number, hi: number, parent: bigint, depth: number): bigint | null => {
      if (lo > hi) return null;
      const mid = Math.floor((lo + hi) / 2);
      const node = nodes[mid];
      const left = build(lo, mid - 1, node, depth + 1);
      const right = build(mid + 1, hi, node, depth + 1);
      fields.set(node, nodeType, "Left", link(node, left));
      fields.set(node, nodeType, "Right", link(node, right));
      const red = depth > 0 && depth === maxDepth ? 1n : 0n;
      fields.set(node, nodeType, "ParentValue", parent | red);
      return node;
    };
    const root = build(0, nodes.length - 1, 0n, 0);
    fields.set(tree, "_RTL_RB_TREE", "Root", link(tree, root));
    fields.set(tree, "_RTL_RB_TREE", "Min", (nodes[0] ?? 0n) | (encoded ? 1n : 0n));
  }

  /** _SEGMENT_HEAP.MemStats in pages (the page segments only), in bytes. */
  private writeMemStats(segments: SegmentTruth[], placed: PlacedRange[]): Omit<SegmentHeapSummaryTruth, "vsFreeCommittedBytes" | "largeReservedBytes" | "largeCommittedBytes"> {
    const { fields } = this;
    const memStats = at(this.heap, fields.info("_SEGMENT_HEAP", "MemStats").offset);
    const type = "_HEAP_RUNTIME_MEMORY_STATS";
    const reservedBytes = segments.reduce((sum, s) => sum + Number(s.lastValidEntry - s.baseAddress), 0);
    const committedBytes = segments.reduce((sum, s) => sum + s.committedBytes, 0);
    const freeCommittedBytes = placed.reduce((sum, p) => {
      if (p.plan.kind !== "free" || !p.plan.committed) return sum;
      return sum + p.plan.units * this.geometry[p.context].unitBytes;
    }, 0);
    fields.set(memStats, type, "TotalReservedPages", reservedBytes / PAGE);
    fields.set(memStats, type, "TotalCommittedPages", committedBytes / PAGE);
    fields.set(memStats, type, "FreeCommittedPages", freeCommittedBytes / PAGE);
    fields.set(memStats, type, "LfhFreeCommittedPages", 0);
    return { reservedBytes, committedBytes, freeCommittedBytes, lfhFreeCommittedBytes: 0 };
  }

  /** Links LIST_ENTRYs into a circular doubly linked list headed by head, in the given order. */
  private linkList(head: bigint, entries: bigint[]): void {
    const ring = [head, ...entries];
    ring.forEach((entry, i) => {
      this.fields.set(entry, "_LIST_ENTRY", "Flink", ring[(i + 1) % ring.length]);
      this.fields.set(entry, "_LIST_ENTRY", "Blink", ring[(i + ring.length - 1) % ring.length]);
    });
  }

  /**
   * Bytes 0x80..0xFF only, so that the NT writer's search patterns (all bytes below 0x80) appear
   * exactly where planted: a u32 pattern in every 4th busy block, a u64 one in every 6th (others).
   */
  private fillUserData(user: bigint, length: number): void {
    const { random } = this;
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      const word = random.u32() | 0x80808080;
      for (let j = 0; j < 4 && i + j < length; j++) bytes[i + j] = (word >>> (8 * j)) & 0xff;
    }
    // User data starts 8-aligned everywhere here (granule-aligned chunks and blocks, pages).
    const ordinal = this.busyFilled++;
    if (ordinal % 4 === 1 && length >= 4) {
      new DataView(bytes.buffer).setUint32(4 * random.int(0, (length - 4) >> 2), SEARCH_PATTERN_U32, true);
    } else if (ordinal % 6 === 2 && length >= 8) {
      new DataView(bytes.buffer).setBigUint64(8 * random.int(0, (length - 8) >> 3), SEARCH_PATTERN_U64, true);
    }
    this.space.write(user, bytes);
  }
}

/**
 * Writes a complete segment heap into space: the _SEGMENT_HEAP in its own reservation; context 0
 * (4 KiB units) with three or more page segments holding VS subsegments, LFH subsegments, backend
 * ranges and free ranges; context 1 (64 KiB units) with two or more segments of backend and free
 * ranges; Large blocks; spec.leak where route() sends its size. Chunk headers and segment
 * signatures use keys.heapKey, LFH offsets the low 32 bits of keys.lfhKey (the caller writes both
 * into ntdll!RtlpHpHeapGlobals). Deterministic in spec.seed. The truth's listedIn is left empty for
 * the caller that lists the heap.
 */
export function writeSegmentHeap(space: AddressSpace, layout: Layout, keys: SegmentHeapKeys, spec: SegmentHeapSpec): HeapTruth {
  if (!layout.has("_SEGMENT_HEAP", "SegContexts")) throw new Error(`${layout.arch} ${layout.build} has no segment heap layout`);
  return new SegmentHeapWriter(space, layout, keys, spec).write();
}
