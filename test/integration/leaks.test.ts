// The leak scan (!heapleaks, @$heapleaks) against the leak and triage images' reachability truth
// (test/writers/leaks.ts, checked there by an independent scan): exactly the planted unreachable
// blocks, whatever root kind holds the others (live stack, a thread without a context, registers,
// writable sections, TLS, private memory, chains, a pointer to a block's last byte), and what it
// costs in reads.
import { IsfTypes } from "../../nodehost/formats/isf";
import { targetFromDump } from "../../nodehost/load";
import { ScriptSession } from "../../nodehost/session";
import { buildLeakImage, buildTriageImage, TRIAGE_SHAPES, type LeakImage } from "../writers/images";
import { BUNDLE, big } from "./harness";

function session(image: LeakImage, options: { logAccesses?: boolean } = {}): ScriptSession {
  const types: Record<string, IsfTypes> = { ntdll: IsfTypes.parse(image.ntdllIsf) };
  for (const [name, isf] of Object.entries(image.moduleIsfs)) types[name] = IsfTypes.parse(isf);
  return ScriptSession.load(BUNDLE, targetFromDump(image.dump, types), options);
}

const sorted = (values: Iterable<bigint>) => [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
const hex = (values: bigint[]) => values.map((v) => "0x" + v.toString(16));
const hexOf = (value: bigint) => "0x" + value.toString(16);

describe.each([
  ["x64", 19041],
  ["x86", 19041],
  ["x64", 7601],
  ["x86", 7601],
] as const)("%s %i leak image", (arch, build) => {
  const image = buildLeakImage(arch, build);
  const s = session(image);
  const report = s.alias("heapleaks").value as any;

  test("finds exactly the planted unreachable blocks", () => {
    const found = sorted([...report.Blocks].map((b: any) => big(b.UserAddress)));
    expect(hex(found)).toEqual(hex(image.truth.leaks.unreachable));
  });

  test("each planted case: reached through its one root, or left unreachable", () => {
    const unreachable = new Set([...report.Blocks].map((b: any) => big(b.UserAddress)));
    const busy = new Map(image.truth.heaps.flatMap((h) => h.blocks).filter((b) => b.state === "Busy").map((b) => [b.userAddress, b]));
    for (const [name, blocks] of Object.entries(image.truth.leaks.cases)) {
      expect([name, blocks.map((b) => unreachable.has(b))]).toEqual([name, blocks.map((b) => busy.get(b)!.reachable === false)]);
    }
  });

  test("Block.Referrers() names each planted root and holding block where the truth puts it", () => {
    const blocks = new Map<bigint, any>();
    for (const heap of s.process.Heaps) for (const block of heap.Blocks) if (block.State === "Busy") blocks.set(big(block.UserAddress), block);
    const busy = new Map(image.truth.heaps.flatMap((h) => h.blocks).filter((b) => b.state === "Busy").map((b) => [b.userAddress, b]));
    const inBusyData = (address: bigint) => [...busy.values()].some((b) => address >= b.userAddress && address < b.userAddress + BigInt(b.userSize));
    const reachedFrom = ["liveStack", "stackWithoutContext", "register", "moduleData", "global", "tls", "private", "chain"];
    for (const name of reachedFrom) {
      for (const target of image.truth.leaks.cases[name]) {
        const referrers = [...blocks.get(target)!.Referrers()].map((r: any) => ({ kind: String(r.Kind), location: r.Location === null ? null : big(r.Location), description: String(r.Description) }));
        for (const ref of image.truth.leaks.references.filter((r) => r.target === target)) {
          const h = ref.holder;
          const kind = h.kind === "stack" ? "Stack" : h.kind === "register" ? "Register" : h.kind === "module" ? "Global" : h.kind === "block" ? "Block"
            : inBusyData(ref.location!) ? "Block" : "Memory";
          const location = h.kind === "register" ? null : kind === "Block" && h.kind !== "block" ? undefined : h.kind === "block" ? h.block : ref.location!;
          const found = referrers.find((r) => r.kind === kind && (location === undefined || r.location === location));
          expect([name, hexOf(target), found && found.kind]).toEqual([name, hexOf(target), kind]);
          if (h.kind === "register") expect(found!.description).toBe(`thread ${h.thread}'s register ${h.register}`);
          if (h.kind === "stack") expect(found!.description).toMatch(new RegExp(`^thread ${h.thread}'s stack at 0x${ref.location!.toString(16)}`));
          if (h.kind === "module" && h.symbol) expect(found!.description).toBe(`${h.symbol} (0x${ref.location!.toString(16)})`);
        }
      }
    }
  });

  test("counts what it found and what it read", () => {
    const busy = image.truth.heaps.flatMap((h) => h.blocks).filter((b) => b.state === "Busy");
    const leaked = busy.filter((b) => b.reachable === false);
    expect(Number(report.BusyBlocks)).toBe(busy.length);
    expect(Number(report.UnreachableBlocks)).toBe(leaked.length);
    expect(Number(report.UnreachableBytes)).toBe(leaked.reduce((n, b) => n + b.userSize, 0));
    // Blocks too small for a pointer are not read.
    const pointerSize = arch === "x64" ? 8 : 4;
    expect(Number(report.HeapBytes)).toBe(busy.filter((b) => b.userSize >= pointerSize).reduce((n, b) => n + b.userSize, 0));
    expect(report.Problem).toBeNull();
  });
});

describe.each(Object.keys(TRIAGE_SHAPES) as (keyof typeof TRIAGE_SHAPES)[])("x64 19041 triage image %s", (shape) => {
  const image = buildTriageImage("x64", 19041, TRIAGE_SHAPES[shape]);
  const s = session(image);

  test("the scan's unreachable blocks are the truth's", () => {
    const report = s.alias("heapleaks").value as any;
    expect(hex(sorted([...report.Blocks].map((b: any) => big(b.UserAddress))))).toEqual(hex(image.truth.leaks.unreachable));
  });
});

describe("what the leak scan reads (x64 19041 triage image smallBlocks, heaps already walked)", () => {
  const image = buildTriageImage("x64", 19041, TRIAGE_SHAPES.smallBlocks);
  const s = session(image, { logAccesses: true });
  s.alias("heaps");
  s.resetCounters();
  // The scan alone: the report's groups (which read stack records) are not asked for.
  const report = s.process.Heaps.Leaks();
  expect(Number(report.UnreachableBlocks)).toBe(image.truth.leaks.unreachable.length);
  // The scan's own reads: small structure reads (TEBs, PE headers) come as whole pages through the
  // memory reader's page cache, and are left out.
  const pageFill = (r: { address: bigint; length: number }) => r.length === 0x1000 && r.address % 0x1000n === 0n;
  const reads = [...s.accessLog!.reads].filter((r) => r.length > 0xff && !pageFill(r)).sort((a, b) => (a.address < b.address ? -1 : 1));

  test("each byte it scans at most once: no two large reads overlap, and all reads add up to the roots and heap data scanned", () => {
    for (let i = 1; i < reads.length; i++) expect(reads[i].address >= reads[i - 1].address + BigInt(reads[i - 1].length)).toBe(true);
    const scanned = Number(report.RootBytes) + Number(report.HeapBytes);
    // Heap data is read in windows that may span the few bytes between blocks; PE headers and TEBs are small reads.
    expect(s.counters.bytesRead).toBeLessThan(1.5 * scanned);
    expect(s.counters.memoryReads).toBeLessThan(s.counters.bytesRead / 4096);
  });

  test("a second look reads nothing, and the triage reads no heap data again (types come with the scan)", () => {
    s.alias("heapleaks");
    s.resetCounters();
    s.alias("heapleaks");
    expect(s.counters.memoryReads).toBe(0);
    s.alias("heaptriage");
    const busy = image.truth.heaps.flatMap((h) => h.blocks).filter((b) => b.state === "Busy");
    const inUserData = (r: { address: bigint; length: number }) =>
      busy.some((b) => r.address < b.userAddress + BigInt(b.userSize) && b.userAddress < r.address + BigInt(r.length));
    expect(s.accessLog!.reads.filter(inUserData)).toEqual([]);
  });
});

// Found by the fuzzer (seed 777 case 1812: a WOW64 thread's TEB32 taken from a damaged
// WowTebOffset): stack bounds from a damaged TEB spanned gigabytes across every heap and hole, and
// the scan probed each hole (800 reads where the image needs 32) and read the heaps as live stack.
describe.each(["x64", "x86"] as const)("%s 19041 leak image whose first TEB's StackBase is the top of user space", (arch) => {
  const undamaged = buildLeakImage(arch, 19041);
  const image = buildLeakImage(arch, 19041);
  const thread = image.truth.leaks.process.threads[0];
  image.space.ptr(thread.teb + BigInt(image.process.layout.off("_TEB", "NtTib.StackBase")), arch === "x64" ? 0x7ffffffe0000n : 0x7ffe0000n);
  const damaged = { ...image, dump: image.process.build().dump };
  const scan = (leakImage: LeakImage) => {
    const s = session(leakImage);
    s.alias("heaps");
    s.resetCounters();
    const report = s.alias("heapleaks").value as any;
    return { report, reads: s.counters.memoryReads };
  };
  const before = scan(undamaged);
  const after = scan(damaged);

  test("the stack is read where memory is committed outside the heaps and images: as many reads as undamaged, no more root bytes than the dump holds", () => {
    expect(after.reads).toBeLessThanOrEqual(before.reads + 4);
    expect(Number(after.report.RootBytes)).toBeLessThan(damaged.dump.length);
  });

  test("what it finds unreachable is unreachable in the truth (the heaps are no live stack)", () => {
    const found = sorted([...after.report.Blocks].map((b: any) => big(b.UserAddress)));
    const truth = new Set(image.truth.leaks.unreachable);
    expect(found.length).toBeGreaterThan(0);
    expect(hex(found.filter((a) => !truth.has(a)))).toEqual([]);
  });
});

describe("a stack referrer names the function whose frame holds it", () => {
  test.each(["x64", "x86"] as const)("%s: the nearest return address below the slot is Gadget::Clone's", (arch) => {
    const image = buildTriageImage(arch, 19041, TRIAGE_SHAPES.smallBlocks);
    const target = image.truth.triage.suspects.smallBlocks!.blocks[0];
    // A return address into widgets!Gadget::Clone, then (above it, in the same live stack) the only pointer to the block.
    const returnAddress = image.process.symbolAddress("widgets", "Gadget::Clone") + 0x44n;
    image.process.plantInStack(0, returnAddress, true);
    const slot = image.process.plantInStack(0, target, true);
    const built = image.process.build();
    const s = session({ ...image, dump: built.dump });
    const block = [...s.process.Heaps].flatMap((h: any) => [...h.Blocks]).find((b: any) => big(b.UserAddress) === target);
    expect([...block.Referrers()].map((r: any) => String(r.Description))).toEqual([`thread 0's stack at 0x${slot.toString(16)}, in widgets!Gadget::Clone's frame`]);
  });
});
