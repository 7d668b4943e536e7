// The damage a fuzz case does to its image before the dump is written. Every mutation is drawn
// from the case's Rng, aims at a structure of the image's catalogue (image.ts), takes its offsets
// from the image's Layout (a field the layout lacks makes the draw pick another mutation), and is
// recorded as what / where / old → new so that a failure can be read and replayed. This file has
// the shared helpers and the NT heap families; segment-heap.ts, page-heap.ts and wow64.ts have
// theirs, kinds.ts the table of all.
import type { AddressSpace, Arch, HeapTruth, Layout } from "../writers/types";
import type { NtSide } from "./image";
import type { Rng } from "./random";

export interface Mutation {
  /** The mutation family (see MUTATORS). */
  kind: string;
  /** The structure and field, e.g. "_HEAP_SEGMENT@0x1d000230000.LastValidEntry". */
  target: string;
  address: bigint;
  /** Bytes written (or dropped). */
  size: number;
  /** Hex of the bytes before ("committed" for a drop). */
  old: string;
  /** Hex of the bytes after, and why that value ("0xffffffff (all ones)"). */
  new: string;
}

export function describeMutation(m: Mutation): string {
  return `${m.kind}: ${m.target} [0x${m.address.toString(16)}, ${m.size} byte${m.size === 1 ? "" : "s"}] ${m.old} -> ${m.new}`;
}

const PAGE = 0x1000n;
export const hex = (value: bigint) => "0x" + value.toString(16);

/**
 * What the helpers need of an image: one ntdll's layout, the memory, and the heaps whose
 * addresses make plausible wrong pointers (each with segments: no page-heap handle).
 */
export interface Scope {
  arch: Arch;
  layout: Layout;
  space: AddressSpace;
  heaps: HeapTruth[];
}

// ---------------------------------------------------------------------------------------------
// Fields as the layout has them.

interface FieldInfo {
  offset: number;
  size: number;
  pointer: boolean;
  /** A bitfield's place in its container (size is the container's). */
  bits?: { position: number; length: number };
}

/** Offset, size and pointer-ness of a (dotted) field path, or undefined where the layout has no such field. */
export function fieldInfo(layout: Layout, type: string, path: string): FieldInfo | undefined {
  const isf = layout.isf;
  let offset = 0;
  let current: any = { kind: "struct", name: type };
  for (const part of path.split(".")) {
    if (current.kind !== "struct" && current.kind !== "union") return undefined;
    const field = isf.user_types[current.name]?.fields?.[part];
    if (!field) return undefined;
    offset += field.offset;
    current = field.type;
  }
  const size = typeSize(layout, current);
  if (size === undefined) return undefined;
  const bits = current.kind === "bitfield" ? { position: current.bit_position, length: current.bit_length } : undefined;
  return { offset, size, pointer: current.kind === "pointer", ...(bits && { bits }) };
}

function typeSize(layout: Layout, type: any): number | undefined {
  const isf = layout.isf;
  switch (type.kind) {
    case "base":
      return isf.base_types[type.name]?.size;
    case "pointer":
      return layout.pointerSize;
    case "struct":
    case "union":
      return isf.user_types[type.name]?.size;
    case "array": {
      const element = typeSize(layout, type.subtype);
      return element === undefined ? undefined : element * type.count;
    }
    case "bitfield":
      return typeSize(layout, type.type);
    case "enum":
      return isf.enums?.[type.name]?.size;
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Reading and writing the image.

function readBytes(space: AddressSpace, address: bigint, size: number): Uint8Array | undefined {
  try {
    return space.read(address, size);
  } catch {
    return undefined; // not committed
  }
}

function bytesHex(bytes: Uint8Array): string {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  return hex(value);
}

function toBytes(value: bigint, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return bytes;
}

export function readValue(space: AddressSpace, address: bigint, size: number): bigint | undefined {
  const bytes = readBytes(space, address, size);
  if (!bytes) return undefined;
  let value = 0n;
  for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  return value;
}

/** Writes bytes where the image holds them; undefined where it does not (the draw picks again). */
export function writeBytes(space: AddressSpace, kind: string, target: string, address: bigint, bytes: Uint8Array, why: string): Mutation | undefined {
  const old = readBytes(space, address, bytes.length);
  if (!old) return undefined;
  space.write(address, bytes);
  return { kind, target, address, size: bytes.length, old: bytesHex(old), new: `${bytesHex(bytes)}${why ? ` (${why})` : ""}` };
}

export function writeValue(space: AddressSpace, kind: string, target: string, address: bigint, size: number, value: bigint, why: string): Mutation | undefined {
  if (value < 0n || value >= 1n << BigInt(8 * size)) return undefined;
  return writeBytes(space, kind, target, address, toBytes(value, size), why);
}

// ---------------------------------------------------------------------------------------------
// Values: the extremes the brief asks for, and plausible-looking wrong ones.

interface ValueContext {
  image: Scope;
  rng: Rng;
  /** Where the field is. */
  field: bigint;
  /** The structure holding it. */
  struct: bigint;
  /** The heap the structure belongs to, if any. */
  heap?: HeapTruth;
  size: number;
  old: bigint;
}

/** A value for a pointer field (or a link): null, all ones, 2^40, above 2^53, itself, into another heap, unmapped, near the old one. */
export function pointerValue(c: ValueContext): [bigint, string] {
  const { image, rng, size } = c;
  const x64 = image.arch === "x64";
  const others = image.heaps.filter((h) => h !== c.heap);
  const otherHeap = rng.pick(others.length > 0 ? others : image.heaps);
  const choices: [() => [bigint, string], number][] = [
    [() => [0n, "null"], 3],
    [() => [(1n << BigInt(8 * size)) - 1n, "all ones"], 2],
    [() => [0xffffffffn, "0xffffffff"], 1],
    [() => [c.field, "points to itself"], 3],
    [() => [c.struct, "points to its own structure"], 2],
    [() => [otherHeap.address, "another heap's _HEAP"], 2],
    [() => [c.field - c.struct + otherHeap.address, "the same field of another heap"], 2],
    [() => [rng.pick(otherHeap.blocks).address, "a block of another heap"], 2],
    [() => [c.old + BigInt(rng.pick([-2, -1, 1, 2]) * image.layout.granularity), "one or two granules off"], 2],
    [() => [c.old + BigInt(rng.int(1, 7)), "misaligned"], 1],
    [() => [rng.pick(image.heaps).segments[0].lastValidEntry + BigInt(rng.int(0, 0x10) * 0x1000), "past a segment (unmapped)"], 2],
    [() => [x64 ? 0x10000n + BigInt(rng.int(0, 0xff) * 16) : 0x10000n, "a low unmapped address"], 1],
    [() => [rng.bits(size), "random"], 2],
  ];
  if (x64 && size === 8) {
    choices.push([() => [1n << 40n, "2^40"], 2]);
    choices.push([() => [(1n << 53n) + BigInt(rng.int(1, 0xffff) * 16), "above 2^53"], 2]);
    choices.push([() => [rng.pick([0x8000_0000_0000_0000n, 0xfedc_ba98_7654_3210n, 0xffff_8000_0000_0000n]), "kernel / above 2^53"], 2]);
    choices.push([() => [c.old | (1n << 60n), "a high bit set"], 1]);
  }
  const [value, why] = rng.weighted(choices)();
  return [BigInt.asUintN(8 * size, value), why];
}

/** A value for a count, size or flag field of `size` bytes. */
export function integerValue(c: ValueContext): [bigint, string] {
  const { rng, size, old } = c;
  const bits = BigInt(8 * size);
  const max = (1n << bits) - 1n;
  const choices: [() => [bigint, string], number][] = [
    [() => [0n, "zero"], 3],
    [() => [1n, "one"], 1],
    [() => [max, "all ones"], 3],
    [() => [max - 1n, "max - 1"], 1],
    [() => [1n << (bits - 1n), "top bit only"], 1],
    [() => [(1n << (bits - 1n)) - 1n, "max signed"], 1],
    [() => [old + 1n, "+1"], 1],
    [() => [old - 1n, "-1"], 1],
    [() => [old ^ (1n << BigInt(rng.int(0, 8 * size - 1))), "one bit flipped"], 3],
    [() => [old * 16n + BigInt(rng.int(0, 15)), "x16"], 1],
    [() => [old << 8n, "<<8"], 1],
    [() => [rng.bits(size), "random"], 2],
  ];
  if (size >= 4) choices.push([() => [0xffffffffn, "0xffffffff"], 2], [() => [0x7fffffffn, "0x7fffffff"], 1]);
  if (size === 8) {
    choices.push([() => [1n << 40n, "2^40"], 2], [() => [(1n << 53n) + 1n, "2^53 + 1"], 2], [() => [1n << 63n, "2^63"], 1]);
  }
  const [value, why] = rng.weighted(choices)();
  return [BigInt.asUintN(8 * size, value), why];
}

// ---------------------------------------------------------------------------------------------
// The mutators. Each returns undefined when its target does not exist in this image or layout.

type Mutator = (image: NtSide, rng: Rng) => Mutation | undefined;

/** Rewrites `type.path` of the structure at `struct` with a value suited to the field. */
export function mutateField(image: Scope, rng: Rng, kind: string, type: string, struct: bigint, path: string, heap?: HeapTruth, label = type): Mutation | undefined {
  const info = fieldInfo(image.layout, type, path);
  if (!info) return undefined;
  const field = struct + BigInt(info.offset);
  const size = info.size <= 8 ? info.size : rng.pick([1, 4].filter((s) => s <= info.size));
  const address = info.size <= 8 ? field : field + BigInt(rng.int(0, info.size - size));
  const old = readValue(image.space, address, size);
  if (old === undefined) return undefined;
  const isPointer = info.pointer || /(^|\.)(Flink|Blink)$/.test(path) || (info.size === image.layout.pointerSize && rng.chance(0.3));
  const [value, why] = (isPointer ? pointerValue : integerValue)({ image, rng, field, struct, heap, size, old });
  if (value === old) return undefined;
  return writeValue(image.space, kind, `${label}@${hex(struct)}.${path}`, address, size, value, why);
}

const LINKS = (list: string) => [`${list}.Flink`, `${list}.Blink`];

const HEAP_FIELDS = [
  "Encoding",
  "EncodeFlagMask",
  "FrontEndHeap",
  "FrontEndHeapType",
  "Counters.TotalMemoryReserved",
  "Counters.TotalMemoryCommitted",
  "Counters.TotalMemoryLargeUCR",
  "Counters.TotalSizeInVirtualBlocks",
  "Counters.TotalSegments",
  "Counters.TotalUCRs",
  "Counters.LockAcquires",
  "Counters.LockCollisions",
  "VirtualMemoryThreshold",
  ...LINKS("SegmentList"),
  ...LINKS("VirtualAllocdBlocks"),
  ...LINKS("FreeLists"),
  ...LINKS("UCRList"),
  "BlocksIndex",
  "TotalFreeSize",
  "Signature",
  "SegmentSignature",
  "Flags",
  "ForceFlags",
  "ProcessHeapsListIndex",
  "AlignMask",
  "AlignRound",
  "MaximumAllocationSize",
];

const SEGMENT_FIELDS = [
  "BaseAddress",
  "FirstEntry",
  "LastValidEntry",
  "NumberOfUnCommittedRanges",
  "NumberOfUnCommittedPages",
  "NumberOfPages",
  ...LINKS("UCRSegmentList"),
  ...LINKS("SegmentListEntry"),
  "Heap",
  "SegmentSignature",
  "SegmentFlags",
];

const heapField: Mutator = (image, rng) => {
  const heap = rng.pick(image.heaps);
  return mutateField(image, rng, "heap-field", "_HEAP", heap.address, rng.pick(HEAP_FIELDS), heap);
};

const segmentField: Mutator = (image, rng) => {
  const heap = rng.pick(image.heaps);
  const segment = rng.pick(heap.segments);
  return mutateField(image, rng, "segment-field", "_HEAP_SEGMENT", segment.address, rng.pick(SEGMENT_FIELDS), heap);
};

const ucrDescriptor: Mutator = (image, rng) => {
  if (image.ucrDescriptors.length === 0) return undefined;
  const { heap, descriptor } = rng.pick(image.ucrDescriptors);
  const path = rng.pick(["Address", "Address", "Size", "Size", ...LINKS("SegmentEntry"), ...LINKS("ListEntry")]);
  return mutateField(image, rng, "ucr", "_HEAP_UCR_DESCRIPTOR", descriptor, path, heap);
};

const virtualAlloc: Mutator = (image, rng) => {
  if (image.virtualAllocs.length === 0) return undefined;
  const { heap, entry, block } = rng.pick(image.virtualAllocs);
  if (rng.chance(0.25)) return entryHeader(image, rng, heap, block.address, "virtual-alloc", `BusyBlock of _HEAP_VIRTUAL_ALLOC_ENTRY@${hex(entry)}`);
  const path = rng.pick(["CommitSize", "CommitSize", "ReserveSize", "ReserveSize", ...LINKS("Entry")]);
  return mutateField(image, rng, "virtual-alloc", "_HEAP_VIRTUAL_ALLOC_ENTRY", entry, path, heap);
};

const freeList: Mutator = (image, rng) => {
  const heap = rng.pick(image.heaps);
  const free = heap.blocks.filter((b) => b.kind === "Backend" && b.state === "Free");
  const draw = rng.int(0, 3);
  if (draw <= 1 && free.length > 0) {
    return mutateField(image, rng, "free-list", "_HEAP_FREE_ENTRY", rng.pick(free).address, rng.pick(LINKS("FreeList")), heap);
  }
  const lookup = readValue(image.space, heap.address + BigInt(image.layout.off("_HEAP", "BlocksIndex")), image.layout.pointerSize);
  if (!lookup) return undefined;
  if (draw === 2) {
    const path = rng.pick(["ArraySize", "ItemCount", "OutOfRangeItems", "BaseIndex", "ListHead", "ListsInUseUlong", "ListHints", "ExtendedLookup"]);
    return mutateField(image, rng, "free-list", "_HEAP_LIST_LOOKUP", lookup, path, heap);
  }
  // A ListHints slot.
  const hints = readValue(image.space, lookup + BigInt(image.layout.off("_HEAP_LIST_LOOKUP", "ListHints")), image.layout.pointerSize);
  if (!hints) return undefined;
  const slot = hints + BigInt(rng.int(0, 0x7f) * image.layout.pointerSize);
  const old = readValue(image.space, slot, image.layout.pointerSize);
  if (old === undefined) return undefined;
  const [value, why] = pointerValue({ image, rng, field: slot, struct: hints, heap, size: image.layout.pointerSize, old });
  return writeValue(image.space, "free-list", `ListHints@${hex(hints)}[${(slot - hints) / BigInt(image.layout.pointerSize)}]`, slot, image.layout.pointerSize, value, why);
};

const peb: Mutator = (image, rng) => {
  const pointerSize = image.layout.pointerSize;
  if (rng.chance(0.35)) {
    // A slot of the ProcessHeaps array (those in use and the ones after them).
    const index = rng.int(0, Math.min(15, image.heaps.length + 1));
    const slot = image.processHeapsArray + BigInt(index * pointerSize);
    const old = readValue(image.space, slot, pointerSize);
    if (old === undefined) return undefined;
    const choices: [() => [bigint, string], number][] = [
      [() => pointerValue({ image, rng, field: slot, struct: image.processHeapsArray, size: pointerSize, old }), 3],
      [() => [rng.pick(image.heaps).address, "a heap listed twice"], 2],
      [() => [image.peb, "the PEB"], 1],
      [
        () => {
          const segments = image.heaps.flatMap((h) => h.segments.slice(1));
          return segments.length > 0 ? [rng.pick(segments).address, "a segment, not a heap"] : [image.peb, "the PEB"];
        },
        1,
      ],
    ];
    const [value, why] = rng.weighted(choices)();
    if (value === old) return undefined;
    return writeValue(image.space, "peb", `${image.pebName}.ProcessHeaps[${index}]@${hex(slot)}`, slot, pointerSize, BigInt.asUintN(8 * pointerSize, value), why);
  }
  const path = rng.pick(["ProcessHeaps", "ProcessHeaps", "NumberOfHeaps", "NumberOfHeaps", "NumberOfHeaps", "MaximumNumberOfHeaps", "MaximumNumberOfHeaps", "ProcessHeap"]);
  return mutateField(image, rng, "peb", "_PEB", image.peb, path, undefined, image.pebName);
};

const descriptorList: Mutator = (image, rng) => {
  if (image.descriptorHead === undefined) return undefined;
  if (image.descriptors.length === 0 || rng.chance(0.25)) {
    return mutateField(image, rng, "descriptor-list", "_LIST_ENTRY", image.descriptorHead, rng.pick(["Flink", "Blink"]), undefined, "ntdll!RtlpProcessHeaps");
  }
  const descriptor = rng.pick(image.descriptors);
  const path = rng.pick(["Heap", "Heap", "Flags", ...LINKS("DescriptorLink"), ...LINKS("DescriptorLink")]);
  // The list may hold a segment heap, which is not among the side's NT heaps.
  const listed = readValue(image.space, descriptor + BigInt(image.layout.off("_RTLP_PROCESS_HEAP_DESCRIPTOR", "Heap")), image.layout.pointerSize);
  return mutateField(image, rng, "descriptor-list", "_RTLP_PROCESS_HEAP_DESCRIPTOR", descriptor, path, image.heaps.find((h) => h.address === listed));
};

/** The 8-byte core of a _HEAP_ENTRY: x64 at +8, x86 at +0, XORed with the heap's Encoding (§2.2). */
class EntryCore {
  readonly core: number;
  private readonly offsets: Record<"size" | "flags" | "tag" | "previous" | "segmentOffset" | "unused", number>;

  constructor(private readonly layout: Layout) {
    this.core = layout.off("_HEAP_ENTRY", "Size");
    const inCore = (field: string) => layout.off("_HEAP_ENTRY", field) - this.core;
    this.offsets = {
      size: inCore("Size"),
      flags: inCore("Flags"),
      tag: inCore("SmallTagIndex"),
      previous: inCore("PreviousSize"),
      segmentOffset: inCore("SegmentOffset"),
      unused: inCore("UnusedBytes"),
    };
  }

  /** The key of the heap's entries as the heap's Encoding holds it now (zero without EncodeFlagMask). */
  key(space: AddressSpace, heap: bigint): Uint8Array {
    const mask = readValue(space, heap + BigInt(this.layout.off("_HEAP", "EncodeFlagMask")), 4);
    const key = readBytes(space, heap + BigInt(this.layout.off("_HEAP", "Encoding") + this.core), 8);
    return mask && key ? key : new Uint8Array(8);
  }

  /**
   * Decodes the entry, lets `change` alter the clear fields, restores (or not) the checksum, and
   * writes it back encoded. Returns the clear before and after.
   */
  rewrite(space: AddressSpace, heap: bigint, entry: bigint, change: (clear: Uint8Array, o: EntryCore["offsets"]) => void, checksum: boolean): { before: Uint8Array; after: Uint8Array } | undefined {
    const address = entry + BigInt(this.core);
    const encoded = readBytes(space, address, 8);
    if (!encoded) return undefined;
    const key = this.key(space, heap);
    const clear = encoded.map((b, i) => b ^ key[i]);
    const before = clear.slice();
    change(clear, this.offsets);
    const o = this.offsets;
    if (checksum) clear[o.tag] = clear[o.size] ^ clear[o.size + 1] ^ clear[o.flags];
    space.write(address, clear.map((b, i) => b ^ key[i]));
    return { before, after: clear };
  }
}

/** Damage to one back-end or VirtualAlloc header: flipped bytes, or fields rewritten with a valid checksum. */
function entryHeader(image: NtSide, rng: Rng, heap: HeapTruth, entry: bigint, kind: string, label: string): Mutation | undefined {
  const { space, layout } = image;
  const codec = new EntryCore(layout);
  const core = entry + BigInt(codec.core);
  const op = rng.weighted([["flip", 3], ["overwrite", 1], ["size", 4], ["previous", 2], ["flags", 2], ["unused", 3], ["segmentOffset", 1]] as const);
  if (op === "flip" || op === "overwrite") {
    const old = readBytes(space, core, 8);
    if (!old) return undefined;
    const bytes = old.slice();
    if (op === "flip") {
      for (let n = rng.int(1, 3); n > 0; n--) bytes[rng.int(0, 7)] ^= rng.int(1, 255);
    } else {
      const fill = rng.pick([0x00, 0xff, -1]);
      for (let i = 0; i < 8; i++) bytes[i] = fill < 0 ? rng.int(0, 255) : fill;
    }
    return writeBytes(space, kind, `${label} header core (encoded)`, core, bytes, op === "flip" ? "bytes flipped" : "overwritten");
  }
  let why = "";
  const checksum = rng.chance(0.85);
  const result = codec.rewrite(
    space,
    heap.address,
    entry,
    (clear, o) => {
      const u16 = (at: number, v: number) => {
        clear[at] = v & 0xff;
        clear[at + 1] = (v >> 8) & 0xff;
      };
      const old16 = (at: number) => clear[at] | (clear[at + 1] << 8);
      switch (op) {
        case "size": {
          const [v, w] = rng.weighted<[number, string]>([
            [[0, "Size 0"], 3],
            [[1, "Size 1"], 2],
            [[0xffff, "Size 0xffff"], 3],
            [[old16(o.size) + rng.pick([-1, 1, 2]), "Size off by a granule or two"], 3],
            [[old16(o.size) * 2, "Size doubled"], 1],
            [[rng.int(0, 0xffff), "Size random"], 2],
          ]);
          u16(o.size, v);
          why = w;
          break;
        }
        case "previous": {
          const [v, w] = rng.weighted<[number, string]>([
            [[0, "PreviousSize 0"], 2],
            [[0xffff, "PreviousSize 0xffff"], 2],
            [[old16(o.previous) + rng.pick([-1, 1]), "PreviousSize off by one"], 2],
            [[rng.int(0, 0xffff), "PreviousSize random"], 1],
          ]);
          u16(o.previous, v);
          why = w;
          break;
        }
        case "flags": {
          const v = rng.pick([0, 0xff, clear[o.flags] ^ (1 << rng.int(0, 7)), 0x01 | 0x08, rng.int(0, 255)]);
          clear[o.flags] = v;
          why = `Flags 0x${v.toString(16)}`;
          break;
        }
        case "unused": {
          const v = rng.pick([0, 1, 3, 4, 0x3f, 0x40, 0x40 | rng.int(0, 0x3f), 0x80, 0xbf, 0xc2, 0xff, rng.int(0, 255)]);
          clear[o.unused] = v;
          why = `UnusedBytes 0x${v.toString(16)}`;
          break;
        }
        case "segmentOffset": {
          const v = rng.pick([0xff, rng.int(1, 255)]);
          clear[o.segmentOffset] = v;
          why = `SegmentOffset 0x${v.toString(16)}`;
          break;
        }
      }
    },
    checksum,
  );
  if (!result) return undefined;
  return {
    kind,
    target: `${label} header core (clear)`,
    address: core,
    size: 8,
    old: bytesHex(result.before),
    new: `${bytesHex(result.after)} (${why}${checksum ? ", checksum kept valid" : ", checksum not updated"})`,
  };
}

const backendHeader: Mutator = (image, rng) => {
  const heap = rng.pick(image.heaps);
  const blocks = heap.blocks.filter((b) => b.kind === "Backend");
  const block = rng.pick(blocks);
  return entryHeader(image, rng, heap, block.address, "entry-header", `${block.state} backend block@${hex(block.address)}`);
};

/** The escapes' extra data: the 0x3F count after the block (x64), the 0x40 extended entry. */
const entryExtra: Mutator = (image, rng) => {
  const { space, layout } = image;
  const heap = rng.pick(image.heaps);
  const codec = new EntryCore(layout);
  const key = codec.key(space, heap.address);
  const unusedAt = layout.off("_HEAP_ENTRY", "UnusedBytes");
  const busy = heap.blocks.filter((b) => b.kind === "Backend" && b.state === "Busy");
  const escaped = busy.filter((b) => {
    const byte = readBytes(space, b.address + BigInt(unusedAt), 1);
    return byte !== undefined && ((byte[0] ^ key[unusedAt - codec.core]) === 0x3f || ((byte[0] ^ key[unusedAt - codec.core]) & 0x40) !== 0);
  });
  if (escaped.length === 0) return undefined;
  const block = rng.pick(escaped);
  const unused = readBytes(space, block.address + BigInt(unusedAt), 1)![0] ^ key[unusedAt - codec.core];
  if (unused === 0x3f) {
    // The count in the next header's first pointer-sized bytes (§2.2).
    const at = block.address + BigInt(block.size);
    const old = readValue(space, at, layout.pointerSize);
    if (old === undefined) return undefined;
    const [value, why] = integerValue({ image, rng, field: at, struct: block.address, heap, size: layout.pointerSize, old });
    return writeValue(space, "entry-extra", `0x3F unused-bytes count of block@${hex(block.address)}`, at, layout.pointerSize, value, why);
  }
  // The extended entry 2 granules on (EntryOffset, UnusedBytesLength, ExtendedBlockSignature).
  const extended = block.address + 2n * BigInt(layout.granularity);
  const path = rng.pick(["EntryOffset", "EntryOffset", "UnusedBytesLength", "UnusedBytesLength", "ExtendedBlockSignature"]);
  return mutateField(image, rng, "entry-extra", "_HEAP_ENTRY", extended, path, heap, `extended entry of block@${hex(block.address)}: _HEAP_ENTRY`);
};

const lfhBlock: Mutator = (image, rng) => {
  if (image.containers.length === 0) return undefined;
  const container = rng.pick(image.containers);
  const block = rng.pick(container.blocks);
  const { space, layout } = image;
  const core = block.address + BigInt(new EntryCore(layout).core);
  if (rng.chance(0.5)) {
    const at = block.address + BigInt(layout.off("_HEAP_ENTRY", "UnusedBytes"));
    const old = readValue(space, at, 1);
    const v = rng.pick([0, 0x80, 0x3f, 0xbf, 0xc2, 0xff, 0x40, rng.int(0, 255)]);
    if (old === undefined || BigInt(v) === old) return undefined;
    return writeValue(space, "lfh-block", `${block.state} LFH block@${hex(block.address)}.UnusedBytes`, at, 1, BigInt(v), `0x${v.toString(16)}`);
  }
  const old = readBytes(space, core, 8);
  if (!old) return undefined;
  const bytes = old.slice();
  for (let n = rng.int(1, 3); n > 0; n--) bytes[rng.int(0, 7)] ^= rng.int(1, 255);
  return writeBytes(space, "lfh-block", `${block.state} LFH block@${hex(block.address)} header core`, core, bytes, "bytes flipped");
};

/** UserBlocks header, subsegment, the _LFH_HEAP, RtlpLFHKey. */
const lfhStructure: Mutator = (image, rng) => {
  const draw = rng.int(0, 9);
  if (draw === 9) {
    const old = readValue(image.space, image.lfhKeyAddress, 4)!;
    const [value, why] = integerValue({ image, rng, field: image.lfhKeyAddress, struct: image.lfhKeyAddress, size: 4, old });
    return writeValue(image.space, "lfh-header", "ntdll!RtlpLFHKey", image.lfhKeyAddress, 4, value, why);
  }
  if (draw === 8) {
    if (image.lfhHeaps.length === 0) return undefined;
    const { heap, address } = rng.pick(image.lfhHeaps);
    return mutateField(image, rng, "lfh-header", "_LFH_HEAP", address, rng.pick(["Heap", "Heap", "SubSegmentZones.Flink", "SegmentInfoArrays"]), heap);
  }
  if (image.containers.length === 0) return undefined;
  const container = rng.pick(image.containers);
  if (draw >= 6) {
    const path = rng.pick(["UserBlocks", "UserBlocks", "BlockSize", "BlockSize", "BlockCount", "BlockCount", "AggregateExchg.Depth", "LocalInfo"]);
    return mutateField(image, rng, "lfh-header", "_HEAP_SUBSEGMENT", container.subsegment, path, container.heap);
  }
  const path = rng.pick([
    "SubSegment",
    "Signature",
    "EncodedOffsets.StrideAndOffset",
    "EncodedOffsets.StrideAndOffset",
    "BusyBitmap.SizeOfBitMap",
    "BusyBitmap.SizeOfBitMap",
    "BusyBitmap.Buffer",
    "BusyBitmap.Buffer",
    "BitmapData",
  ]);
  return mutateField(image, rng, "lfh-header", "_HEAP_USERDATA_HEADER", container.userBlocks, path, container.heap);
};

/** Cuts memory short: pages of structures left out of the dump. */
const dropMemory: Mutator = (image, rng) => {
  const heap = rng.pick(image.heaps);
  const segment = rng.pick(heap.segments);
  const choices: DropChoice[] = [
    [() => [pageOf(heap.address), 1, `the first page of _HEAP@${hex(heap.address)}`], 2],
    [() => [pageOf(segment.address), 1, `the header page of segment@${hex(segment.address)}`], 2],
    [
      () => {
        const pages = Number((segment.lastValidEntry - segment.baseAddress) / PAGE);
        const page = segment.baseAddress + BigInt(rng.int(0, pages - 1)) * PAGE;
        return [page, rng.pick([1, 1, 2, 4]), `pages inside segment@${hex(segment.address)}`];
      },
      4,
    ],
    [
      () => {
        // The segment cut short: its last committed pages.
        const ranges = segment.uncommittedRanges;
        const end = ranges.length > 0 ? ranges[0].address : segment.lastValidEntry;
        const count = rng.int(1, 4);
        return [end - BigInt(count) * PAGE, count, `the last committed pages before ${hex(end)} of segment@${hex(segment.address)}`];
      },
      2,
    ],
    [() => [pageOf(image.peb), 1, `the ${image.pebName}'s page (and its ProcessHeaps)`], 1],
    [() => [pageOf(image.processHeapsArray), 1, "PEB.ProcessHeaps array's page"], 1],
    [() => (image.virtualAllocs.length ? [pageOf(rng.pick(image.virtualAllocs).entry), rng.pick([1, 2]), "a VirtualAlloc'd block's header page"] : undefined), 2],
    [() => (image.lfhHeaps.length ? [pageOf(rng.pick(image.lfhHeaps).address), 1, "the _LFH_HEAP's page (and its subsegments)"] : undefined), 1],
    [() => (image.containers.length ? [pageOf(rng.pick(image.containers).userBlocks), 1, "a UserBlocks header's page"] : undefined), 2],
    [
      () => {
        const free = heap.blocks.filter((b) => b.kind === "Backend" && b.state === "Free");
        return free.length ? [pageOf(rng.pick(free).address), 1, "a free-list node's page"] : undefined;
      },
      1,
    ],
    [() => (image.descriptors.length ? [pageOf(rng.pick(image.descriptors)), 1, "the heap descriptors' page"] : undefined), 1],
    [() => [pageOf(image.lfhKeyAddress), 1, "ntdll's data page (RtlpLFHKey)"], 1],
  ];
  return dropDrawn(image.space, rng, choices);
};

/** A page range to leave out of the dump: start, pages, what it holds; undefined where the image has none. */
export type DropChoice = [() => [bigint, number, string] | undefined, number];

/** Drops the pages one of `choices` draws, when all of them are in the dump. */
export function dropDrawn(space: AddressSpace, rng: Rng, choices: DropChoice[]): Mutation | undefined {
  const drawn = rng.weighted(choices)();
  if (!drawn) return undefined;
  const [start, pages, what] = drawn;
  for (let i = 0; i < pages; i++) if (!readBytes(space, start + BigInt(i) * PAGE, 1)) return undefined;
  space.drop(start, pages * Number(PAGE));
  return { kind: "drop", target: what, address: start, size: pages * Number(PAGE), old: "committed", new: "not in the dump" };
}

export const pageOf = (address: bigint) => address & ~(PAGE - 1n);

/** Random bytes flipped in a heap's or a segment's header structures. */
const rawFlip: Mutator = (image, rng) => {
  const heap = rng.pick(image.heaps);
  const segment = rng.pick(heap.segments);
  const base = rng.chance(0.5) ? heap.address : segment.address;
  const extent = base === heap.address ? image.layout.size("_HEAP") : image.layout.size("_HEAP_SEGMENT");
  const at = base + BigInt(rng.int(0, extent - 1));
  const old = readBytes(image.space, at, 1);
  if (!old) return undefined;
  return writeBytes(image.space, "raw-flip", `byte +0x${(at - base).toString(16)} of ${base === heap.address ? "_HEAP" : "_HEAP_SEGMENT"}@${hex(base)}`, at, Uint8Array.of(old[0] ^ rng.int(1, 255)), "flipped");
};

/** The NT heap families by name, with their weights, on one ntdll's side of the image. */
export const NT_MUTATORS: readonly (readonly [string, Mutator, number])[] = [
  ["entry-header", backendHeader, 6],
  ["entry-extra", entryExtra, 1],
  ["lfh-block", lfhBlock, 3],
  ["lfh-header", lfhStructure, 4],
  ["heap-field", heapField, 6],
  ["segment-field", segmentField, 5],
  ["ucr", ucrDescriptor, 3],
  ["virtual-alloc", virtualAlloc, 3],
  ["free-list", freeList, 3],
  ["peb", peb, 3],
  ["descriptor-list", descriptorList, 2],
  ["drop", dropMemory, 5],
  ["raw-flip", rawFlip, 1],
];
