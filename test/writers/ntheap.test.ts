// Self-consistency of the NT heap writer, checked by a small decoder written here from
// /work/shared/heap/heap-internals.md ("§" below) — not from the writer, not from src/. It reads
// the dump's memory (committed, non-dropped pages), so unreadable pages are really unreadable.
import { SparseAddressSpace } from "./address-space";
import { layoutFor, SUPPORTED_BUILDS } from "./layout";
import { corruptHeader, dropPage, SEARCH_PATTERN_U32, SEARCH_PATTERN_U64, writeNtHeap, type BlockTrace, type NtHeapSpec } from "./ntheap";
import type { Arch, BlockTruth, Layout, StackTruth } from "./types";

const LFH_KEY = 0x5a3c9e71;

class DumpMemory {
  private readonly ranges: { start: bigint; data: Uint8Array }[];
  constructor(space: SparseAddressSpace) {
    this.ranges = space.toMemoryRanges();
  }
  read(address: bigint, length: number): Uint8Array {
    const range = this.ranges.find((r) => r.start <= address && address + BigInt(length) <= r.start + BigInt(r.data.length));
    if (!range) throw new Error(`${address.toString(16)}+${length} is not in the dump`);
    const offset = Number(address - range.start);
    return range.data.subarray(offset, offset + length);
  }
  readable(address: bigint, length: number): boolean {
    try {
      this.read(address, length);
      return true;
    } catch {
      return false;
    }
  }
  uint(address: bigint, size: number): bigint {
    const bytes = this.read(address, size);
    let value = 0n;
    for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
    return value;
  }
  u8 = (a: bigint) => Number(this.uint(a, 1));
  u16 = (a: bigint) => Number(this.uint(a, 2));
  u32 = (a: bigint) => Number(this.uint(a, 4));
}

/** The traces a +ust heap's blocks may name (§2.7): by record address (Windows 8+) and by index (Windows 7). */
interface KnownTraces {
  byRecord: Map<bigint, StackTruth>;
  byIndex: Map<number, StackTruth>;
}

/** The decoder: §2.2 (entries, segments, UCRs, free lists), §2.3 (big blocks), §2.4 (LFH), §2.7 (+ust). */
class Decoder {
  readonly gran: number;
  readonly ptrSize: number;
  /** §1.4: x64 keeps the 8-byte core at +8, x86 at +0. */
  readonly core: number;
  constructor(
    readonly memory: DumpMemory,
    readonly layout: Layout,
    readonly heap: bigint,
    readonly ust?: KnownTraces,
  ) {
    this.gran = layout.arch === "x64" ? 16 : 8;
    this.ptrSize = layout.arch === "x64" ? 8 : 4;
    this.core = layout.arch === "x64" ? 8 : 0;
  }
  ptr = (address: bigint) => this.memory.uint(address, this.ptrSize);
  field = (base: bigint, type: string, path: string) => base + BigInt(this.layout.off(type, path));
  heapField = (path: string) => this.field(this.heap, "_HEAP", path);

  /** §2.2: XOR the core with the Encoding bytes at the same position, then check the checksum. */
  entry(address: bigint) {
    const raw = this.memory.read(address + BigInt(this.core), 8);
    const key = this.memory.read(this.heapField("Encoding") + BigInt(this.core), 8);
    const b = raw.map((byte, i) => byte ^ key[i]);
    return {
      size: b[0] | (b[1] << 8),
      flags: b[2],
      checksumOk: b[3] === (b[0] ^ b[1] ^ b[2]),
      previousSize: b[4] | (b[5] << 8),
      unusedBytes: b[7],
      rawFlags: raw[2],
    };
  }

  /**
   * §2.2 "User pointer and requested size", with the 0x40 and 0x3F escapes; bytes = the block's
   * size (Size*granularity or the LFH stride). With +ust (§2.7) the trace: Windows 8+ the record
   * after the _HEAP_ENTRY of an extended block, Windows 7 the _HEAP_ENTRY_EXTRA of the last granule.
   */
  userOf(address: bigint, bytes: number, unusedBytes: number, flags: number): Pick<BlockTruth, "userAddress" | "userSize" | "stack" | "noStack"> {
    if (unusedBytes & 0x40) {
      const extended = address + BigInt(this.gran * (unusedBytes & 0x3f));
      // §2.7: FunctionIndex 1, ContextValue 0, UnusedBytesLength, EntryOffset 2, signature 5.
      expect(this.memory.u16(extended + BigInt(this.core))).toBe(1);
      expect(this.memory.u16(extended + BigInt(this.core + 2))).toBe(0);
      expect(this.memory.u8(extended + BigInt(this.core + 6))).toBe(2);
      expect(this.memory.u8(extended + BigInt(this.core + 7))).toBe(5);
      const slot = this.ptr(address + BigInt(this.gran));
      const user = { userAddress: extended + BigInt(this.gran), userSize: bytes - this.memory.u16(extended + BigInt(this.core + 4)) };
      if (!this.ust) {
        expect(slot).toBe(0n);
        return user;
      }
      expect(this.ust.byRecord.has(slot)).toBe(true);
      return { ...user, stack: this.ust.byRecord.get(slot) };
    }
    const traced = (user: Pick<BlockTruth, "userAddress" | "userSize">): Pick<BlockTruth, "userAddress" | "userSize" | "stack" | "noStack"> => {
      if (!this.ust) return user;
      if (!(flags & 0x02)) return { ...user, noStack: "BeforeTracing" };
      const index = this.memory.u16(address + BigInt(bytes - this.gran + this.layout.off("_HEAP_ENTRY_EXTRA", "AllocatorBackTraceIndex")));
      expect(this.ust.byIndex.has(index)).toBe(true);
      return { ...user, stack: this.ust.byIndex.get(index) };
    };
    if ((unusedBytes & 0x3f) === 0x3f) {
      return traced({ userAddress: address + BigInt(this.gran), userSize: bytes - Number(this.ptr(address + BigInt(bytes))) });
    }
    return traced({ userAddress: address + BigInt(this.gran), userSize: bytes - unusedBytes });
  }

  /** A LIST_ENTRY chain from head, checking every Blink; the entries in Flink order. */
  list(head: bigint): bigint[] {
    const flink = this.layout.off("_LIST_ENTRY", "Flink");
    const blink = this.layout.off("_LIST_ENTRY", "Blink");
    const entries: bigint[] = [];
    let previous = head;
    for (let node = this.ptr(head + BigInt(flink)); node !== head; node = this.ptr(node + BigInt(flink))) {
      expect(this.ptr(node + BigInt(blink))).toBe(previous);
      entries.push(node);
      previous = node;
      if (entries.length > 10000) throw new Error("list does not close");
    }
    expect(this.ptr(head + BigInt(blink))).toBe(previous);
    return entries;
  }

  segments(): bigint[] {
    const linkOffset = BigInt(this.layout.off("_HEAP_SEGMENT", "SegmentListEntry"));
    return this.list(this.heapField("SegmentList")).map((link) => link - linkOffset);
  }

  ucrs(segment: bigint): { address: bigint; size: number }[] {
    const linkOffset = BigInt(this.layout.off("_HEAP_UCR_DESCRIPTOR", "SegmentEntry"));
    return this.list(this.field(segment, "_HEAP_SEGMENT", "UCRSegmentList")).map((link) => {
      const descriptor = link - linkOffset;
      return { address: this.ptr(this.field(descriptor, "_HEAP_UCR_DESCRIPTOR", "Address")), size: Number(this.ptr(this.field(descriptor, "_HEAP_UCR_DESCRIPTOR", "Size"))) };
    });
  }

  /**
   * Walks a segment from FirstEntry, jumping over UCRs, until LastValidEntry or a block that is
   * unreadable or fails its checksum (the team's convention: the walk ends before it).
   */
  walkSegment(segment: bigint): { blocks: BlockTruth[]; complete: boolean; coveredBytes: number } {
    const last = this.ptr(this.field(segment, "_HEAP_SEGMENT", "LastValidEntry"));
    const ucrs = this.ucrs(segment);
    const header = this.entry(segment);
    expect(header.checksumOk).toBe(true);
    expect(header.flags).toBe(0x01);
    const firstEntry = this.ptr(this.field(segment, "_HEAP_SEGMENT", "FirstEntry"));
    expect(BigInt(header.size * this.gran)).toBe(firstEntry - segment);
    // The segment's own header entry is its first block (!heap -a lists it; UnusedBytes 1).
    expect(header.unusedBytes).toBe(1);
    const headerBytes = header.size * this.gran;
    const blocks: BlockTruth[] = [
      { address: segment, userAddress: segment + BigInt(this.gran), size: headerBytes, userSize: headerBytes - 1, kind: "Backend", state: "Internal" },
    ];
    let coveredBytes = headerBytes;
    let previousSize = header.size;
    let previousFree = false;
    for (let address = firstEntry; address < last; ) {
      const ucr = ucrs.find((u) => u.address === address);
      if (ucr) {
        coveredBytes += ucr.size;
        address += BigInt(ucr.size);
        previousSize = 0;
        previousFree = false;
        continue;
      }
      if (!this.memory.readable(address, this.gran)) return { blocks, complete: false, coveredBytes };
      const entry = this.entry(address);
      if (!entry.checksumOk) return { blocks, complete: false, coveredBytes };
      const bytes = entry.size * this.gran;
      // A block is described only when all of it (and a 0x3F count after it) is readable.
      const extent = bytes + ((entry.unusedBytes & 0xc0) === 0 && (entry.unusedBytes & 0x3f) === 0x3f ? this.core : 0);
      if (!this.memory.readable(address, extent)) return { blocks, complete: false, coveredBytes };
      expect(entry.previousSize).toBe(previousSize);
      // §2.2/§6: encoded headers carry the key's 0x10 flag bit; plain ones never set it.
      expect(entry.flags & 0x10).toBe(0);
      expect(entry.rawFlags & 0x10).toBe(0x10);
      const busy = (entry.flags & 0x01) !== 0;
      if (!busy) {
        expect(previousFree).toBe(false); // Windows coalesces neighbours
        expect(entry.flags).toBe(0);
        blocks.push({ address, userAddress: address + BigInt(this.gran), size: bytes, userSize: 0, kind: "Backend", state: "Free" });
      } else {
        const internal = (entry.flags & 0x08) !== 0 || entry.unusedBytes === 3;
        if (internal) {
          const { userAddress, userSize } = this.userOf(address, bytes, entry.unusedBytes, entry.flags);
          blocks.push({ address, userAddress, size: bytes, userSize, kind: "Backend", state: "Internal" });
        } else {
          blocks.push({ address, size: bytes, kind: "Backend", state: "Busy", ...this.userOf(address, bytes, entry.unusedBytes, entry.flags) });
        }
        if (entry.flags & 0x08) blocks.push(...this.lfhBlocks(address + BigInt(this.gran)));
      }
      previousFree = !busy;
      previousSize = entry.size;
      coveredBytes += bytes;
      address += BigInt(bytes);
    }
    return { blocks, complete: true, coveredBytes };
  }

  /** §2.4: the LFH blocks of a UserBlocks, Windows 8+ (EncodedOffsets, bitmap) or Windows 7. */
  lfhBlocks(userBlocks: bigint): BlockTruth[] {
    const { memory, layout, gran } = this;
    const lfhHeap = this.ptr(this.heapField("FrontEndHeap"));
    const subsegment = this.ptr(this.field(userBlocks, "_HEAP_USERDATA_HEADER", "SubSegment"));
    expect(this.ptr(this.field(subsegment, "_HEAP_SUBSEGMENT", "UserBlocks"))).toBe(userBlocks);
    const blockSize = memory.u16(this.field(subsegment, "_HEAP_SUBSEGMENT", "BlockSize"));
    const heap32 = Number(this.heap & 0xffffffffn);
    const win8 = layout.has("_HEAP_USERDATA_HEADER", "EncodedOffsets");
    let firstOffset: number;
    let stride: number;
    let count: number;
    let busyBit: (i: number) => boolean | undefined = () => undefined;
    if (win8) {
      expect(memory.u32(this.field(userBlocks, "_HEAP_USERDATA_HEADER", "Signature"))).toBe(0xf0e0d0c0);
      const encoded = memory.u32(this.field(userBlocks, "_HEAP_USERDATA_HEADER", "EncodedOffsets"));
      const decoded = (encoded ^ Number(userBlocks & 0xffffffffn) ^ Number(lfhHeap & 0xffffffffn) ^ LFH_KEY) >>> 0;
      firstOffset = decoded & 0xffff;
      stride = decoded >>> 16;
      expect(firstOffset % 8).toBe(0);
      expect(firstOffset).toBeGreaterThanOrEqual(gran === 16 ? 0x40 : 0x20);
      expect(stride).toBe(blockSize * gran);
      count = Number(this.ptr(this.field(userBlocks, "_HEAP_USERDATA_HEADER", "BusyBitmap")));
      const bitmap = this.ptr(this.field(userBlocks, "_HEAP_USERDATA_HEADER", "BusyBitmap") + BigInt(this.ptrSize));
      expect(bitmap).toBe(this.field(userBlocks, "_HEAP_USERDATA_HEADER", "BitmapData"));
      busyBit = (i) => ((memory.u32(bitmap + BigInt(4 * (i >> 5))) >>> (i & 31)) & 1) === 1;
    } else {
      expect(Number(this.ptr(this.field(userBlocks, "_HEAP_USERDATA_HEADER", "Signature")))).toBe(0xf0e0d0c0);
      firstOffset = layout.size("_HEAP_USERDATA_HEADER");
      stride = blockSize * gran;
      count = memory.u16(this.field(subsegment, "_HEAP_SUBSEGMENT", "BlockCount"));
    }
    expect(memory.u16(this.field(subsegment, "_HEAP_SUBSEGMENT", "BlockCount"))).toBe(count);
    const blocks: BlockTruth[] = [];
    for (let i = 0; i < count; i++) {
      const block = userBlocks + BigInt(firstOffset + i * stride);
      const unused = memory.u8(block + BigInt(this.core + 7));
      expect(unused & 0x80).toBe(0x80);
      const busy = (unused & 0x3f) !== 0;
      if (win8) {
        expect(busyBit(i)).toBe(busy);
        const [blockShift, offsetShift] = gran === 16 ? [4n, 12] : [3n, 13];
        const code = memory.u32(block + BigInt(this.core));
        const x = (code ^ LFH_KEY ^ heap32 ^ Number((block >> blockShift) & 0xffffffffn)) >>> 0;
        expect(x & 0xffff).toBe(0);
        expect(BigInt(x >>> offsetShift)).toBe(block - userBlocks);
      } else if (gran === 8) {
        const code = memory.u32(block);
        expect(((code ^ Number((block >> 3n) & 0xffffffffn) ^ LFH_KEY ^ heap32) >>> 0)).toBe(Number(subsegment));
      } else {
        const low40 = memory.uint(block + 8n, 5);
        expect((((block ^ this.heap) >> 4n) ^ low40 ^ BigInt(LFH_KEY)) << 4n).toBe(subsegment);
      }
      expect(unused & 0x3f).toBeLessThan(0x3f);
      if (!busy) {
        blocks.push({ address: block, userAddress: block + BigInt(gran), size: stride, userSize: 0, kind: "LFH", state: "Free" });
        continue;
      }
      // +ust LFH blocks: UnusedBytes 0xC2 (§2.7, [DLGHELP LfhFlagUstBusy]).
      expect(unused === 0xc2).toBe(this.ust !== undefined);
      blocks.push({ address: block, size: stride, kind: "LFH", state: "Busy", ...this.userOf(block, stride, unused & 0x7f, 0x01) });
    }
    expect(memory.u16(this.field(subsegment, "_HEAP_SUBSEGMENT", "AggregateExchg"))).toBe(blocks.filter((b) => b.state === "Free").length);
    return blocks;
  }

  /** §2.3. */
  virtualAllocs(): BlockTruth[] {
    const entrySize = this.layout.size("_HEAP_VIRTUAL_ALLOC_ENTRY");
    const linkOffset = BigInt(this.layout.off("_HEAP_VIRTUAL_ALLOC_ENTRY", "Entry"));
    return this.list(this.heapField("VirtualAllocdBlocks")).map((link) => {
      const entry = link - linkOffset;
      expect(entry % 0x1000n).toBe(0n);
      const commitSize = Number(this.ptr(this.field(entry, "_HEAP_VIRTUAL_ALLOC_ENTRY", "CommitSize")));
      expect(Number(this.ptr(this.field(entry, "_HEAP_VIRTUAL_ALLOC_ENTRY", "ReserveSize")))).toBeGreaterThanOrEqual(commitSize);
      const busyBlock = this.field(entry, "_HEAP_VIRTUAL_ALLOC_ENTRY", "BusyBlock");
      const header = this.entry(busyBlock);
      expect(header.checksumOk).toBe(true);
      expect(header.unusedBytes).toBe(4);
      expect(busyBlock + BigInt(this.gran)).toBe(entry + BigInt(entrySize));
      const truth: BlockTruth = { address: busyBlock, userAddress: entry + BigInt(entrySize), size: commitSize, userSize: commitSize - header.size - entrySize, kind: "VirtualAlloc", state: "Busy" };
      // +ust (§2.7): Windows 7 keeps the index in ExtraStuff (EXTRA_PRESENT); Windows 8+ keeps none.
      const win7 = !this.layout.has("_HEAP_USERDATA_HEADER", "EncodedOffsets");
      const extra = this.ust !== undefined && win7;
      expect(header.flags).toBe(extra ? 0x0b : 0x09);
      const index = this.memory.u16(this.field(entry, "_HEAP_VIRTUAL_ALLOC_ENTRY", "ExtraStuff.AllocatorBackTraceIndex"));
      if (!this.ust) expect(index).toBe(0);
      else if (extra) truth.stack = this.ust.byIndex.get(index);
      else truth.noStack = "VirtualAllocNoTrace";
      return truth;
    });
  }

  /** Everything a correct walker returns. */
  walk(): BlockTruth[] {
    return [...this.segments().flatMap((segment) => this.walkSegment(segment).blocks), ...this.virtualAllocs()];
  }
}

const LAYOUTS: [Arch, number][] = (["x64", "x86"] as const).flatMap((arch) => SUPPORTED_BUILDS[arch].map((build): [Arch, number] => [arch, build]));

const SPEC: NtHeapSpec = { seed: 11, flags: 0x2, segments: 4, blocksPerSegment: 24, lfh: true, virtualAllocs: [0x11000, 0x23456], escapes: true };

function build(arch: Arch, buildNumber: number, spec: NtHeapSpec = SPEC) {
  const layout = layoutFor(arch, buildNumber);
  const space = new SparseAddressSpace(arch);
  const truth = writeNtHeap(space, layout, { lfhKey: LFH_KEY }, spec);
  return { layout, space, truth, decoder: () => new Decoder(new DumpMemory(space), layout, truth.address) };
}

describe.each(LAYOUTS)("NT heap writer, %s %i", (arch, buildNumber) => {
  const { layout, space, truth, decoder } = build(arch, buildNumber);
  const d = decoder();

  test("_HEAP signatures, encoding key and its own segment (§1.2, §2.2, §6)", () => {
    expect(d.memory.u32(d.heapField("SegmentSignature"))).toBe(0xffeeffee);
    expect(d.memory.u32(d.heapField("Signature"))).toBe(0xeeffeeff);
    expect(d.memory.u32(d.heapField("EncodeFlagMask"))).toBe(0x100000);
    expect(d.memory.u32(d.heapField("Flags"))).toBe(SPEC.flags);
    const key = d.memory.read(d.heapField("Encoding") + BigInt(d.core), 8);
    expect(key[2] & 0x10).toBe(0x10);
    expect([key[6], key[7]]).toEqual([0, 0]);
    if (arch === "x64") expect([...d.memory.read(d.heapField("Encoding"), 8)]).toEqual(new Array(8).fill(0));
    expect(truth.address % 0x10000n).toBe(0n);
    expect(truth.granularity).toBe(layout.granularity);
  });

  test("segments: circular list in truth order, fields, exact coverage", () => {
    const segments = d.segments();
    expect(segments).toEqual(truth.segments.map((s) => s.address));
    expect(segments[0]).toBe(truth.address);
    truth.segments.forEach((segment, i) => {
      const field = (name: string) => d.field(segment.address, "_HEAP_SEGMENT", name);
      expect(d.memory.u32(field("SegmentSignature"))).toBe(0xffeeffee);
      expect(d.ptr(field("Heap"))).toBe(truth.address);
      expect(d.ptr(field("BaseAddress"))).toBe(segment.baseAddress);
      expect(d.ptr(field("FirstEntry"))).toBe(segment.firstEntry);
      expect(d.ptr(field("LastValidEntry"))).toBe(segment.lastValidEntry);
      const reserve = Number(segment.lastValidEntry - segment.baseAddress);
      expect(d.memory.u32(field("NumberOfPages"))).toBe(reserve / 0x1000);
      expect(reserve).toBeGreaterThanOrEqual(0x10000);
      expect(reserve).toBeLessThanOrEqual(0x40000);
      const ucrs = d.ucrs(segment.address);
      expect(ucrs).toEqual(segment.uncommittedRanges);
      expect(d.memory.u32(field("NumberOfUnCommittedRanges"))).toBe(ucrs.length);
      const uncommitted = ucrs.reduce((sum, u) => sum + u.size, 0);
      expect(d.memory.u32(field("NumberOfUnCommittedPages")) * 0x1000).toBe(uncommitted);
      expect(segment.committedBytes).toBe(reserve - uncommitted);
      for (const u of ucrs) expect(d.memory.readable(u.address, 1)).toBe(false);
      const walked = d.walkSegment(segment.address);
      expect(walked.complete).toBe(true);
      expect(walked.coveredBytes).toBe(reserve);
      // Most segments have uncommitted ranges, in the middle and at the end.
      if (i === 0) expect(ucrs.length).toBe(2);
    });
  });

  test("every backend block decodes to the truth, with checksums and the PreviousSize chain", () => {
    const expected = truth.blocks.filter((b) => b.kind !== "VirtualAlloc");
    expect(truth.segments.flatMap((s) => d.walkSegment(s.address).blocks)).toEqual(expected);
    const busy = expected.filter((b) => b.kind === "Backend" && b.state === "Busy");
    expect(busy.length).toBeGreaterThan(40);
    expect(expected.filter((b) => b.kind === "Backend" && b.state === "Free").length).toBeGreaterThan(10);
    expect(new Set(busy.map((b) => b.size)).size).toBeGreaterThan(20);
  });

  test("the UnusedBytes escapes and the uncommitted-range sentinels (§2.2, §6c.5)", () => {
    const unusedBytes = truth.blocks.filter((b) => b.kind === "Backend" && b.state !== "Free").map((b) => d.entry(b.address).unusedBytes);
    expect(unusedBytes.filter((u) => u === 0x42).length).toBeGreaterThan(0);
    const tooLargeCount = unusedBytes.filter((u) => u === 0x3f).length;
    if (arch === "x64") expect(tooLargeCount).toBeGreaterThan(0);
    else expect(tooLargeCount).toBe(0); // the x86 location of the count is UNVERIFIED (§2.2)
    const sentinels = truth.blocks.filter((b) => b.kind === "Backend" && b.state === "Internal" && d.entry(b.address).unusedBytes === 3);
    expect(sentinels.length).toBe(truth.segments.reduce((sum, s) => sum + s.uncommittedRanges.length, 0));
    for (const s of sentinels) {
      expect(s.size).toBe(4 * layout.granularity);
      expect(s.userSize).toBe(s.size - 3);
      expect(truth.segments.some((seg) => seg.uncommittedRanges.some((u) => u.address === s.address + BigInt(s.size)))).toBe(true);
    }
    // Plain busy blocks: unused between 8 and 0x3E, x64 as low as 8 (§6c.4).
    for (const b of truth.blocks.filter((x) => x.kind === "Backend" && x.state === "Busy")) {
      const u = d.entry(b.address).unusedBytes;
      if (u < 0x3f) expect(b.size - b.userSize).toBe(u);
      expect(b.size - b.userSize).toBeGreaterThanOrEqual(8);
    }
  });

  test("free lists: sorted by size, linked both ways, every free block once; TotalFreeSize", () => {
    const freeListOffset = BigInt(layout.off("_HEAP_FREE_ENTRY", "FreeList"));
    const listed = d.list(d.heapField("FreeLists")).map((link) => link - freeListOffset);
    const sizes = listed.map((entry) => {
      const header = d.entry(entry);
      expect(header.checksumOk).toBe(true);
      expect(header.flags).toBe(0);
      return header.size;
    });
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    const free = truth.blocks.filter((b) => b.kind === "Backend" && b.state === "Free");
    expect([...listed].sort((a, b) => (a < b ? -1 : 1))).toEqual(free.map((b) => b.address).sort((a, b) => (a < b ? -1 : 1)));
    expect(Number(d.ptr(d.heapField("TotalFreeSize")))).toBe(free.reduce((sum, b) => sum + b.size / layout.granularity, 0));
    const lookup = d.ptr(d.heapField("BlocksIndex"));
    expect(d.ptr(d.field(lookup, "_HEAP_LIST_LOOKUP", "ListHead"))).toBe(d.heapField("FreeLists"));
    expect(d.memory.u32(d.field(lookup, "_HEAP_LIST_LOOKUP", "ItemCount"))).toBe(free.length);
  });

  test("UCR descriptors are on the heap-wide UCRList too", () => {
    const linkOffset = BigInt(layout.off("_HEAP_UCR_DESCRIPTOR", "ListEntry"));
    const addresses = d.list(d.heapField("UCRList")).map((link) => d.ptr(d.field(link - linkOffset, "_HEAP_UCR_DESCRIPTOR", "Address")));
    expect(addresses).toEqual(truth.segments.flatMap((s) => s.uncommittedRanges.map((u) => u.address)));
  });

  test("VirtualAlloc'd blocks (§2.3)", () => {
    const expected = truth.blocks.filter((b) => b.kind === "VirtualAlloc");
    expect(d.virtualAllocs()).toEqual(expected);
    expect(expected.map((b) => b.userSize)).toEqual(SPEC.virtualAllocs);
    for (const b of expected) expect(b.size).toBe(Math.ceil((b.userSize + layout.size("_HEAP_VIRTUAL_ALLOC_ENTRY")) / 0x1000) * 0x1000);
  });

  test("LFH: front end, UserBlocks containers and partly busy subsegments (§2.4)", () => {
    expect(d.memory.u8(d.heapField("FrontEndHeapType"))).toBe(2);
    const lfhHeap = d.ptr(d.heapField("FrontEndHeap"));
    if (layout.has("_LFH_HEAP", "Heap")) expect(d.ptr(d.field(lfhHeap, "_LFH_HEAP", "Heap"))).toBe(truth.address);
    const containers = truth.blocks.filter((b) => b.kind === "Backend" && b.state === "Internal" && (d.entry(b.address).flags & 0x08) !== 0);
    expect(containers.length).toBeGreaterThanOrEqual(2);
    expect(containers.length).toBeLessThanOrEqual(4);
    const strides = new Set<number>();
    for (const c of containers) {
      expect(d.entry(c.address).flags).toBe(0x09);
      const blocks = d.lfhBlocks(c.userAddress);
      strides.add(blocks[0].size);
      expect(blocks.some((b) => b.state === "Busy")).toBe(true);
      expect(blocks.some((b) => b.state === "Free")).toBe(true);
      const last = blocks[blocks.length - 1];
      expect(last.address + BigInt(last.size)).toBeLessThanOrEqual(c.userAddress + BigInt(c.userSize));
      for (const b of blocks.filter((x) => x.state === "Busy")) {
        expect(b.size - b.userSize).toBeGreaterThanOrEqual(8);
        expect(b.size - b.userSize).toBeLessThanOrEqual(0x3e);
      }
    }
    expect(strides.size).toBe(containers.length);
  });

  test("counters (§1.2)", () => {
    const counter = (name: string) => d.heapField(`Counters.${name}`);
    const reserved = truth.segments.reduce((sum, s) => sum + Number(s.lastValidEntry - s.baseAddress), 0);
    expect(Number(d.ptr(counter("TotalMemoryReserved")))).toBe(reserved);
    expect(Number(d.ptr(counter("TotalMemoryCommitted")))).toBe(truth.segments.reduce((sum, s) => sum + s.committedBytes, 0));
    expect(d.memory.u32(counter("TotalSegments"))).toBe(truth.segments.length);
    expect(d.memory.u32(counter("TotalUCRs"))).toBe(truth.segments.reduce((sum, s) => sum + s.uncommittedRanges.length, 0));
    expect(Number(d.ptr(counter("TotalSizeInVirtualBlocks")))).toBe(truth.blocks.filter((b) => b.kind === "VirtualAlloc").reduce((sum, b) => sum + b.size, 0));
    expect(d.memory.u32(counter("LockCollisions"))).toBeGreaterThan(0);
    expect(Number(d.ptr(counter("TotalMemoryLargeUCR")))).toBe(0);
    const thresholdBytes = d.memory.u32(d.heapField("VirtualMemoryThreshold")) * layout.granularity;
    for (const b of truth.blocks.filter((x) => x.kind !== "VirtualAlloc" && x.state !== "Free")) expect(b.userSize).toBeLessThan(thresholdBytes);
    for (const b of truth.blocks.filter((x) => x.kind === "VirtualAlloc")) expect(b.userSize).toBeGreaterThan(thresholdBytes);
  });

  test("search patterns sit aligned in busy user data, and nowhere else in it", () => {
    const pattern32 = [0x34, 0x69, 0x17, 0x77];
    expect(SEARCH_PATTERN_U32).toBe(0x77176934);
    const pattern64 = [...Array(8)].map((_, i) => Number((SEARCH_PATTERN_U64 >> BigInt(8 * i)) & 0xffn));
    let hits32 = 0;
    let hits64 = 0;
    for (const b of truth.blocks.filter((x) => x.state === "Busy")) {
      const data = d.memory.read(b.userAddress, b.userSize);
      for (let i = 0; i + 4 <= data.length; i++) {
        if (pattern32.every((v, j) => data[i + j] === v)) {
          expect((b.userAddress + BigInt(i)) % 4n).toBe(0n);
          hits32++;
        }
        if (i + 8 <= data.length && pattern64.every((v, j) => data[i + j] === v)) {
          expect((b.userAddress + BigInt(i)) % 8n).toBe(0n);
          hits64++;
        }
      }
    }
    expect(hits32).toBeGreaterThan(5);
    expect(hits64).toBeGreaterThan(3);
  });

  test("the image stays small", () => {
    const bytes = space.toMemoryRanges().reduce((sum, r) => sum + r.data.length, 0);
    const virtualBytes = truth.blocks.filter((b) => b.kind === "VirtualAlloc").reduce((sum, b) => sum + b.size, 0);
    expect(bytes - virtualBytes).toBeLessThan(320 * 1024);
  });

  test("corruptHeader: the walk of that segment ends before the block", () => {
    for (const [segmentIndex, ordinal] of [[0, 5], [1, 20], [2, 0]] as const) {
      const image = build(arch, buildNumber);
      const { address, expected } = corruptHeader(image.space, image.layout, image.truth, segmentIndex, ordinal);
      const target = image.truth.blocks.filter((b) => b.kind === "Backend" && image.truth.segments[segmentIndex].firstEntry <= b.address && b.address < image.truth.segments[segmentIndex].lastValidEntry)[ordinal];
      expect(address).toBe(target.address);
      const dd = image.decoder();
      expect(dd.entry(address).checksumOk).toBe(false);
      expect(dd.walk()).toEqual(expected.blocks);
      expect(expected.blocks.length).toBeLessThan(image.truth.blocks.length);
    }
  });

  test("dropPage: the walk of that segment ends before the first block touching the page", () => {
    // Blocks past the page of the segment header (whose loss would cut the segment list), the
    // first, a middle and the last one of those.
    for (const [segmentIndex, pick] of [[0, 0], [1, 0.5], [3, 1]] as const) {
      const image = build(arch, buildNumber);
      const segment = image.truth.segments[segmentIndex];
      const backend = image.truth.blocks.filter((b) => b.kind === "Backend" && segment.firstEntry <= b.address && b.address < segment.lastValidEntry);
      const eligible = backend.map((_, i) => i).filter((i) => backend[i].address >= segment.baseAddress + 0x1000n);
      const ordinal = eligible[Math.round(pick * (eligible.length - 1))];
      const { address, expected } = dropPage(image.space, image.layout, image.truth, segmentIndex, ordinal);
      const dd = image.decoder();
      expect(dd.memory.readable(address, 1)).toBe(false);
      expect(dd.walk()).toEqual(expected.blocks);
      expect(expected.blocks.length).toBeLessThan(image.truth.blocks.length);
    }
    const image = build(arch, buildNumber);
    expect(() => dropPage(image.space, image.layout, image.truth, 1, 0)).toThrow(/segment header/);
  });
});

describe("NT heap writer: determinism and variants", () => {
  const bytesOf = (space: SparseAddressSpace) => space.toMemoryRanges().map((r) => [r.start, Buffer.from(r.data).toString("hex")]);

  test("the same seed writes the same bytes; another seed does not", () => {
    expect(bytesOf(build("x64", 19041).space)).toEqual(bytesOf(build("x64", 19041).space));
    expect(bytesOf(build("x64", 19041, { ...SPEC, seed: 12 }).space)).not.toEqual(bytesOf(build("x64", 19041).space));
  });

  test("dropPage: a 0x3F block ending at the page loses its count with it (x64)", () => {
    // The first seed whose image ends a 0x3F block exactly at a page boundary (about 1 in 50).
    const endsTooLargeAtPage = (d: Decoder) => (b: BlockTruth) => b.kind === "Backend" && b.state === "Busy" && (b.address + BigInt(b.size)) % 0x1000n === 0n && d.entry(b.address).unusedBytes === 0x3f;
    let image = build("x64", 19041, { ...SPEC, lfh: false, virtualAllocs: [] });
    for (let seed = 1; !image.truth.blocks.some(endsTooLargeAtPage(image.decoder())); seed++) {
      if (seed > 2000) throw new Error("no seed ends a 0x3F block at a page boundary");
      image = build("x64", 19041, { ...SPEC, seed, lfh: false, virtualAllocs: [] });
    }
    const target = image.truth.blocks.find(endsTooLargeAtPage(image.decoder()))!;
    const segmentIndex = image.truth.segments.findIndex((s) => s.baseAddress <= target.address && target.address < s.lastValidEntry);
    const segment = image.truth.segments[segmentIndex];
    const backend = image.truth.blocks.filter((b) => b.kind === "Backend" && segment.firstEntry <= b.address && b.address < segment.lastValidEntry);
    const ordinal = backend.indexOf(target);
    const { expected } = dropPage(image.space, image.layout, image.truth, segmentIndex, ordinal + 1);
    expect(expected.blocks).not.toContainEqual(target);
    expect(expected.blocks).toContainEqual(backend[ordinal - 1]);
    expect(image.decoder().walk()).toEqual(expected.blocks);
  });

  test.each(LAYOUTS)("%s %i without LFH, escapes or big blocks, one segment", (arch, buildNumber) => {
    const spec: NtHeapSpec = { seed: 3, flags: 0x1002, segments: 1, blocksPerSegment: 10, lfh: false, virtualAllocs: [], escapes: false };
    const { truth, decoder } = build(arch, buildNumber, spec);
    const d = decoder();
    expect(d.walk()).toEqual(truth.blocks);
    expect(d.memory.u8(d.heapField("FrontEndHeapType"))).toBe(0);
    expect(truth.blocks.every((b) => b.kind === "Backend")).toBe(true);
    const unused = truth.blocks.filter((b) => b.state !== "Free").map((b) => d.entry(b.address).unusedBytes);
    expect(unused.every((u) => u < 0x3f)).toBe(true);
  });

  test.each(LAYOUTS)("%s %i, many segments: every gap pattern, one fully committed", (arch, buildNumber) => {
    const { truth, decoder } = build(arch, buildNumber, { ...SPEC, seed: 99, segments: 5, blocksPerSegment: 6 });
    expect(decoder().walk()).toEqual(truth.blocks);
    const gaps = truth.segments.map((s) => s.uncommittedRanges.map((u) => (u.address + BigInt(u.size) === s.lastValidEntry ? "end" : "middle")).join("+"));
    expect(new Set(gaps)).toEqual(new Set(["middle+end", "middle", "", "end"]));
  });
});

// --- +ust (docs/heap-structures.md §2.7) -------------------------------------------------------

/** Stand-in traces: the heap writer only stores a record's address or index, so any will do. */
function fakeTraces() {
  const known: KnownTraces = { byRecord: new Map(), byIndex: new Map() };
  let issued = 0;
  const nextTrace = (): BlockTrace => {
    const index = 1 + (issued++ % 7); // several blocks share a trace, as in a real database
    const record = 0x5e00_0000n + BigInt(index * 0x110);
    const stack = { frames: [0x7100_0000n + BigInt(index)], symbols: [`m!f${index}+0x${index.toString(16)}`] };
    known.byRecord.set(record, stack);
    known.byIndex.set(index, stack);
    return { record, index, stack };
  };
  return { known, nextTrace, issued: () => issued };
}

describe.each(LAYOUTS)("NT heap writer with +ust, %s %i", (arch, buildNumber) => {
  const win8 = buildNumber >= 9200;
  const traces = fakeTraces();
  const untracedBlocks = 4;
  const spec: NtHeapSpec = { ...SPEC, lfh: win8, ust: { untracedBlocks, nextTrace: traces.nextTrace } };
  const { layout, space, truth } = build(arch, buildNumber, spec);
  const d = new Decoder(new DumpMemory(space), layout, truth.address, traces.known);
  const busy = truth.blocks.filter((b) => b.state === "Busy");

  test("the walk decodes every block, its trace or why it has none, to the truth", () => {
    // Block by block: a failing diff of the whole list would take jest minutes to print.
    const walked = d.walk();
    truth.blocks.forEach((block, i) => expect(walked[i]).toEqual(block));
    expect(walked.length).toBe(truth.blocks.length);
  });

  test("every busy block has a stack or a reason; only busy blocks have either", () => {
    for (const b of truth.blocks) {
      const described = Number(b.stack !== undefined) + Number(b.noStack !== undefined);
      expect([b.state, described]).toEqual([b.state, b.state === "Busy" ? 1 : 0]);
    }
    expect(truth.blocks.filter((b) => b.stack).length).toBe(traces.issued());
    expect(busy.filter((b) => b.noStack === "BeforeTracing").length).toBe(untracedBlocks);
    expect(busy.filter((b) => b.kind === "Backend" && b.stack).length).toBeGreaterThan(40);
  });

  test(win8 ? "Windows 8+: extended blocks (user = entry + 3 granules), LFH 0xC2, big blocks untraced" : "Windows 7: EXTRA_PRESENT and the index in the last granule or ExtraStuff; no LFH", () => {
    const gran = BigInt(layout.granularity);
    for (const b of busy.filter((x) => x.stack && x.kind !== "VirtualAlloc")) {
      const unused = b.kind === "LFH" ? d.memory.u8(b.address + BigInt(d.core + 7)) : d.entry(b.address).unusedBytes;
      if (win8) {
        expect(unused).toBe(b.kind === "LFH" ? 0xc2 : 0x42);
        expect(b.userAddress).toBe(b.address + 3n * gran); // x64 entry+0x30, x86 entry+0x18 (§0 item 6)
      } else {
        expect(d.entry(b.address).flags).toBe(0x03);
        expect(b.userAddress).toBe(b.address + gran);
        expect(b.userAddress + BigInt(b.userSize)).toBeLessThanOrEqual(b.address + BigInt(b.size) - gran); // the extra granule stays clear
      }
    }
    const lfhBusy = busy.filter((b) => b.kind === "LFH");
    if (win8) expect(lfhBusy.length).toBeGreaterThan(5);
    expect(lfhBusy.every((b) => b.stack)).toBe(true);
    for (const b of busy.filter((x) => x.kind === "VirtualAlloc")) expect(b.noStack ?? "traced").toBe(win8 ? "VirtualAllocNoTrace" : "traced");
    if (!win8) expect(() => build(arch, buildNumber, { ...spec, lfh: true })).toThrow(/Windows 7/);
  });
});
// --- end +ust
