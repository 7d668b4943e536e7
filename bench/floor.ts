// The floor: a minimal decode of an NT heap dump's headers straight from the dump's buffers, with
// no host in between, written from docs/heap-structures.md (§1.1 PEB, §1.2-§1.5 _HEAP and its
// segments, §2.2 entry headers and uncommitted ranges, §2.3 VirtualAlloc'd blocks, §2.4 the LFH,
// Windows 8+). Independent of src/ on purpose: it is what the walk is measured against. It counts
// blocks and busy blocks, which the benchmark checks against the walk's own counts; it does not
// check what a walk must (previous sizes, user extents, bitmaps, corruption).
// The minimal walk is the same decode as a walk in this host must do it: through copies of at most
// 4 MiB (what a host read returns), writing one row per block into a table of the walk's row size.
import type { IsfTypes } from "../nodehost/formats/isf";
import type { TargetData, TargetRegion } from "../nodehost/target";

export interface FloorResult {
  heaps: number;
  blocks: number;
  /** Busy back-end entries (internal ones included) and busy LFH blocks. */
  busy: number;
  /** Bytes of the committed runs decoded. */
  bytes: number;
}

const TWO_32 = 4294967296;
const USERDATA_SIGNATURE = 0xf0e0d0c0; // §1.6
const FRONT_END_LFH = 2; // §1.2
/** The largest copy the minimal walk and scan work from: the walk's read size (src/host/memory.ts MAX_READ). */
const PIECE = 4 * 1024 * 1024;

/** The dump's memory by address: a view of the region holding [address, address + length), no copy. */
class Buffers {
  constructor(private readonly regions: TargetRegion[]) {}

  view(address: number, length: number): Uint8Array {
    let low = 0;
    let high = this.regions.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const region = this.regions[middle];
      const base = Number(region.base);
      if (address < base) high = middle - 1;
      else if (address >= base + region.bytes.length) low = middle + 1;
      else {
        const at = address - base;
        if (at + length > region.bytes.length) throw new Error(`0x${address.toString(16)}+0x${length.toString(16)} crosses the end of a dumped region`);
        return region.bytes.subarray(at, at + length);
      }
    }
    throw new Error(`0x${address.toString(16)} is not in the dump`);
  }

  u32(address: number): number {
    const b = this.view(address, 4);
    return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  }

  pointer(address: number, size: 4 | 8): number {
    return size === 4 ? this.u32(address) : this.u32(address + 4) * TWO_32 + this.u32(address);
  }
}

/**
 * The leak scan's floor: every aligned pointer-sized word of `ranges` (what the scan read), through
 * copies of at most PIECE bytes as a host read gives them, compared with the heaps' span [low,
 * high), as a conservative scan must do before it looks anything up; x64 words are turned away by
 * their high half first. Returns how many words lie in the span.
 */
export function floorScan(target: TargetData, ranges: { base: number; size: number }[], low: number, high: number): number {
  const p = target.pointerSize;
  const topLow = Math.floor(low / TWO_32);
  const topHigh = Math.floor((high - 1) / TWO_32);
  let hits = 0;
  for (const range of ranges) {
    for (const region of target.regions) {
      const base = Number(region.base);
      const start = Math.ceil(Math.max(range.base, base) / p) * p;
      const end = Math.min(range.base + range.size, base + region.bytes.length);
      for (let at = start; at + p <= end; at += PIECE) {
        const length = Math.min(PIECE, end - at) - (Math.min(PIECE, end - at) % p);
        const copy = new Uint8Array(length);
        copy.set(region.bytes.subarray(at - base, at - base + length));
        const words = new Uint32Array(copy.buffer, 0, length >> 2);
        if (p === 4) {
          for (let i = 0; i < words.length; i++) {
            const value = words[i];
            if (value >= low && value < high) hits++;
          }
        } else {
          for (let i = 0; i + 1 < words.length; i += 2) {
            const top = words[i + 1];
            if (top < topLow || top > topHigh) continue;
            const value = top * TWO_32 + words[i];
            if (value >= low && value < high) hits++;
          }
        }
      }
    }
  }
  return hits;
}

/** Offsets of a dotted field path, from the ISF (the same facts the docs' tables give). */
function offsetOf(types: IsfTypes, type: string, path: string): number {
  let offset = 0;
  let current = type;
  for (const name of path.split(".")) {
    const field = types.userType(current)?.field(name);
    if (!field) throw new Error(`${current} has no field ${name}`);
    offset += field.offset;
    if ("name" in field.type) current = field.type.name;
  }
  return offset;
}

/**
 * A table of `capacity` rows in the walk's column widths on x64 (src/heap/records.ts: two doubles,
 * four 32-bit, a 16-bit and three byte columns, 37 bytes a row), in fresh memory as a walk's table is.
 */
export class FloorRows {
  readonly address: Float64Array;
  readonly userAddress: Float64Array;
  readonly size: Uint32Array;
  readonly userSize: Uint32Array;
  readonly previousSize: Uint32Array;
  readonly container: Int32Array;
  readonly segment: Int16Array;
  readonly state: Uint8Array;
  readonly kind: Uint8Array;
  readonly flags: Uint8Array;
  count = 0;

  constructor(capacity: number) {
    this.address = new Float64Array(capacity);
    this.userAddress = new Float64Array(capacity);
    this.size = new Uint32Array(capacity);
    this.userSize = new Uint32Array(capacity);
    this.previousSize = new Uint32Array(capacity);
    this.container = new Int32Array(capacity);
    this.segment = new Int16Array(capacity);
    this.state = new Uint8Array(capacity);
    this.kind = new Uint8Array(capacity);
    this.flags = new Uint8Array(capacity);
  }
}

/**
 * The floor (no `rows`): straight from the dump's buffers. The minimal walk (`rows`): through
 * copies of at most PIECE bytes, one row per block written to `rows`.
 */
export function floorDecode(target: TargetData, types: IsfTypes, rows?: FloorRows): FloorResult {
  const p = target.pointerSize;
  const gran = 2 * p; // sizeof(_HEAP_ENTRY), §2.2
  const core = p === 8 ? 8 : 0; // the 8 encoded bytes start at +8 on x64 (§2.2)
  const memory = new Buffers(target.regions);
  const o = (type: string, path: string) => offsetOf(types, type, path);
  const ntdll = target.modules.find((m) => m.name.toLowerCase() === "ntdll.dll")!;
  const lfhKey = memory.u32(Number(ntdll.base) + types.symbolRva("RtlpLFHKey")!);
  const peb = Number(target.peb);
  const heapCount = memory.u32(peb + o("_PEB", "NumberOfHeaps"));
  const heapArray = memory.pointer(peb + o("_PEB", "ProcessHeaps"), p);
  const listNext = (entry: number) => memory.pointer(entry, p); // LIST_ENTRY.Flink
  const result: FloorResult = { heaps: heapCount, blocks: 0, busy: 0, bytes: 0 };
  const offsets = {
    encodeFlagMask: o("_HEAP", "EncodeFlagMask"),
    encoding: o("_HEAP", "Encoding"),
    segmentList: o("_HEAP", "SegmentList"),
    virtualAllocdBlocks: o("_HEAP", "VirtualAllocdBlocks"),
    frontEndHeap: o("_HEAP", "FrontEndHeap"),
    frontEndHeapType: o("_HEAP", "FrontEndHeapType"),
    segmentListEntry: o("_HEAP_SEGMENT", "SegmentListEntry"),
    firstEntry: o("_HEAP_SEGMENT", "FirstEntry"),
    lastValidEntry: o("_HEAP_SEGMENT", "LastValidEntry"),
    ucrSegmentList: o("_HEAP_SEGMENT", "UCRSegmentList"),
    ucrSegmentEntry: o("_HEAP_UCR_DESCRIPTOR", "SegmentEntry"),
    ucrAddress: o("_HEAP_UCR_DESCRIPTOR", "Address"),
    ucrSize: o("_HEAP_UCR_DESCRIPTOR", "Size"),
    vaEntry: o("_HEAP_VIRTUAL_ALLOC_ENTRY", "Entry"),
    encodedOffsets: o("_HEAP_USERDATA_HEADER", "EncodedOffsets"),
    signature: o("_HEAP_USERDATA_HEADER", "Signature"),
    bitmapSize: o("_HEAP_USERDATA_HEADER", "BusyBitmap.SizeOfBitMap"),
  };
  for (let h = 0; h < heapCount; h++) {
    const heap = memory.pointer(heapArray + h * p, p);
    const key = memory.u32(heap + offsets.encodeFlagMask) !== 0 ? memory.view(heap + offsets.encoding + core, 8) : new Uint8Array(8);
    const lfhHeap = memory.view(heap + offsets.frontEndHeapType, 1)[0] === FRONT_END_LFH ? memory.pointer(heap + offsets.frontEndHeap, p) : 0;
    const offsetsKey = (lfhKey ^ (lfhHeap % TWO_32)) >>> 0;
    // Segments (§2.2 "Walking a segment"), each from its first entry, skipping its uncommitted ranges.
    const segmentHead = heap + offsets.segmentList;
    for (let link = listNext(segmentHead); link !== segmentHead; link = listNext(link)) {
      const segment = link - offsets.segmentListEntry;
      const end = memory.pointer(segment + offsets.lastValidEntry, p);
      const ucrs: { address: number; size: number }[] = [];
      const ucrHead = segment + offsets.ucrSegmentList;
      for (let u = listNext(ucrHead); u !== ucrHead; u = listNext(u)) {
        const descriptor = u - offsets.ucrSegmentEntry;
        ucrs.push({ address: memory.pointer(descriptor + offsets.ucrAddress, p), size: memory.pointer(descriptor + offsets.ucrSize, p) });
      }
      ucrs.sort((a, b) => a.address - b.address);
      // The segment's own header entry, then each committed run.
      decodeRun(segment, memory.pointer(segment + offsets.firstEntry, p));
      let start = memory.pointer(segment + offsets.firstEntry, p);
      for (const ucr of ucrs) {
        decodeRun(start, ucr.address);
        start = ucr.address + ucr.size;
      }
      if (start < end) decodeRun(start, end);
    }
    // VirtualAlloc'd blocks (§2.3): one each.
    const vaHead = heap + offsets.virtualAllocdBlocks;
    for (let link = listNext(vaHead); link !== vaHead; link = listNext(link)) {
      result.blocks++;
      result.busy++;
      if (rows) row(link, link, 0, 0, 0, 2, -1, -1, 0, 1);
    }

    /** The bytes holding [address, address + length) and where address is in them: a view of the dump, or a fresh copy. */
    function bytesAt(address: number, length: number, end: number): { bytes: Uint8Array; base: number } {
      if (!rows) return { bytes: memory.view(address, end - address), base: address };
      const n = Math.min(end - address, Math.max(length, PIECE));
      const copy = new Uint8Array(n);
      copy.set(memory.view(address, n));
      return { bytes: copy, base: address };
    }

    function decodeRun(from: number, to: number): void {
      result.bytes += to - from;
      let { bytes, base } = bytesAt(from, gran, to);
      const k0 = key[0], k1 = key[1], k2 = key[2], k3 = key[3], k4 = key[4], k5 = key[5], k7 = key[7];
      for (let address = from; address < to; ) {
        if (address + gran > base + bytes.length) ({ bytes, base } = bytesAt(address, gran, to));
        const at = address - base;
        // §2.2: XOR with the key, SmallTagIndex == Size.lo ^ Size.hi ^ Flags.
        const s0 = bytes[at + core] ^ k0;
        const s1 = bytes[at + core + 1] ^ k1;
        const flags = bytes[at + core + 2] ^ k2;
        if ((bytes[at + core + 3] ^ k3) !== (s0 ^ s1 ^ flags)) throw new Error(`floor: bad header at 0x${address.toString(16)}`);
        const size = (s0 | (s1 << 8)) * gran;
        result.blocks++;
        const unused = bytes[at + core + 7] ^ k7;
        const container = rows ? rows.count : -1;
        if (rows) row(address, address + gran, size, (flags & 1) !== 0 ? size - unused : 0, (flags & 1) !== 0 ? 0 : 1, 0, 0, -1, ((bytes[at + core + 4] ^ k4) | ((bytes[at + core + 5] ^ k5) << 8)) * gran, flags);
        if ((flags & 1) !== 0) {
          result.busy++;
          // §2.4 (b): an internal busy block starting with a UserBlocks header holds LFH blocks.
          if ((flags & 8) !== 0 && unused >= 8 && lfhHeap !== 0) {
            if (address + size > base + bytes.length) ({ bytes, base } = bytesAt(address, size, to));
            decodeUserBlocks(bytes, address - base + gran, address + gran, container);
          }
        }
        address += size;
      }
    }

    function decodeUserBlocks(bytes: Uint8Array, at: number, userBlocks: number, container: number): void {
      const word = (i: number) => (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)) >>> 0;
      if (word(at + offsets.signature) !== USERDATA_SIGNATURE) return;
      // §2.4 step 3: EncodedOffsets ^ UserBlocks ^ LfhHeap ^ RtlpLFHKey.
      const decoded = (word(at + offsets.encodedOffsets) ^ (userBlocks % TWO_32) ^ offsetsKey) >>> 0;
      const first = decoded & 0xffff;
      const stride = decoded >>> 16;
      const count = word(at + offsets.bitmapSize);
      // §2.4 step 6: UnusedBytes & 0x3F is 0 exactly when the block is free.
      for (let i = 0, block = at + first + core + 7; i < count; i++, block += stride) {
        result.blocks++;
        const unused = bytes[block] & 0x3f;
        if (unused !== 0) result.busy++;
        if (rows) {
          const address = userBlocks + first + i * stride;
          row(address, address + gran, stride, unused !== 0 ? stride - unused : 0, unused !== 0 ? 0 : 1, 1, 0, container, 0, unused !== 0 ? 1 : 0);
        }
      }
    }
  }
  return result;

  function row(address: number, userAddress: number, size: number, userSize: number, state: number, kind: number,
    segment: number, container: number, previousSize: number, flags: number): void {
    const r = rows!;
    const k = r.count++;
    r.address[k] = address;
    r.userAddress[k] = userAddress;
    r.size[k] = size;
    r.userSize[k] = userSize;
    r.state[k] = state;
    r.kind[k] = kind;
    r.segment[k] = segment;
    r.container[k] = container;
    r.previousSize[k] = previousSize;
    r.flags[k] = flags;
  }
}
