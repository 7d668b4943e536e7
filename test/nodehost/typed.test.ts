// Typed objects over ntdll's real 10.0.19041 layouts (test/fixtures/layouts): bytes are put at
// the ISF's offsets, and field access must find them there.
import { type HostOptions, HostRuntime, NODE_REALM } from "../../nodehost/host";
import { IsfTypes } from "../../nodehost/formats/isf";
import { Int64 } from "../../nodehost/int64";
import { NTDLL_BASE, TestMemory, x64Target } from "./targets";

const PEB = 0x7ff_0000_0000n;
const HEAP = 0x1d0_0000_0000n;
const HEAP2 = 0x1e0_0000_0000n;
const SEGMENT_LINKS = HEAP + 0x1018n;
const FIRST_ENTRY = HEAP + 0x740n;
const big = (v: unknown) => Int64.bigintOf(v as Int64);

function setUp(apiMinor = 3, options: HostOptions = {}) {
  const memory = new TestMemory().map(PEB, 0x3000).map(HEAP, 0x2000);
  // _PEB
  memory.bytes(PEB + 0x3n, [0b0000_0101]); // BitField: ImageUsesLargePages (bit 0), IsImageDynamicallyRelocated (bit 2)
  memory.u32(PEB + 0x50n, 0xabcd_0012); // CrossProcessFlags: ProcessInitializing (bit 1), ProcessUsingFTH (bit 4), ReservedBits0 (8..31)
  memory.u32(PEB + 0xe8n, 2); // NumberOfHeaps
  memory.u64(PEB + 0xf0n, PEB + 0x1000n); // ProcessHeaps
  memory.u64(PEB + 0x1000n, HEAP);
  memory.u64(PEB + 0x1008n, HEAP2);
  // _HEAP
  memory.u64(HEAP + 0x30n, HEAP); // BaseAddress
  memory.u64(HEAP + 0x40n, FIRST_ENTRY); // FirstEntry
  memory.u32(HEAP + 0x70n, 0x4000_0062); // Flags
  memory.u16(HEAP + 0x80n + 0x8n, 0x1234); // Encoding.Size
  memory.bytes(HEAP + 0x80n + 0xan, [0x5a]); // Encoding.Flags
  memory.u32(HEAP + 0x98n, 0xeeff_eeff); // Signature
  memory.u64(HEAP + 0xa0n, 0x1_0000_0000_0000n); // SegmentReserve (unsigned long long)
  memory.bytes(HEAP + 0x1b2n, [9, 8, 7, 6]); // FrontEndHeapStatusBitmap[0..3]
  memory.u64(HEAP + 0x120n, SEGMENT_LINKS); // SegmentList.Flink
  memory.u64(HEAP + 0x128n, SEGMENT_LINKS); // SegmentList.Blink
  memory.u64(SEGMENT_LINKS, HEAP + 0x120n); // the segment's link back to the list head
  memory.u16(FIRST_ENTRY + 0x8n, 0x0042); // FirstEntry->Size
  memory.u16(FIRST_ENTRY + 0x20n + 0x8n, 0x0007); // FirstEntry[2].Size
  const runtime = new HostRuntime(x64Target(memory), NODE_REALM, options);
  runtime.apiVersion = { major: 1, minor: apiMinor };
  runtime.phase = 2;
  return { host: runtime.host as any, runtime };
}

describe("host.getModuleType", () => {
  it("gives sizes and field offsets as the ISF has them, as Int64", () => {
    const { host } = setUp();
    const heap = host.getModuleType("ntdll", "_HEAP");
    expect(heap.name).toBe("_HEAP");
    expect(heap.size).toBe(Int64.of(704n));
    expect(heap.typeKind).toBe("udt");
    expect(heap.fields.Flags.offset).toBe(Int64.of(0x70n));
    expect(heap.fields.Flags.type.name).toBe("unsigned long");
    expect(heap.fields.Encoding.offset.asNumber()).toBe(0x80);
    expect(heap.fields.Encoding.type.fields.Flags.offset.asNumber()).toBe(0xa);
    expect(heap.fields.SegmentList.type.fields.Flink.type.name).toBe("_LIST_ENTRY *");
    expect(heap.fields.FrontEndHeapStatusBitmap.type.name).toBe("unsigned char [129]");
    expect(heap.fields.FirstEntry.type.baseType.name).toBe("_HEAP_ENTRY");
    const peb = host.getModuleType("ntdll", "_PEB");
    expect(peb.fields.ProcessHeaps.offset.asNumber()).toBe(0xf0);
    expect(peb.fields.ImageUsesLargePages.type.isBitField).toBe(true);
    expect(peb.fields.ImageUsesLargePages.type.bitFieldPositions).toEqual({ lsb: 0, length: 1 });
  });

  it("matches the module case-insensitively, with or without extension", () => {
    const { host } = setUp();
    expect(host.getModuleType("ntdll.dll", "_HEAP")).toBe(host.getModuleType("NTDLL", "_HEAP"));
    expect(host.getModuleType("ntdll", "_LIST_ENTRY *").size.asNumber()).toBe(8);
  });

  it("returns null for an unknown type or module under API 1.1+, and throws under 1.0", () => {
    expect(setUp(3).host.getModuleType("ntdll", "_NO_SUCH_TYPE")).toBeNull();
    expect(setUp(3).host.getModuleType("kernel32", "_HEAP")).toBeNull();
    const old = setUp(0);
    old.runtime.apiVersion = { major: 1, minor: 0 };
    expect(() => old.host.getModuleType("ntdll", "_NO_SUCH_TYPE")).toThrow("Unable to find type '_NO_SUCH_TYPE'");
  });
});

describe("type.fields", () => {
  it("enumerates the type's field names, those of anonymous unions' members included", () => {
    const { host } = setUp();
    const entry = host.getModuleType("ntdll", "_HEAP_ENTRY");
    const names = Object.keys(entry.fields);
    // _HEAP_ENTRY's members sit in anonymous unions; the symbols list them by name, flattened.
    expect(names).toEqual(expect.arrayContaining(["Size", "Flags", "SmallTagIndex", "PreviousSize", "UnusedBytes", "SubSegmentCode", "AgregateCode"]));
    expect(names).toHaveLength(new Set(names).size);
    expect(entry.fields.Size.offset).toBe(Int64.of(8n));
    expect(entry.fields.UnusedBytes.offset).toBe(Int64.of(15n));
    expect("Size" in entry.fields).toBe(true);
    expect("NoSuchField" in entry.fields).toBe(false);
  });

  it("throws for a name the type lacks, by default", () => {
    const { host } = setUp();
    const heap = host.getModuleType("ntdll", "_HEAP");
    expect(() => heap.fields.NoSuchField).toThrow("the type '_HEAP' has no field 'NoSuchField'");
    expect(() => heap.fields.NoSuchField.offset).toThrow(Error);
    expect(heap.fields.Flags.offset).toBe(Int64.of(0x70n));
  });

  it("gives undefined for a name the type lacks when the session says so", () => {
    const { host } = setUp(3, { unknownField: "undefined" });
    const heap = host.getModuleType("ntdll", "_HEAP");
    expect(heap.fields.NoSuchField).toBeUndefined();
    expect(Object.keys(heap.fields)).toContain("Flags");
  });
});

describe("host.getModuleSymbolAddress", () => {
  it("is the module base plus the symbol's RVA, or null when unknown", () => {
    const memory = new TestMemory().map(PEB, 0x1000);
    const types = IsfTypes.parse({
      metadata: { format: "6.1.0" },
      base_types: { pointer: { endian: "little", kind: "int", signed: false, size: 8 } },
      user_types: {},
      enums: {},
      symbols: { RtlpLFHKey: { address: 0x17f2e0 } },
    });
    const target = x64Target(memory);
    target.modules[1].types = types;
    const runtime = new HostRuntime(target, NODE_REALM);
    runtime.phase = 2;
    runtime.apiVersion = { major: 1, minor: 1 };
    const host = runtime.host as any;
    expect(big(host.getModuleSymbolAddress("ntdll", "RtlpLFHKey"))).toBe(NTDLL_BASE + 0x17f2e0n);
    expect(host.getModuleSymbolAddress("ntdll", "RtlpNothing")).toBeNull();
  });
});

describe("typed objects", () => {
  it("read ≤32-bit fields as numbers at the ISF offsets: _HEAP.Flags at 0x70", () => {
    const { host } = setUp();
    const heap = host.createTypedObject(Int64.of(HEAP), "ntdll", "_HEAP");
    expect(heap.Flags).toBe(0x4000_0062);
    expect(heap.Signature).toBe(0xeeff_eeff);
    expect(big(heap.address)).toBe(HEAP);
    expect(heap.toString()).toBe("[Type: _HEAP]");
  });

  it("read 64-bit fields as Int64", () => {
    const { host } = setUp();
    const heap = host.createTypedObject(Int64.of(HEAP), "ntdll", "_HEAP");
    expect(heap.SegmentReserve).toBe(Int64.of(0x1_0000_0000_0000n));
  });

  it("give nested structs as typed objects at their offset: _HEAP.Encoding", () => {
    const { host } = setUp();
    const encoding = host.createTypedObject(Int64.of(HEAP), "ntdll", "_HEAP").Encoding;
    expect(big(encoding.address)).toBe(HEAP + 0x80n);
    expect(encoding.targetType.name).toBe("_HEAP_ENTRY");
    expect(encoding.Size).toBe(0x1234);
    expect(encoding.Flags).toBe(0x5a);
  });

  it("give pointers with .address, .isNull, .dereference(), .add(n) in elements, and auto-dereference", () => {
    const { host } = setUp();
    const heap = host.createTypedObject(Int64.of(HEAP), "ntdll", "_HEAP");
    expect(big(heap.BaseAddress.address)).toBe(HEAP);
    const first = heap.FirstEntry;
    expect(big(first.address)).toBe(FIRST_ENTRY);
    expect(first.isNull).toBe(false);
    expect(first.dereference().Size).toBe(0x42);
    expect(first.Size).toBe(0x42);
    const third = first.add(2);
    expect(big(third.address)).toBe(FIRST_ENTRY + 0x20n);
    expect(third.Size).toBe(7);
    expect(heap.TagEntries.isNull).toBe(true);
    expect(first.toString()).toBe(`0x${FIRST_ENTRY.toString(16)} [Type: _HEAP_ENTRY *]`);
  });

  it("follow a LIST_ENTRY: SegmentList.Flink and Flink->Flink", () => {
    const { host } = setUp();
    const list = host.createTypedObject(Int64.of(HEAP), "ntdll", "_HEAP").SegmentList;
    expect(big(list.address)).toBe(HEAP + 0x120n);
    expect(big(list.Flink.address)).toBe(SEGMENT_LINKS);
    expect(big(list.Blink.address)).toBe(SEGMENT_LINKS);
    expect(big(list.Flink.Flink.address)).toBe(HEAP + 0x120n);
  });

  it("read _PEB.ProcessHeaps, a pointer to pointers", () => {
    const { host } = setUp();
    const peb = host.createTypedObject(Int64.of(PEB), "ntdll", "_PEB");
    expect(peb.NumberOfHeaps).toBe(2);
    expect(peb.ProcessHeaps.targetType.name).toBe("void * *");
    expect(big(peb.ProcessHeaps.address)).toBe(PEB + 0x1000n);
    expect(big(peb.ProcessHeaps.dereference().address)).toBe(HEAP);
    expect(big(peb.ProcessHeaps.add(1).dereference().address)).toBe(HEAP2);
    const heaps = host.memory.readMemoryValues(peb.ProcessHeaps, 2, 8);
    expect(heaps.map(big)).toEqual([HEAP, HEAP2]);
  });

  it("extract bitfields", () => {
    const { host } = setUp();
    const peb = host.createTypedObject(Int64.of(PEB), "ntdll", "_PEB");
    expect([peb.ImageUsesLargePages, peb.IsProtectedProcess, peb.IsImageDynamicallyRelocated]).toEqual([1, 0, 1]);
    expect([peb.ProcessInitializing, peb.ProcessUsingFTH, peb.ProcessInJob, peb.ReservedBits0]).toEqual([1, 1, 0, 0xabcd00]);
  });

  it("index and iterate arrays", () => {
    const { host } = setUp();
    const bitmap = host.createTypedObject(Int64.of(HEAP), "ntdll", "_HEAP").FrontEndHeapStatusBitmap;
    expect(bitmap[0]).toBe(9);
    expect(bitmap[3]).toBe(6);
    const all = [...bitmap];
    expect(all.length).toBe(129);
    expect(all.slice(0, 5)).toEqual([9, 8, 7, 6, 0]);
  });

  it("give targetLocation, targetSize and targetType", () => {
    const { host } = setUp();
    const heap = host.createTypedObject(Int64.of(HEAP), "ntdll", "_HEAP");
    expect(heap.targetSize).toBe(Int64.of(704n));
    expect(heap.targetType).toBe(host.getModuleType("ntdll", "_HEAP"));
    const flagsLocation = heap.targetLocation.add(0x70);
    expect(flagsLocation.toString()).toBe("0x1d000000070");
    expect(host.memory.readMemoryValues(flagsLocation, 1, 4)[0]).toBe(0x4000_0062);
  });

  it("are created from a type object, or as pointers by createPointerObject", () => {
    const { host } = setUp();
    const heapType = host.getModuleType("ntdll", "_HEAP");
    expect(host.createTypedObject(Int64.of(HEAP), heapType).Flags).toBe(0x4000_0062);
    const pointer = host.createPointerObject(Int64.of(HEAP), "ntdll", "_HEAP *");
    expect(big(pointer.address)).toBe(HEAP);
    expect(pointer.Flags).toBe(0x4000_0062);
    expect(() => host.createPointerObject(Int64.of(HEAP), "ntdll", "_HEAP")).toThrow("needs a pointer type");
    expect(() => host.createTypedObject(Int64.of(HEAP), "ntdll", "_NOPE")).toThrow("Unable to find type '_NOPE'");
  });

  it("read lazily: an unreadable object is created, and its fields throw with their address", () => {
    const { host, runtime } = setUp();
    const reads = runtime.counters.memoryReads;
    const nowhere = host.createTypedObject(0x5000, "ntdll", "_HEAP");
    expect(runtime.counters.memoryReads).toBe(reads);
    expect(() => nowhere.Flags).toThrow("Unable to read memory at Address 0x5070");
    expect(runtime.counters.memoryReads).toBe(reads + 1);
  });

  it("log every field read by address and length when the session logs accesses", () => {
    const { host, runtime } = setUp(3, { logAccesses: true });
    const heap = host.createTypedObject(Int64.of(HEAP), "ntdll", "_HEAP");
    void heap.Flags;
    void heap.SegmentReserve;
    void heap.FirstEntry.Size;
    expect(runtime.accessLog!.reads).toEqual([
      { address: HEAP + 0x70n, length: 4 },
      { address: HEAP + 0xa0n, length: 8 },
      { address: HEAP + 0x40n, length: 8 }, // the FirstEntry pointer
      { address: FIRST_ENTRY + 0x8n, length: 2 },
    ]);
  });

  it("count every typed object created and every field read", () => {
    const { host, runtime } = setUp();
    const before = { ...runtime.counters };
    const heap = host.createTypedObject(Int64.of(HEAP), "ntdll", "_HEAP");
    host.createTypedObject(Int64.of(PEB), "ntdll", "_PEB");
    expect(runtime.counters.typedObjectsCreated).toBe(before.typedObjectsCreated + 2);
    expect(runtime.counters.hostCalls).toBe(before.hostCalls + 2);
    void heap.Flags;
    void heap.SegmentReserve;
    expect(runtime.counters.memoryReads).toBe(before.memoryReads + 2);
    expect(runtime.counters.bytesRead).toBe(before.bytesRead + 12);
  });
});
