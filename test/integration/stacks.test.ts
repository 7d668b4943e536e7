// Allocation stacks (+ust) and type names on every block, against the writer's truth: each traced
// block's frames and how WinDbg names them, each untraced block's reason, each object's class;
// grouping by stack and by type; !heapstack; and what it costs (each record and name once).
import { IsfTypes } from "../../nodehost/formats/isf";
import { targetFromDump } from "../../nodehost/load";
import { ScriptSession } from "../../nodehost/session";
import { TracedImage, buildUstImage } from "../writers/images";
import { BlockTruth } from "../writers/types";
import { BUNDLE, big } from "./harness";

function session(image: TracedImage, options: { logAccesses?: boolean } = {}): ScriptSession {
  const types: Record<string, IsfTypes> = { ntdll: IsfTypes.parse(image.ntdllIsf) };
  for (const [name, isf] of Object.entries(image.moduleIsfs)) types[name] = IsfTypes.parse(isf);
  return ScriptSession.load(BUNDLE, targetFromDump(image.dump, types), options);
}

/** The dx blocks of every heap, with the truth of each, matched by address. */
function pairs(s: ScriptSession, image: TracedImage): { block: any; truth: BlockTruth }[] {
  const out: { block: any; truth: BlockTruth }[] = [];
  for (const heap of s.process.Heaps) {
    const truth = image.truth.heaps.find((h) => h.address === big(heap.Address))!;
    const byAddress = new Map(truth.blocks.map((b) => [b.address, b]));
    for (const block of heap.Blocks) out.push({ block, truth: byAddress.get(big(block.Address))! });
  }
  return out;
}

const IMAGES: ["x64" | "x86", number, ("Depth" | "Index")?][] = [
  ["x64", 19041],
  ["x86", 19041],
  ["x64", 22000],
  ["x64", 7601],
  ["x86", 7601],
  ["x64", 19041, "Index"],
];

describe.each(IMAGES)("%s %d +ust (frame count in %s)", (arch, build, frameCountField) => {
  const image = buildUstImage(arch, build, { frameCountField });
  const s = session(image);
  const all = pairs(s, image);
  const busy = all.filter((p) => p.truth.state === "Busy");

  it("has traced and untraced busy blocks, objects, and every reason the image plants", () => {
    expect(busy.filter((p) => p.truth.stack).length).toBeGreaterThan(10);
    expect(busy.some((p) => p.truth.noStack)).toBe(true);
    expect(busy.some((p) => p.truth.typeName)).toBe(true);
  });

  it("gives every traced block exactly its frames, named as WinDbg names them", () => {
    for (const { block, truth } of busy.filter((p) => p.truth.stack)) {
      const stack = block.AllocationStack;
      const frames = [...stack].map((f: any) => ({ address: big(f.Address), symbol: String(f.Symbol) }));
      expect(frames).toEqual(truth.stack!.frames.map((address, i) => ({ address, symbol: truth.stack!.symbols[i] })));
      expect(Number(stack.Frames)).toBe(truth.stack!.frames.length);
    }
  });

  it("says why every other busy block has no stack", () => {
    for (const { block, truth } of busy.filter((p) => p.truth.noStack)) {
      expect(String(block.AllocationStack.Reason)).toBe(truth.noStack);
    }
  });

  it("names each object's class from its vftable pointer, and nothing else", () => {
    for (const { block, truth } of busy) expect(block.TypeName ?? undefined).toBe(truth.typeName);
  });

  it("groups busy blocks by stack and by type exactly as the truth does", () => {
    const expectStacks = new Map<string, { count: number; bytes: number }>();
    for (const { truth } of busy) {
      const key = truth.stack ? truth.stack.frames.join(",") : `no stack: ${truth.noStack}`;
      const g = expectStacks.get(key) ?? { count: 0, bytes: 0 };
      g.count++;
      g.bytes += truth.userSize;
      expectStacks.set(key, g);
    }
    const byStack = [...s.process.Heaps.ByStack()].map((g: any) => {
      const stack = g.Stack;
      const key = stack.Reason !== undefined ? `no stack: ${stack.Reason}` : [...stack].map((f: any) => big(f.Address)).join(",");
      return [key, { count: Number(g.Count), bytes: Number(g.TotalBytes) }] as const;
    });
    expect(new Map(byStack)).toEqual(expectStacks);
    const totals = byStack.map(([, g]) => g.bytes);
    expect(totals).toEqual([...totals].sort((a, b) => b - a));

    const expectTypes = new Map<string, number>();
    for (const { truth } of busy) {
      const key = truth.typeName ?? `size 0x${truth.userSize.toString(16)}`;
      expectTypes.set(key, (expectTypes.get(key) ?? 0) + 1);
    }
    const byType = [...s.process.Heaps.ByType()].map((g: any) => [g.TypeName ?? `size 0x${Number(g.Sizes[0]).toString(16)}`, Number(g.Count)] as const);
    expect(new Map(byType)).toEqual(expectTypes);
  });

  it("!heapstack on a traced back-end block, an LFH block (where there is LFH) and a VirtualAlloc'd block, and outside every heap", () => {
    for (const kind of ["Backend", "LFH", "VirtualAlloc"] as const) {
      const pair = busy.find((p) => p.truth.kind === kind && (p.truth.stack || kind === "VirtualAlloc"));
      if (!pair) continue;
      const { value, output } = s.alias("heapstack", s.int64(pair.truth.userAddress + 1n));
      const found = value as any;
      expect(big(found.Block.Address)).toBe(pair.truth.address);
      expect(Number(found.Offset)).toBe(Number(pair.truth.userAddress - pair.truth.address) + 1);
      expect(output).toContain(`address ${(pair.truth.userAddress + 1n).toString(16)} found in`);
      if (pair.truth.stack) {
        for (const symbol of pair.truth.stack.symbols) expect(output).toContain(symbol.replace(/\+0x([0-9a-f]+)$/, (_, o) => "+0x" + o.padStart(image.truth.arch === "x64" ? 16 : 8, "0")).replace(/^([^!+]+)!([^+]+)$/, "$1!$2+0x" + "0".repeat(image.truth.arch === "x64" ? 16 : 8)));
      } else {
        expect(String(found.AllocationStack.Reason)).toBe(pair.truth.noStack);
        expect(output).toContain(`no allocation stack (${pair.truth.noStack})`);
      }
    }
    expect(s.alias("heapstack", 0x1000).value).toBeNull();
  });
});

describe("what stacks cost", () => {
  it("reading every block's stack and type reads each trace record once and names each distinct address once", () => {
    const image = buildUstImage("x64", 19041);
    const s = session(image, { logAccesses: true });
    for (const heap of s.process.Heaps) for (const _ of heap.Blocks);
    s.resetCounters();
    for (const heap of s.process.Heaps) {
      for (const block of heap.Blocks) {
        const stack = block.AllocationStack;
        if (stack && stack.Reason === undefined) for (const frame of stack) void frame.Symbol;
        void block.TypeName;
      }
    }
    const truth = image.truth.heaps.flatMap((h) => h.blocks).filter((b) => b.state === "Busy");
    const records = new Set(truth.filter((b) => b.stack).map((b) => b.stack!.frames.join(",")));
    const frames = new Set(truth.filter((b) => b.stack).flatMap((b) => b.stack!.frames));
    const lookups = s.accessLog!.symbolLookups.map((a) => BigInt(a));
    expect(new Set(lookups).size).toBe(lookups.length); // no address asked twice
    for (const frame of frames) expect(lookups).toContain(frame);
    // One read per distinct record, plus the first pointers read a window per segment or VirtualAlloc'd block.
    const windows = image.truth.heaps.reduce((n, h) => n + h.segments.length + h.blocks.filter((b) => b.kind === "VirtualAlloc").length, 0);
    expect(s.counters.memoryReads).toBeLessThanOrEqual(records.size + windows + 4);
  });

  it("a trace record not in the dump: TraceUnreadable, the others still read", () => {
    const image = buildUstImage("x64", 19041, { dropTracePage: true });
    const s = session(image);
    const all = pairs(s, image).filter((p) => p.truth.state === "Busy");
    const unreadable = all.filter((p) => p.truth.noStack === "TraceUnreadable");
    expect(unreadable.length).toBeGreaterThan(0);
    for (const { block } of unreadable) expect(String(block.AllocationStack.Reason)).toBe("TraceUnreadable");
    expect(all.some((p) => p.truth.stack && [...p.block.AllocationStack].length === p.truth.stack.frames.length)).toBe(true);
  });
});
