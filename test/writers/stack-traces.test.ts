// Self-check of the +ust images: each traced block decoded from the dump and the shipped ISFs as
// docs/heap-structures.md §1.8 and §2.7 describe it — not with the writers' code — and compared
// with the truth: its trace record, the frames, how the symbol files name them, the objects.
import { DumpView } from "./dump-view";
import { buildUstImage, type TracedImage } from "./images";
import type { BlockTruth, HeapTruth } from "./types";

const UST_IMAGES = [
  ["x64", 7601],
  ["x64", 19041],
  ["x64", 22000],
  ["x86", 7601],
  ["x86", 19041],
] as const;

/** The decoder of §1.8 / §2.7. */
class TraceReader {
  readonly view: DumpView;
  readonly gran: number;
  readonly win8: boolean;
  readonly database: bigint;

  constructor(readonly image: TracedImage) {
    this.view = new DumpView(image.dump, { ntdll: image.ntdllIsf, ...image.moduleIsfs });
    this.gran = this.view.size("_HEAP_ENTRY");
    this.win8 = image.truth.build >= 9200;
    this.database = this.view.ptr(this.view.symbol("ntdll", "RtlpStackTraceDataBase"));
  }

  /** BackTrace[0 .. count) of a _RTL_STACK_TRACE_ENTRY, the count read from the given field. */
  frames(record: bigint, countField: "Depth" | "Index"): bigint[] {
    const { view } = this;
    const count = view.u16(view.at(record, "_RTL_STACK_TRACE_ENTRY", countField));
    const backTrace = view.at(record, "_RTL_STACK_TRACE_ENTRY", "BackTrace");
    return Array.from({ length: count }, (_, i) => view.ptr(backTrace + BigInt(i * view.pointerSize)));
  }

  /** EntryIndexArray[-index] (§1.8). */
  recordOfIndex(index: number): bigint {
    const array = this.view.ptr(this.view.at(this.database, "_STACK_TRACE_DATABASE", "EntryIndexArray"));
    return this.view.ptr(array - BigInt(index * this.view.pointerSize));
  }

  /**
   * The record a busy block names: Windows 8+ the pointer after its _HEAP_ENTRY; Windows 7 the
   * AllocatorBackTraceIndex of its _HEAP_ENTRY_EXTRA (last granule; VirtualAlloc'd: ExtraStuff).
   */
  recordOf(block: BlockTruth): bigint {
    const { view } = this;
    if (this.win8) return view.ptr(block.address + BigInt(this.gran));
    const extra =
      block.kind === "VirtualAlloc"
        ? view.at(block.address - view.off("_HEAP_VIRTUAL_ALLOC_ENTRY", "BusyBlock"), "_HEAP_VIRTUAL_ALLOC_ENTRY", "ExtraStuff")
        : block.address + BigInt(block.size - this.gran);
    return this.recordOfIndex(view.u16(view.at(extra, "_HEAP_ENTRY_EXTRA", "AllocatorBackTraceIndex")));
  }

  /** Flags and UnusedBytes of a header (§2.2: XOR the 8-byte core with _HEAP.Encoding). */
  header(heap: HeapTruth, entry: bigint): { flags: number; unusedBytes: number } {
    const core = this.gran === 16 ? 8n : 0n;
    const key = this.view.read(this.view.at(heap.address, "_HEAP", "Encoding") + core, 8);
    const raw = this.view.read(entry + core, 8);
    return { flags: raw[2] ^ key[2], unusedBytes: raw[7] ^ key[7] };
  }
}

describe.each(UST_IMAGES)("+ust image %s %i", (arch, build) => {
  const image = buildUstImage(arch, build);
  const reader = new TraceReader(image);
  const { view } = reader;
  const heaps = image.truth.heaps;
  const blocks = heaps.flatMap((heap) => heap.blocks);
  const busy = blocks.filter((b) => b.state === "Busy");
  const gran = BigInt(reader.gran);

  test("the PEB says +ust; the database is ntdll!RtlpStackTraceDataBase's", () => {
    expect(view.u32(view.at(image.truth.peb, "_PEB", "NtGlobalFlag")) & 0x1000).toBe(0x1000);
    expect(reader.database).toBe(image.truth.traces.database);
    expect(image.truth.traces.frameCountField).toBe("Depth");
  });

  test("every traced block's record holds its frames, and the symbol files name them as the truth says", () => {
    const traced = busy.filter((b) => b.stack);
    expect(traced.length).toBeGreaterThan(20);
    for (const block of traced) {
      const frames = reader.frames(reader.recordOf(block), "Depth");
      expect(frames).toEqual(block.stack!.frames);
      expect(frames.map((frame) => view.symbolize(frame))).toEqual(block.stack!.symbols);
    }
  });

  test("where a traced block's user data starts (§2.7)", () => {
    for (const heap of heaps) {
      for (const block of heap.blocks.filter((b) => b.stack && b.kind !== "VirtualAlloc")) {
        const { flags, unusedBytes } = block.kind === "LFH" ? { flags: 1, unusedBytes: view.u8(block.address + BigInt(reader.gran === 16 ? 15 : 7)) } : reader.header(heap, block.address);
        if (reader.win8) {
          expect(unusedBytes).toBe(block.kind === "LFH" ? 0xc2 : 0x42);
          expect(block.userAddress - block.address).toBe(arch === "x64" ? 0x30n : 0x18n);
        } else {
          expect(flags & 0x02).toBe(0x02); // HEAP_ENTRY_EXTRA_PRESENT
          expect(block.userAddress).toBe(block.address + gran);
        }
      }
    }
  });

  test("every busy block has a stack or says why not: before tracing, big blocks on Windows 8+", () => {
    for (const block of blocks) {
      const described = Number(block.stack !== undefined) + Number(block.noStack !== undefined);
      expect([block.address, described]).toEqual([block.address, block.state === "Busy" ? 1 : 0]);
    }
    const [processHeap, privateHeap] = heaps;
    const before = processHeap.blocks.filter((b) => b.noStack === "BeforeTracing");
    expect(before.length).toBe(5);
    expect(privateHeap.blocks.some((b) => b.noStack === "BeforeTracing")).toBe(false);
    for (const block of before) {
      expect(block.kind).toBe("Backend");
      const { flags, unusedBytes } = reader.header(processHeap, block.address);
      expect(reader.win8 ? unusedBytes & 0x40 : flags & 0x02).toBe(0);
    }
    const big = busy.filter((b) => b.kind === "VirtualAlloc");
    expect(big.length).toBe(2);
    for (const block of big) expect(block.noStack ?? "traced").toBe(reader.win8 ? "VirtualAllocNoTrace" : "traced");
  });

  test("LFH blocks are traced on Windows 8+; Windows 7 heaps have no LFH (§2.7 reading)", () => {
    const lfh = busy.filter((b) => b.kind === "LFH");
    expect(heaps.every((heap) => heap.lfh === reader.win8)).toBe(true);
    if (reader.win8) expect(lfh.length).toBeGreaterThan(5);
    else expect(lfh).toEqual([]);
    expect(lfh.every((b) => b.stack)).toBe(true);
  });

  test("the database: EntryIndexArray[-i] is record i, records distinct and readable, TraceCount counts their blocks", () => {
    const { view } = reader;
    const count = view.u32(view.at(reader.database, "_STACK_TRACE_DATABASE", "NumberOfEntriesAdded"));
    const records = Array.from({ length: count }, (_, i) => reader.recordOfIndex(i + 1));
    expect(new Set(records).size).toBe(count);
    records.forEach((record, i) => expect(view.u16(view.at(record, "_RTL_STACK_TRACE_ENTRY", "Index"))).toBe(i + 1));
    const named = new Set(busy.filter((b) => b.stack).map((b) => reader.recordOf(b)));
    for (const record of named) expect(records).toContain(record);
    // Several blocks share a trace, and several callers make several traces of one path.
    expect(named.size).toBeLessThan(busy.filter((b) => b.stack).length);
    expect(named.size).toBeGreaterThan(8);
    const uses = (record: bigint) => busy.filter((b) => b.stack && reader.recordOf(b) === record).length;
    const traceCount = (record: bigint) => {
      const value = view.u32(view.at(record, "_RTL_STACK_TRACE_ENTRY", "TraceCount"));
      return reader.win8 ? value & 0x7ff : value; // TraceCount:11 from Windows 8 (§1.8)
    };
    for (const record of named) expect(traceCount(record)).toBe(uses(record));
  });

  test("modules: ucrtbase and widgets with symbol files, leaky.exe without; frames in all three", () => {
    expect(Object.keys(image.moduleIsfs).sort()).toEqual(["ucrtbase", "widgets"]);
    expect(view.modules.map((m) => m.name)).toEqual(expect.arrayContaining(["leaky", "ntdll", "ucrtbase", "widgets"]));
    const symbols = busy.flatMap((b) => b.stack?.symbols ?? []);
    for (const pattern of [/^ntdll!RtlAllocateHeap\+0x/, /^ucrtbase!_malloc_base\+0x/, /^widgets!Widget::Create\+0x/, /^leaky\+0x[0-9a-f]+$/]) {
      expect(symbols.some((s) => pattern.test(s))).toBe(true);
    }
  });

  test("objects: the first pointer of a typed block is its class's vftable; others name no vftable", () => {
    const vftables = new Map(["Widget", "Gadget", "Sprocket"].map((c) => [view.symbol("widgets", `${c}::\`vftable'`), c]));
    const typed = busy.filter((b) => b.typeName);
    const perClass = new Map<string, number>();
    for (const block of typed) {
      const vftable = view.ptr(block.userAddress);
      expect(vftables.get(vftable)).toBe(block.typeName);
      expect(view.symbolize(vftable)).toBe(`widgets!${block.typeName}::\`vftable'`);
      // The vftable's first slot is the class's own code.
      expect(view.symbolize(view.ptr(vftable))).toBe(`widgets!${block.typeName}::\`scalar deleting destructor'`);
      perClass.set(block.typeName!, (perClass.get(block.typeName!) ?? 0) + 1);
    }
    expect([...perClass.values()].filter((n) => n >= 2).length).toBeGreaterThanOrEqual(2);
    const untyped = busy.filter((b) => !b.typeName && b.userSize >= view.pointerSize);
    for (const block of untyped) expect(vftables.has(view.ptr(block.userAddress))).toBe(false);
    const firstSymbols = untyped.map((b) => view.symbolize(view.ptr(b.userAddress)));
    expect(firstSymbols).toContain(`widgets!Widget::\`vftable'+0x${view.pointerSize.toString(16)}`);
    expect(firstSymbols).toContain("widgets!Widget::Draw");
  });

  test("stays small", () => {
    expect(image.dump.length).toBeLessThan(2 * 1024 * 1024);
  });
});

describe("+ust variants (x64 19041)", () => {
  test("frame count in Index: the two fields swap, and only the Index reading gives the frames", () => {
    const image = buildUstImage("x64", 19041, { frameCountField: "Index" });
    expect(image.truth.traces.frameCountField).toBe("Index");
    const reader = new TraceReader(image);
    const traced = image.truth.heaps.flatMap((h) => h.blocks).filter((b) => b.stack);
    for (const block of traced) expect(reader.frames(reader.recordOf(block), "Index")).toEqual(block.stack!.frames);
    expect(traced.some((block) => reader.frames(reader.recordOf(block), "Depth").length !== block.stack!.frames.length)).toBe(true);
    // The same seed with the other reading writes the same blocks and traces.
    const depth = buildUstImage("x64", 19041);
    expect(depth.truth.heaps.map((h) => h.blocks)).toEqual(image.truth.heaps.map((h) => h.blocks));
  });

  test("a dropped record page: blocks naming its records have TraceUnreadable, the others still read", () => {
    const image = buildUstImage("x64", 19041, { dropTracePage: true });
    const reader = new TraceReader(image);
    const busy = image.truth.heaps.flatMap((h) => h.blocks).filter((b) => b.state === "Busy");
    const unreadable = busy.filter((b) => b.noStack === "TraceUnreadable");
    const traced = busy.filter((b) => b.stack);
    expect(unreadable.length).toBeGreaterThan(0);
    expect(traced.length).toBeGreaterThan(unreadable.length);
    const recordSize = reader.view.size("_RTL_STACK_TRACE_ENTRY");
    for (const block of unreadable) {
      expect(reader.view.readable(block.userAddress, block.userSize)).toBe(true);
      expect(reader.view.readable(reader.recordOf(block), recordSize)).toBe(false);
    }
    for (const block of traced) expect(reader.frames(reader.recordOf(block), "Depth")).toEqual(block.stack!.frames);
    // Everything else as in the image without the drop.
    const whole = buildUstImage("x64", 19041);
    const wholeBlocks = whole.truth.heaps.flatMap((h) => h.blocks).filter((b) => b.state === "Busy");
    expect(busy.map(({ stack, noStack, ...rest }) => rest)).toEqual(wholeBlocks.map(({ stack, noStack, ...rest }) => rest));
  });

  test("the same seed gives the same image", () => {
    const [first, second] = [1, 2].map(() => Buffer.from(buildUstImage("x86", 19041, { seed: 5 }).dump));
    expect(first.equals(second)).toBe(true);
  });
});
