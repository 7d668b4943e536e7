// Self-check of the WOW64 images: both views' dumps parsed by the Node host's minidump reader,
// every offset and symbol looked up in the ISF files shipped with them (the 64-bit ntdll's and
// the 32-bit one's), both PEBs and every heap decoded here from docs/heap-structures.md (§1.1,
// §1.2, §2.1, §2.2, §2.4) — not with the writers' code — and compared with the truth.
import { Minidump } from "../../nodehost/formats/minidump";
import { DumpView } from "./dump-view";
import type { NtHeapSpec } from "./ntheap";
import { Random } from "./random";
import { Program, StackTraceDatabase, Tracer } from "./stack-traces";
import { buildWow64Image, wow64NtdllName, Wow64ProcessImageBuilder, writeHeaps, type Wow64Build } from "./wow64";
import type { BlockTruth, HeapTruth } from "./types";

const BUILDS: Wow64Build[] = [7601, 19041];

/** Offsets of one ntdll's types over a dump's memory, with that ntdll's pointer size. */
class Side {
  readonly types: DumpView;
  readonly pointerSize: 4 | 8;
  constructor(readonly memory: DumpView, dump: Uint8Array, isf: object, bits: 32 | 64) {
    this.types = new DumpView(dump, { ntdll: isf });
    this.pointerSize = bits === 64 ? 8 : 4;
  }
  ptr = (address: bigint) => this.memory.uint(address, this.pointerSize);
  at = (base: bigint, type: string, field: string) => this.types.at(base, type, field);
  field = (base: bigint, type: string, field: string) => this.ptr(this.at(base, type, field));

  /** A LIST_ENTRY chain from head (Blinks checked): its entries in Flink order. */
  list(head: bigint): bigint[] {
    const entries: bigint[] = [];
    let previous = head;
    for (let node = this.field(head, "_LIST_ENTRY", "Flink"); node !== head; node = this.field(node, "_LIST_ENTRY", "Flink")) {
      expect(this.field(node, "_LIST_ENTRY", "Blink")).toBe(previous);
      entries.push(node);
      previous = node;
      if (entries.length > 1000) throw new Error("the list does not close");
    }
    return entries;
  }

  /** PEB.ProcessHeaps[0 .. NumberOfHeaps) (§1.1). */
  heapsOf(peb: bigint): bigint[] {
    const count = this.memory.u32(this.at(peb, "_PEB", "NumberOfHeaps"));
    const array = this.field(peb, "_PEB", "ProcessHeaps");
    return Array.from({ length: count }, (_, i) => this.ptr(array + BigInt(i * this.pointerSize)));
  }

  /**
   * The backend blocks of an NT heap (§2.2): each segment from SegmentList walked from its own
   * header to LastValidEntry over its UCRs, each header XORed with _HEAP.Encoding at the same
   * place (x64: the 8 bytes at +8, x86: at +0) and its checksum checked.
   */
  backendBlocks(heap: bigint): { address: bigint; size: number; busy: boolean; lfhUserBlocks?: bigint }[] {
    const gran = this.types.size("_HEAP_ENTRY");
    const core = BigInt(gran === 16 ? 8 : 0);
    const key = this.memory.read(this.at(heap, "_HEAP", "Encoding") + core, 8);
    const decode = (address: bigint) => {
      const b = this.memory.read(address + core, 8).map((byte, i) => byte ^ key[i]);
      expect(b[3]).toBe(b[0] ^ b[1] ^ b[2]);
      return { size: (b[0] | (b[1] << 8)) * gran, flags: b[2] };
    };
    const linkOffset = this.types.off("_HEAP_SEGMENT", "SegmentListEntry");
    const blocks: { address: bigint; size: number; busy: boolean; lfhUserBlocks?: bigint }[] = [];
    for (const segment of this.list(this.at(heap, "_HEAP", "SegmentList")).map((link) => link - linkOffset)) {
      const ucrLink = this.types.off("_HEAP_UCR_DESCRIPTOR", "SegmentEntry");
      const ucrs = this.list(this.at(segment, "_HEAP_SEGMENT", "UCRSegmentList")).map((link) => link - ucrLink);
      const last = this.field(segment, "_HEAP_SEGMENT", "LastValidEntry");
      for (let address = segment; address < last; ) {
        const ucr = ucrs.find((descriptor) => this.field(descriptor, "_HEAP_UCR_DESCRIPTOR", "Address") === address);
        if (ucr) {
          address += this.field(ucr, "_HEAP_UCR_DESCRIPTOR", "Size");
          continue;
        }
        const { size, flags } = decode(address);
        // Flag 0x08 (§2.4): the block holds an LFH subsegment's UserBlocks.
        blocks.push({ address, size, busy: (flags & 1) !== 0, ...(flags & 0x08 ? { lfhUserBlocks: address + BigInt(gran) } : {}) });
        address += BigInt(size);
      }
    }
    return blocks;
  }
}

/** Whether a types file's _TEB has the field. */
function tebHas(isf: object, field: string): boolean {
  return (isf as { user_types: Record<string, { fields: Record<string, unknown> }> }).user_types._TEB.fields[field] !== undefined;
}

/** The truth's backend blocks of a heap, as the decoder sees them. */
function expectedBackend(heap: HeapTruth): { address: bigint; size: number; busy: boolean }[] {
  return heap.blocks.filter((b: BlockTruth) => b.kind === "Backend").map((b) => ({ address: b.address, size: b.size, busy: b.state !== "Free" }));
}

describe.each(BUILDS)("WOW64 image, Windows build %i", (build) => {
  const { views, truth } = buildWow64Image(build, { seed: 5 });
  const ntdll32Name = wow64NtdllName(truth.ntdll32.base);

  describe("64-bit view", () => {
    const { dump, isfs } = views.x64;
    const parsed = Minidump.parse(dump);
    const memory = new DumpView(dump, isfs);
    const x64 = new Side(memory, dump, isfs.ntdll, 64);
    const x86 = new Side(memory, dump, isfs[ntdll32Name], 32);

    test("an x64 dump listing the 64-bit loader's modules, then the 32-bit ntdll from SysWOW64, each types file keyed by WinDbg's name", () => {
      expect(parsed.arch).toBe("x64");
      expect(parsed.modules.map((m) => m.name)).toEqual([
        "C:\\dxheap\\leaky.exe",
        "C:\\Windows\\System32\\ntdll.dll",
        "C:\\Windows\\System32\\wow64.dll",
        "C:\\Windows\\System32\\wow64win.dll",
        "C:\\Windows\\System32\\wow64cpu.dll",
        "C:\\Windows\\SysWOW64\\ntdll.dll",
      ]);
      expect(parsed.modules[5].base).toBe(truth.ntdll32.base);
      expect(ntdll32Name).toBe("ntdll_77a60000");
      expect(truth.ntdll32.names).toEqual({ x64: "ntdll_77a60000", x86: "ntdll" });
      expect(Object.keys(isfs).sort()).toEqual(["ntdll", "ntdll_77a60000"]);
      expect((isfs.ntdll as { base_types: { pointer: { size: number } } }).base_types.pointer.size).toBe(8);
      expect((isfs[ntdll32Name] as { base_types: { pointer: { size: number } } }).base_types.pointer.size).toBe(4);
    });

    test("threads: TEB64s, 64-bit contexts in WOW64's CPU loop, and their 32-bit stacks", () => {
      expect(parsed.threads.map((t) => t.teb)).toEqual(truth.threads.map((t) => t.teb64));
      parsed.threads.forEach((thread, i) => {
        const t = truth.threads[i];
        expect(thread.context?.registers).toEqual(t.registers64);
        expect(thread.context?.registers.cs).toBe(0x33n);
        expect(t.stack64.limit <= t.registers64.rsp && t.registers64.rsp < t.stack64.base).toBe(true);
        expect(thread.stackStart).toBe(t.registers32.esp);
        expect(thread.stackStart + BigInt(thread.stackSize)).toBe(t.stack32.base);
      });
    });

    test("each TEB64 leads to its TEB32 (WowTebOffset where _TEB has it, NtTib.ExceptionList before), and each TEB to its PEB", () => {
      const wowTebOffset = tebHas(isfs.ntdll, "WowTebOffset");
      expect(wowTebOffset).toBe(build >= 10000);
      expect(tebHas(isfs[ntdll32Name], "WowTebOffset")).toBe(wowTebOffset);
      for (const t of truth.threads) {
        const teb32 = wowTebOffset ? t.teb64 + BigInt(memory.u32(x64.at(t.teb64, "_TEB", "WowTebOffset"))) : x64.field(t.teb64, "_TEB", "NtTib.ExceptionList");
        expect(teb32).toBe(t.teb32);
        expect(teb32 - t.teb64).toBe(0x2000n);
        if (wowTebOffset) {
          expect(memory.u32(x86.at(teb32, "_TEB", "WowTebOffset")) | 0).toBe(-0x2000);
          expect(x64.field(t.teb64, "_TEB", "NtTib.ExceptionList")).toBe(0n);
        }
        expect(x64.field(t.teb64, "_TEB", "NtTib.Self")).toBe(t.teb64);
        expect(x86.field(teb32, "_TEB", "NtTib.Self")).toBe(teb32);
        expect(x64.field(t.teb64, "_TEB", "ProcessEnvironmentBlock")).toBe(truth.peb64);
        expect(x86.field(teb32, "_TEB", "ProcessEnvironmentBlock")).toBe(truth.peb32);
        expect(x64.field(t.teb64, "_TEB", "NtTib.StackBase")).toBe(t.stack64.base);
        expect(x86.field(teb32, "_TEB", "NtTib.StackBase")).toBe(t.stack32.base);
        expect(x86.field(teb32, "_TEB", "NtTib.StackLimit")).toBe(t.stack32.limit);
      }
    });

    test("the 32-bit CONTEXT is at TEB64.TlsSlots[1] + 4 (winnt.h CONTEXT: ContextFlags 0, Eip 0xb8, Esp 0xc4, SegCs 0xbc)", () => {
      for (const t of truth.threads) {
        const cpuArea = x64.ptr(x64.at(t.teb64, "_TEB", "TlsSlots") + 8n);
        expect(cpuArea).toBe(t.stack64.base);
        expect(memory.u16(cpuArea + 2n)).toBe(0x14c);
        const context = cpuArea + 4n;
        expect(memory.u32(context) & 0x10007).toBe(0x10007);
        expect(BigInt(memory.u32(context + 0xb8n))).toBe(t.registers32.eip);
        expect(BigInt(memory.u32(context + 0xc4n))).toBe(t.registers32.esp);
        expect(BigInt(memory.u32(context + 0xbcn))).toBe(0x23n);
        expect(t.registers32.eip - truth.ntdll32.base).toBeLessThan(0x1a0000n);
      }
    });

    test("both PEBs list their own heaps: 64-bit ones in the PEB64, the program's 32-bit ones in the PEB32", () => {
      const byArch = (arch: "x64" | "x86") => truth.heaps.filter((h) => h.architecture === arch);
      expect(byArch("x64").length).toBe(2);
      expect(byArch("x86").length).toBe(3);
      expect(x64.heapsOf(truth.peb64)).toEqual(byArch("x64").map((h) => h.address));
      expect(x86.heapsOf(truth.peb32)).toEqual(byArch("x86").map((h) => h.address));
      expect(x64.field(truth.peb64, "_PEB", "ProcessHeap")).toBe(byArch("x64")[0].address);
      expect(x86.field(truth.peb32, "_PEB", "ProcessHeap")).toBe(byArch("x86")[0].address);
      for (const heap of truth.heaps) {
        expect(heap.address < 1n << 32n).toBe(true);
        expect(heap.granularity).toBe(heap.architecture === "x64" ? 16 : 8);
      }
    });

    test.each(["x64", "x86"] as const)("the %s heaps decode with their ntdll's layout: signatures, list index, every backend block", (arch) => {
      const side = arch === "x64" ? x64 : x86;
      truth.heaps
        .filter((h) => h.architecture === arch)
        .forEach((heap, index) => {
          expect(memory.u32(side.at(heap.address, "_HEAP", "SegmentSignature"))).toBe(0xffeeffee);
          expect(memory.u32(side.at(heap.address, "_HEAP", "Signature"))).toBe(0xeeffeeff);
          expect(memory.u16(side.at(heap.address, "_HEAP", "ProcessHeapsListIndex"))).toBe(index + 1);
          const blocks = side.backendBlocks(heap.address);
          // The walk from each segment's own header: the truth's backend blocks, in order.
          expect(blocks.map(({ address, size, busy }) => ({ address, size, busy }))).toEqual(expectedBackend(heap));
          expect(blocks.some((b) => b.lfhUserBlocks !== undefined)).toBe(heap.lfh);
        });
    });

    test("Windows 8+ LFH blocks decode with their own ntdll's RtlpLFHKey (§2.4 EncodedOffsets)", () => {
      if (build < 9200) return;
      for (const heap of truth.heaps.filter((h) => h.lfh)) {
        const side = heap.architecture === "x64" ? x64 : x86;
        // The 32-bit ntdll by its base: DumpView names modules by file name, and both are ntdll.dll.
        const [isf, base] = heap.architecture === "x64" ? [isfs.ntdll, memory.moduleBase("ntdll")] : [isfs[ntdll32Name], parsed.modules[5].base];
        const key = memory.u32(base + BigInt((isf as { symbols: Record<string, { address: number }> }).symbols.RtlpLFHKey.address));
        expect(key).toBe(truth.lfhKeys[heap.architecture!]);
        const lfhHeap = side.field(heap.address, "_HEAP", "FrontEndHeap");
        for (const { lfhUserBlocks } of side.backendBlocks(heap.address).filter((b) => b.lfhUserBlocks !== undefined)) {
          const userBlocks = lfhUserBlocks!;
          expect(memory.u32(side.at(userBlocks, "_HEAP_USERDATA_HEADER", "Signature"))).toBe(0xf0e0d0c0);
          const encoded = memory.u32(side.at(userBlocks, "_HEAP_USERDATA_HEADER", "EncodedOffsets"));
          const decoded = (encoded ^ Number(userBlocks & 0xffffffffn) ^ Number(lfhHeap & 0xffffffffn) ^ key) >>> 0;
          const first = userBlocks + BigInt(decoded & 0xffff);
          const lfhBlock = heap.blocks.find((b) => b.kind === "LFH" && b.address === first);
          expect(lfhBlock?.size).toBe(decoded >>> 16);
        }
      }
    });
  });

  describe("32-bit view", () => {
    const { dump, isfs } = views.x86;
    const parsed = Minidump.parse(dump);
    const memory = new DumpView(dump, isfs);
    const x86 = new Side(memory, dump, isfs.ntdll, 32);

    test("an x86 dump of the 32-bit modules only, SysWOW64's ntdll named ntdll, its types the one types file", () => {
      expect(parsed.arch).toBe("x86");
      expect(parsed.modules.map((m) => [m.name, m.base])).toEqual([
        ["C:\\dxheap\\leaky.exe", 0x400000n],
        ["C:\\Windows\\SysWOW64\\ntdll.dll", truth.ntdll32.base],
      ]);
      expect(Object.keys(isfs)).toEqual(["ntdll"]);
      expect(isfs.ntdll).toBe(views.x64.isfs[ntdll32Name]);
    });

    test("threads: TEB32s, the saved 32-bit contexts, the 32-bit stacks; nothing above 4 GiB", () => {
      expect(parsed.threads.map((t) => t.teb)).toEqual(truth.threads.map((t) => t.teb32));
      parsed.threads.forEach((thread, i) => {
        expect(thread.context?.registers).toEqual(truth.threads[i].registers32);
        expect(thread.stackStart).toBe(truth.threads[i].registers32.esp);
      });
      expect(parsed.memory.every((range) => range.start + BigInt(range.data.length) <= 1n << 32n)).toBe(true);
      expect(memory.readable(truth.ntdll64.base, 1)).toBe(truth.ntdll64.base < 1n << 32n);
    });

    test("the PEB32, found from a TEB32, lists the program's heaps, which decode as in the 64-bit view", () => {
      const peb = x86.field(parsed.threads[0].teb, "_TEB", "ProcessEnvironmentBlock");
      expect(peb).toBe(truth.peb32);
      const heaps = truth.heaps.filter((h) => h.architecture === "x86");
      expect(x86.heapsOf(peb)).toEqual(heaps.map((h) => h.address));
      for (const heap of heaps) {
        expect(x86.backendBlocks(heap.address).map(({ address, size, busy }) => ({ address, size, busy }))).toEqual(expectedBackend(heap));
      }
    });
  });
});

test("the same seed gives the same dumps", () => {
  const a = buildWow64Image(19041, { seed: 3 });
  const b = buildWow64Image(19041, { seed: 3 });
  expect(a.views.x64.dump).toEqual(b.views.x64.dump);
  expect(a.views.x86.dump).toEqual(b.views.x86.dump);
});

describe.each(BUILDS)("+ust WOW64 process, Windows build %i", (build) => {
  // Both ntdlls keep a stack trace database (docs/heap-structures.md §1.8, §2.7): written here by
  // the trace writers through each side, and read back from the dumps with each side's types.
  const process = new Wow64ProcessImageBuilder({
    build,
    globals: { x64: { lfhKey: 0x1234567, segmentHeapKey: 0n, segmentLfhKey: 0n }, x86: { lfhKey: 0x7654321, segmentHeapKey: 0n, segmentLfhKey: 0n } },
    ntGlobalFlag: 0x1000,
  });
  const random = new Random(5);
  const databases = {
    x64: new StackTraceDatabase(process.sideProcess("x64"), "Depth"),
    x86: new StackTraceDatabase(process.sideProcess("x86"), "Depth"),
  };
  const tracers = {
    x64: new Tracer(databases.x64, new Program(process.sideProcess("x64"), { layer: "wow64" }), random),
    x86: new Tracer(databases.x86, new Program(process.sideProcess("x86")), random),
  };
  const spec = (arch: "x64" | "x86", seed: number): NtHeapSpec => ({
    seed,
    flags: 0x2,
    segments: 1,
    blocksPerSegment: 12,
    lfh: false,
    virtualAllocs: [],
    escapes: false,
    ust: { untracedBlocks: 0, nextTrace: () => tracers[arch].next("Allocation") },
  });
  const heaps = writeHeaps(process, { x64: [spec("x64", 1)], x86: [spec("x86", 2)] });
  const views = { x64: process.dump("x64"), x86: process.dump("x86") };

  test("the x86 view lists the program's 32-bit DLLs after ntdll, with their symbol files; the x64 view after the 32-bit ntdll", () => {
    const names = (view: "x64" | "x86") => Minidump.parse(views[view].dump).modules.map((m) => m.name.split("\\").pop());
    expect(names("x86")).toEqual(["leaky.exe", "ntdll.dll", "ucrtbase.dll", "widgets.dll"]);
    expect(names("x64").slice(-3)).toEqual(["ntdll.dll", "ucrtbase.dll", "widgets.dll"]);
    expect(Object.keys(views.x86.isfs).sort()).toEqual(["ntdll", "ucrtbase", "widgets"]);
    expect(Object.keys(views.x64.isfs).sort()).toEqual(["ntdll", wow64NtdllName(process.x86.ntdll), "ucrtbase", "widgets"]);
  });

  test("each PEB has FLG_USER_STACK_TRACE_DB; each ntdll's RtlpStackTraceDataBase names its own database, whose records name each side's code", () => {
    const { dump, isfs } = views.x64;
    const memory = new DumpView(dump, isfs);
    const x64 = new Side(memory, dump, isfs.ntdll, 64);
    const x86 = new Side(memory, dump, isfs[wow64NtdllName(process.x86.ntdll)], 32);
    expect(memory.u32(x64.at(process.x64.peb, "_PEB", "NtGlobalFlag"))).toBe(0x1000);
    expect(memory.u32(x86.at(process.x86.peb, "_PEB", "NtGlobalFlag"))).toBe(0x1000);
    const x86Memory = new DumpView(views.x86.dump, views.x86.isfs);
    for (const [side, ntdll, isf, arch] of [
      [x64, process.x64.ntdll, isfs.ntdll, "x64"],
      [x86, process.x86.ntdll, isfs[wow64NtdllName(process.x86.ntdll)], "x86"],
    ] as const) {
      const symbol = ntdll + BigInt((isf as { symbols: Record<string, { address: number }> }).symbols.RtlpStackTraceDataBase.address);
      const database = side.ptr(symbol);
      expect(database).toBe(databases[arch].address);
      const count = memory.u32(side.at(database, "_STACK_TRACE_DATABASE", "NumberOfEntriesAdded"));
      expect(count).toBe(databases[arch].records.length);
      const entryIndexArray = side.field(database, "_STACK_TRACE_DATABASE", "EntryIndexArray");
      for (let index = 1; index <= count; index++) {
        const record = side.ptr(entryIndexArray - BigInt(index * side.pointerSize));
        const depth = memory.u16(side.at(record, "_RTL_STACK_TRACE_ENTRY", "Depth"));
        const frames = Array.from({ length: depth }, (_, i) => side.ptr(side.at(record, "_RTL_STACK_TRACE_ENTRY", "BackTrace") + BigInt(i * side.pointerSize)));
        // The innermost frame is the allocator in the side's own ntdll; the 64-bit ones go through the WOW64 DLLs.
        const symbols = arch === "x86" ? frames.map((f) => x86Memory.symbolize(f)) : frames.map((f) => memory.symbolize(f));
        expect(frames[0] >= ntdll && frames[0] < ntdll + 0x200000n).toBe(true);
        if (arch === "x64") expect(symbols.slice(2).every((s) => /^wow64(win|cpu)?\+0x/.test(s))).toBe(true);
        else expect(symbols[0]).toBe("ntdll!RtlpAllocateHeapInternal+0x4b2");
      }
    }
    // Every traced block names a record of its own side's database.
    for (const heap of heaps) {
      const traced = heap.blocks.filter((b) => b.state === "Busy" && b.stack !== undefined);
      expect(traced.length).toBeGreaterThan(0);
      const records = new Set(databases[heap.architecture!].records.map((r) => r.address));
      for (const block of traced) {
        const side = heap.architecture === "x64" ? x64 : x86;
        const trace = build === 7601 ? undefined : side.ptr(block.address + BigInt(side.types.size("_HEAP_ENTRY")));
        if (trace !== undefined) expect(records.has(trace)).toBe(true);
      }
    }
  });
});

test("a segment heap on each side (Windows 10: the x86 and x64 layouts of §1.9), listed in its own PEB with ProcessHeapListIndex", () => {
  const process = new Wow64ProcessImageBuilder({
    build: 19041,
    globals: { x64: { lfhKey: 0x1234567, segmentHeapKey: 0x3f1c55e2a9b04d17n, segmentLfhKey: 0x6e0b8d2c71a4f359n }, x86: { lfhKey: 0x7654321, segmentHeapKey: 0x2a9b04d1n, segmentLfhKey: 0x71a4f359n } },
  });
  const nt = (seed: number): NtHeapSpec => ({ seed, flags: 0x2, segments: 1, blocksPerSegment: 8, lfh: false, virtualAllocs: [], escapes: false });
  const heaps = writeHeaps(process, {
    x64: [nt(1), { segmentHeap: { seed: 2, encodedLargeTree: false } }],
    x86: [{ segmentHeap: { seed: 3, encodedLargeTree: true } }, nt(4)],
  });
  expect(heaps.map((h) => [h.architecture, h.type])).toEqual([["x64", "NT"], ["x64", "Segment"], ["x86", "Segment"], ["x86", "NT"]]);
  for (const view of ["x64", "x86"] as const) {
    const { dump, isfs } = process.dump(view);
    const memory = new DumpView(dump, isfs);
    const sides = view === "x64" ? ([["x64", isfs.ntdll, 64], ["x86", isfs[wow64NtdllName(process.x86.ntdll)], 32]] as const) : ([["x86", isfs.ntdll, 32]] as const);
    for (const [arch, isf, bits] of sides) {
      const side = new Side(memory, dump, isf, bits);
      const listed = side.heapsOf(process[arch].peb);
      expect(listed).toEqual(heaps.filter((h) => h.architecture === arch).map((h) => h.address));
      const segmentHeap = heaps.find((h) => h.architecture === arch && h.type === "Segment")!;
      // §2.1: 0xDDEEDDEE at _SEGMENT_HEAP.Signature (x64 +0x10, x86 +0x8).
      expect(memory.u32(side.at(segmentHeap.address, "_SEGMENT_HEAP", "Signature"))).toBe(0xddeeddee);
      expect(memory.u16(side.at(segmentHeap.address, "_SEGMENT_HEAP", "ProcessHeapListIndex"))).toBe(listed.indexOf(segmentHeap.address) + 1);
    }
  }
});
