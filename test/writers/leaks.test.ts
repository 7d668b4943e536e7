// Self-checks of the leak and triage images: an independent scan of each dump (leak-oracle.ts)
// reproduces the truth; the process's roots (PE headers, sections, TLS, thread contexts) decode
// from the dump and its ISFs as planted; a naive ranking over the truth puts each planted leak
// first; a pair's growth is the difference of its two truths.
import { buildLeakImage, buildTriageImage, buildTriagePair, TRIAGE_PAIR, TRIAGE_SHAPES, type LeakImage } from "./images";
import { decodeProcess, scanLeaks, type FoundReference } from "./leak-oracle";
import { DumpView } from "./dump-view";
import { buildSample, SAMPLE_LATER, SAMPLE_SPEC } from "./sample";
import type { BlockTruth, HeapTruth, ReferenceTruth } from "./types";

const IMAGE_SCN_MEM_EXECUTE = 0x20000000;
const IMAGE_SCN_MEM_WRITE = 0x80000000;

const isfsOf = (image: LeakImage) => ({ ntdll: image.ntdllIsf, ...image.moduleIsfs });
const busyOf = (heaps: HeapTruth[]) => heaps.flatMap((h) => h.blocks).filter((b) => b.state === "Busy" && b.userSize > 0);
const sorted = (values: Iterable<bigint>) => [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
/** A reference's place: its location, or its thread's register. */
const place = (r: { location?: bigint; holder: FoundReference["holder"] }) =>
  r.location !== undefined ? `0x${r.location.toString(16)}` : r.holder.kind === "register" ? `${r.holder.thread}:${r.holder.register}` : "nowhere";

/**
 * The oracle against the truth: the same reachable blocks, and the same references wherever the
 * scan looks (roots, busy user data, free blocks, dead stack, read-only sections); extra ones
 * only in heap metadata, or where allowed says.
 */
function expectOracleAgrees(image: LeakImage, allowed: (extra: FoundReference) => boolean = () => false): void {
  const { heaps, leaks } = image.truth;
  const scan = scanLeaks(image.dump, isfsOf(image), heaps);
  const busy = busyOf(heaps);
  expect(busy.every((b) => typeof b.reachable === "boolean")).toBe(true);
  expect(sorted(scan.reachable)).toEqual(sorted(busy.filter((b) => b.reachable).map((b) => b.userAddress)));
  expect(leaks.unreachable).toEqual(sorted(busy.filter((b) => !b.reachable).map((b) => b.userAddress)));

  const found = new Map(scan.references.map((r) => [place(r), r]));
  const planted = new Map(leaks.references.map((r) => [place(r), r]));
  expect(planted.size).toBe(leaks.references.length);
  for (const [key, reference] of planted) expect([key, found.get(key)]).toEqual([key, reference]);
  const extras = scan.references.filter((r) => !planted.has(place(r)));
  expect(extras.filter((r) => r.holder.kind !== "heap" && !allowed(r))).toEqual([]);
}

/** Groups busy blocks as a naive triage does (stack, type, requested size) and sorts the groups by what is given, biggest first. */
function ranking(heaps: HeapTruth[], by: (group: BlockTruth[]) => number): bigint[][] {
  const groups = new Map<string, BlockTruth[]>();
  for (const block of heaps.flatMap((h) => h.blocks).filter((b) => b.state === "Busy")) {
    const key = [block.stack?.frames.join(",") ?? "-", block.typeName ?? "-", block.userSize].join("|");
    groups.set(key, [...(groups.get(key) ?? []), block]);
  }
  return [...groups.values()].sort((a, b) => by(b) - by(a)).map((group) => sorted(group.map((b) => b.userAddress)));
}
const bytesHeld = (group: BlockTruth[]) => group.reduce((sum, b) => sum + b.userSize, 0);
const blockCount = (group: BlockTruth[]) => group.length;
const unreachableBytes = (group: BlockTruth[]) => group.filter((b) => !b.reachable).reduce((sum, b) => sum + b.userSize, 0);

describe.each([
  ["x64", 19041],
  ["x86", 19041],
  ["x64", 7601],
  ["x86", 7601],
] as const)("%s %i leak image", (arch, build) => {
  const image = buildLeakImage(arch, build);
  const { heaps, leaks } = image.truth;
  const busy = busyOf(heaps);
  const block = (user: bigint) => busy.find((b) => b.userAddress === user)!;
  const referencesTo = (user: bigint) => leaks.references.filter((r) => r.target === user);
  const pointer = arch === "x64" ? 8 : 4;

  test("the oracle's scan of the dump reaches what the truth says, through the references it lists", () => {
    expectOracleAgrees(image);
  });

  test("NT heaps with back-end, LFH and VirtualAlloc'd blocks, each kind both reachable and not", () => {
    for (const kind of ["Backend", "LFH", "VirtualAlloc"] as const) {
      expect(busy.some((b) => b.kind === kind && b.reachable)).toBe(true);
      expect(busy.some((b) => b.kind === kind && !b.reachable)).toBe(true);
    }
    expect(heaps.every((h) => h.type === "NT")).toBe(true);
  });

  test("each reachable case is referenced only from the root its name says", () => {
    const only = (name: string): ReferenceTruth => {
      const [user] = leaks.cases[name];
      const references = referencesTo(user);
      expect(references).toHaveLength(1);
      expect(block(user).reachable).toBe(true);
      return references[0];
    };
    expect(only("liveStack")).toMatchObject({ holder: { kind: "stack", thread: 0, live: true }, root: true });
    expect(only("liveStack").value).toBeGreaterThan(leaks.cases.liveStack[0]); // interior
    const withoutContext = only("stackWithoutContext");
    expect(withoutContext).toMatchObject({ holder: { kind: "stack", thread: 2, live: true }, root: true });
    // Thread 2 has no CONTEXT: the slot sits near StackLimit, where a stack pointer would have made it dead.
    expect(withoutContext.location! - leaks.process.threads[2].stackLimit).toBeLessThan(0x100n);
    expect(only("register")).toMatchObject({ holder: { kind: "register", thread: 1, register: arch === "x64" ? "rbx" : "ebx" }, root: true });
    expect(only("moduleData")).toMatchObject({ holder: { kind: "module", module: "leaky", section: ".data" }, root: true });
    expect(only("moduleData").holder).not.toHaveProperty("symbol");
    expect(only("global")).toMatchObject({ holder: { kind: "module", module: "session", section: ".data", symbol: "session!g_documents" }, root: true });
    expect(only("tls")).toMatchObject({ holder: { kind: "tls", thread: 1, module: "leaky" }, root: true });
    expect(only("private")).toMatchObject({ holder: { kind: "private" }, root: true });
    const [a, b, c] = leaks.cases.chain;
    expect(referencesTo(a)).toMatchObject([{ holder: { kind: "stack", thread: 1, live: true }, value: a }]);
    expect(referencesTo(b)).toMatchObject([{ holder: { kind: "block", block: a, free: false } }]);
    expect(referencesTo(c)).toMatchObject([{ holder: { kind: "block", block: b, free: false } }]);
    for (const user of [b, c]) expect(referencesTo(user)[0].value).toBeGreaterThan(user);
    expect(leaks.cases.chain.map((user) => block(user).kind)).toEqual(["Backend", "LFH", "VirtualAlloc"]);
    expect(leaks.cases.chain.every((user) => block(user).reachable)).toBe(true);
    const [last] = leaks.cases.lastByte;
    expect(only("lastByte")).toMatchObject({ holder: { kind: "module", module: "leaky", section: ".data" }, value: last + BigInt(block(last).userSize - 1) });
    // x64: the byte lies past the block, in the next block's header (PreviousBlockPrivateData).
    if (arch === "x64") expect(only("lastByte").value).toBeGreaterThanOrEqual(block(last).address + BigInt(block(last).size));
  });

  test("the unreachable cases: only non-roots, unreachable blocks or near misses point at them", () => {
    const unreachable = ["deadStack", "freeBlock", "rdata", "cycle", "deadChain", "nearMissHeader", "nearMissPastEnd", "unreferenced"];
    expect(sorted(unreachable.flatMap((name) => leaks.cases[name]))).toEqual(leaks.unreachable);
    const holders = (name: string) => leaks.cases[name].flatMap((user) => referencesTo(user).map((r) => ({ ...r.holder, root: r.root })));
    expect(holders("deadStack")).toEqual([{ kind: "stack", thread: 0, live: false, root: false }]);
    const [deadLocation] = referencesTo(leaks.cases.deadStack[0]).map((r) => r.location!);
    expect(deadLocation).toBeLessThan(leaks.process.threads[0].stackPointer!);
    expect(deadLocation).toBeGreaterThanOrEqual(leaks.process.threads[0].stackLimit);
    expect(holders("freeBlock")).toMatchObject([{ kind: "block", free: true, root: false }]);
    expect(holders("rdata")).toEqual([{ kind: "module", module: "leaky", section: ".rdata", root: false }]);
    const [x, y, z] = leaks.cases.cycle;
    expect(holders("cycle")).toEqual([
      { kind: "block", block: z, free: false, root: false },
      { kind: "block", block: x, free: false, root: false },
      { kind: "block", block: y, free: false, root: false },
    ]);
    const [p] = leaks.cases.deadChain;
    expect(holders("deadChain")).toEqual([
      { kind: "stack", thread: 1, live: false, root: false },
      { kind: "block", block: p, free: false, root: false },
    ]);
    for (const name of ["nearMissHeader", "nearMissPastEnd", "unreferenced"]) expect(holders(name)).toEqual([]);
    const [header] = leaks.cases.nearMissHeader;
    const [pastEnd] = leaks.cases.nearMissPastEnd;
    expect(leaks.nearMisses).toEqual([
      { location: expect.any(BigInt), value: block(header).address, block: header, what: "HeapEntry" },
      { location: expect.any(BigInt), value: pastEnd + BigInt(block(pastEnd).userSize), block: pastEnd, what: "PastUserData" },
    ]);
    const view = new DumpView(image.dump, isfsOf(image));
    for (const miss of leaks.nearMisses) {
      expect(view.ptr(miss.location)).toBe(miss.value);
      expect(busy.some((b) => b.userAddress <= miss.value && miss.value < b.userAddress + BigInt(b.userSize))).toBe(false);
    }
  });

  test("PE headers in memory: each module's section table as planted, .text executable, .rdata read-only, .data writable and dumped", () => {
    const decoded = decodeProcess(image.dump, isfsOf(image));
    const view = new DumpView(image.dump, isfsOf(image));
    expect(leaks.process.modules.map((m) => m.name)).toEqual(["leaky", "ntdll", "session"]);
    for (const module of leaks.process.modules) {
      const found = decoded.modules.find((m) => m.name === module.name)!;
      expect([found.base, found.size]).toEqual([module.base, module.size]);
      expect(found.sections).toEqual(module.sections);
      const [text, rdata, data] = ["text", "rdata", "data"].map((name) => module.sections.find((s) => s.name === `.${name}`)!);
      expect(text.characteristics & IMAGE_SCN_MEM_EXECUTE).not.toBe(0);
      expect(rdata.characteristics & (IMAGE_SCN_MEM_WRITE | IMAGE_SCN_MEM_EXECUTE)).toBe(0);
      expect(data.characteristics & IMAGE_SCN_MEM_WRITE).not.toBe(0);
      expect(view.readable(module.base + BigInt(data.rva), data.size)).toBe(true);
    }
    // ntdll's globals lie in its .data.
    const ntdll = leaks.process.modules[1];
    const data = ntdll.sections.find((s) => s.name === ".data")!;
    const key = view.symbol("ntdll", "RtlpLFHKey") - ntdll.base;
    expect(key >= BigInt(data.rva) && key < BigInt(data.rva + data.size)).toBe(true);
  });

  test("static TLS: the modules' TLS directories, and each thread's vector and blocks holding the template", () => {
    const decoded = decodeProcess(image.dump, isfsOf(image));
    const view = new DumpView(image.dump, isfsOf(image));
    const withTls = leaks.process.modules.filter((m) => m.tls);
    expect(withTls.map((m) => [m.name, m.tls!.index])).toEqual([["leaky", 0], ["session", 1]]);
    for (const module of withTls) {
      const found = decoded.modules.find((m) => m.name === module.name)!.tls!;
      expect(found).toEqual({ directory: module.tls!.directory, start: module.tls!.template.start, end: module.tls!.template.end, zeroFill: 0, indexAddress: module.tls!.indexAddress, index: module.tls!.index });
    }
    decoded.threads.forEach((thread, i) => {
      const tls = leaks.process.threads[i].tls!;
      expect(thread.tlsVector).toBe(tls.vector);
      for (const module of withTls) {
        const data = view.ptr(tls.vector + BigInt(module.tls!.index * pointer));
        expect(data).toBe(tls.blocks[module.name]);
        const { start, end } = module.tls!.template;
        const length = Number(end - start);
        // The template, but for the slots the images plant pointers in.
        const slots = leaks.references.filter((r) => r.holder.kind === "tls" && r.location! >= data && r.location! < data + BigInt(length));
        const expected = Uint8Array.from(view.read(start, length));
        for (const slot of slots) expected.set(view.read(slot.location!, pointer), Number(slot.location! - data));
        expect(view.read(data, length)).toEqual(expected);
      }
      // The vector and the blocks are busy blocks of the process heap.
      for (const user of [tls.vector, ...Object.values(tls.blocks)]) expect(heaps[0].blocks.some((b) => b.userAddress === user && b.state === "Busy")).toBe(true);
    });
  });

  test("thread contexts: threads 0 and 1 have their registers, the stack pointer inside the committed stack; thread 2 none", () => {
    const decoded = decodeProcess(image.dump, isfsOf(image));
    expect(decoded.threads).toHaveLength(3);
    decoded.threads.forEach((thread, i) => {
      const planted = leaks.process.threads[i];
      expect([thread.id, thread.teb, thread.stackBase, thread.stackLimit]).toEqual([planted.id, planted.teb, planted.stackBase, planted.stackLimit]);
      expect(thread.registers).toEqual(planted.registers);
      expect(thread.stackPointer).toBe(planted.stackPointer);
    });
    for (const thread of decoded.threads.slice(0, 2)) {
      expect(thread.stackPointer! > thread.stackLimit && thread.stackPointer! < thread.stackBase).toBe(true);
      const ip = thread.registers![arch === "x64" ? "rip" : "eip"];
      const leaky = leaks.process.modules[0];
      const text = leaky.sections[0];
      expect(ip >= leaky.base + BigInt(text.rva) && ip < leaky.base + BigInt(text.rva + text.size)).toBe(true);
    }
    expect(decoded.threads[2].registers).toBeUndefined();
  });

  test("ImageTruth.references lists the pointers planted in thread stacks", () => {
    const inStacks = leaks.references.filter((r) => r.holder.kind === "stack");
    expect(image.truth.references).toEqual(inStacks.map((r) => ({ location: r.location, value: r.value })));
    expect(inStacks.length).toBeGreaterThan(6);
  });
});

test("the same seed gives the same leak image", () => {
  expect(buildLeakImage("x86", 19041, { seed: 5 }).dump).toEqual(buildLeakImage("x86", 19041, { seed: 5 }).dump);
});

describe.each(
  (Object.keys(TRIAGE_SHAPES) as (keyof typeof TRIAGE_SHAPES)[]).flatMap((shape) => (["x64", "x86"] as const).map((arch) => [shape, arch] as const)),
)("%s triage image, %s", (shape, arch) => {
  const image = buildTriageImage(arch, 19041, TRIAGE_SHAPES[shape]);
  const { heaps, triage } = image.truth;
  const name = shape === "noStacks" ? "smallBlocks" : shape;
  const suspect = triage.suspects[name]!;

  test("one planted leak, as the truth's blocks say", () => {
    expect(Object.keys(triage.suspects)).toEqual([name]);
    const blocks = busyOf(heaps).filter((b) => suspect.blocks.includes(b.userAddress));
    expect(blocks).toHaveLength(suspect.count);
    expect(suspect.bytes).toBe(suspect.count * suspect.userSize);
    expect(blocks.every((b) => b.userSize === suspect.userSize && b.kind === suspect.kind && b.typeName === suspect.typeName)).toBe(true);
    expect(blocks.every((b) => (b.stack?.frames ?? []).join() === (suspect.stack?.frames ?? []).join())).toBe(true);
    expect(suspect.unreachable).toBe(blocks.filter((b) => !b.reachable).length);
  });

  test("the oracle's scan agrees with the truth", () => {
    expectOracleAgrees(image);
  });

  test("a naive ranking by bytes held puts the planted leak first", () => {
    expect(ranking(heaps, bytesHeld)[0]).toEqual(suspect.blocks);
  });

  if (shape === "giant") {
    test("the giant: 4 MiB, VirtualAlloc'd, no stack, held only by session!g_frameCache", () => {
      expect(suspect).toMatchObject({ kind: "VirtualAlloc", userSize: 0x400000, count: 1, unreachable: 0 });
      expect(suspect.stack).toBeUndefined();
      const giant = busyOf(heaps).find((b) => b.userAddress === suspect.blocks[0])!;
      expect(giant.noStack).toBe("VirtualAllocNoTrace");
      const view = new DumpView(image.dump, isfsOf(image));
      expect(view.ptr(suspect.referrer!.location)).toBe(giant.userAddress);
      expect(view.symbolize(suspect.referrer!.location)).toBe(suspect.referrer!.symbol);
      expect(suspect.referrer!.symbol).toBe("session!g_frameCache");
      const found = scanLeaks(image.dump, isfsOf(image), heaps).references.filter((r) => r.target === giant.userAddress && r.holder.kind !== "heap");
      expect(found.map((r) => r.location)).toEqual([suspect.referrer!.location]);
    });
  } else {
    test("ranked by count and by unreachable bytes, the planted leak comes first too; all of it unreachable", () => {
      expect(ranking(heaps, blockCount)[0]).toEqual(suspect.blocks);
      expect(ranking(heaps, unreachableBytes)[0]).toEqual(suspect.blocks);
      expect(suspect.unreachable).toBe(suspect.count);
      expect(image.truth.leaks.unreachable).toEqual(suspect.blocks);
    });
  }

  if (shape === "lfhBucket") {
    test("hidden in an LFH bucket: legitimate blocks of the same size from other stacks share it", () => {
      expect(suspect).toMatchObject({ kind: "LFH", typeName: "Gadget", userSize: 0x48 });
      const sameSize = busyOf(heaps).filter((b) => b.kind === "LFH" && b.userSize === suspect.userSize && !suspect.blocks.includes(b.userAddress));
      expect(sameSize.length).toBeGreaterThan(20);
      expect(sameSize.every((b) => b.reachable && b.stack && b.stack.frames.join() !== suspect.stack!.frames.join())).toBe(true);
    });

    test("the bucket: 4 LFH subsegments of 128 blocks of one size, read through the ISF", () => {
      const view = new DumpView(image.dump, isfsOf(image));
      const bucket = heaps.find((h) => h.blocks.some((b) => suspect.blocks.includes(b.userAddress)))!;
      const containers = bucket.blocks.filter((b) => b.kind === "Backend" && b.state === "Internal" && bucket.blocks.some((l) => l.kind === "LFH" && l.address > b.address && l.address < b.address + BigInt(b.size)));
      const subsegments = containers.map((c) => view.ptr(view.at(c.userAddress, "_HEAP_USERDATA_HEADER", "SubSegment")));
      const granules = Math.ceil(0x48 / (arch === "x64" ? 16 : 8)) + 3;
      expect(subsegments.map((s) => [view.u16(view.at(s, "_HEAP_SUBSEGMENT", "BlockSize")), view.u16(view.at(s, "_HEAP_SUBSEGMENT", "BlockCount"))])).toEqual(Array(4).fill([granules, 128]));
      expect(bucket.blocks.filter((b) => b.kind === "LFH")).toHaveLength(4 * 128);
    });
  }

  if (shape === "noStacks") {
    test("without +ust: no block has a stack, and the leak is told by its size alone", () => {
      const view = new DumpView(image.dump, isfsOf(image));
      expect(view.u32(view.at(image.truth.peb, "_PEB", "NtGlobalFlag")) & 0x1000).toBe(0);
      expect(triage.stacks).toBe(false);
      expect(busyOf(heaps).some((b) => b.stack || b.noStack)).toBe(false);
    });
  } else {
    test("with +ust: the leak's stack is its own", () => {
      expect(triage.stacks).toBe(true);
      if (shape !== "giant") expect(suspect.stack!.symbols.length).toBeGreaterThan(3);
    });
  }
});

describe("a triage pair: the same process later", () => {
  const { earlier, later, growth } = buildTriagePair("x64", 19041, TRIAGE_PAIR.spec, TRIAGE_PAIR.later);

  test("growth per stack is the difference of the two truths", () => {
    const tally = (heaps: HeapTruth[]) => {
      const groups = new Map<string, { count: number; bytes: number }>();
      for (const b of heaps.flatMap((h) => h.blocks).filter((b) => b.state === "Busy")) {
        const key = b.stack?.symbols.join(" ") ?? "";
        const group = groups.get(key) ?? { count: 0, bytes: 0 };
        groups.set(key, { count: group.count + 1, bytes: group.bytes + b.userSize });
      }
      return groups;
    };
    const [before, after] = [tally(earlier.truth.heaps), tally(later.truth.heaps)];
    const expected = [...new Set([...before.keys(), ...after.keys()])]
      .map((key) => ({ key, count: (after.get(key)?.count ?? 0) - (before.get(key)?.count ?? 0), bytes: (after.get(key)?.bytes ?? 0) - (before.get(key)?.bytes ?? 0) }))
      .filter((g) => g.count !== 0 || g.bytes !== 0);
    const actual = growth.map((g) => ({ key: g.stack?.symbols.join(" ") ?? "", count: g.count, bytes: g.bytes }));
    const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    expect([...actual].sort(byKey)).toEqual(expected.sort(byKey));
  });

  test("the leak's stack grew by the 600 blocks planted, the most of all; other stacks churned both ways", () => {
    const leak = later.truth.triage.suspects.smallBlocks!;
    const added = TRIAGE_PAIR.later.smallBlocks.count - TRIAGE_PAIR.spec.smallBlocks.count;
    expect(growth[0]).toEqual({ stack: leak.stack, count: added, bytes: added * leak.userSize });
    expect(earlier.truth.triage.suspects.smallBlocks!.stack!.symbols).toEqual(leak.stack!.symbols);
    expect(growth.slice(1).some((g) => g.count > 0)).toBe(true);
    expect(growth.some((g) => g.count < 0)).toBe(true);
  });

  test("the same modules and symbol files", () => {
    const modules = (image: LeakImage) => image.truth.leaks.process.modules.map((m) => [m.name, m.base, m.size]);
    expect(modules(later)).toEqual(modules(earlier));
    expect(later.moduleIsfs).toEqual(earlier.moduleIsfs);
    expect(Object.keys(later.moduleIsfs).sort()).toEqual(["session", "ucrtbase", "widgets"]);
  });
});

describe("the demo sample and its later dump", () => {
  const sample = buildSample();
  // A segment heap's large-block records lie outside its segments and point into its Large blocks (types.ts LeakTruth).
  const largeRecord = (heaps: HeapTruth[]) => (r: FoundReference) =>
    r.holder.kind === "private" && heaps.some((h) => h.type === "Segment" && h.blocks.some((b) => b.kind === "Large" && b.userAddress === r.target));

  test("x64 Windows 10 with +ust, NT heaps and a segment heap; each dump at most 6 MiB", () => {
    for (const image of [sample, sample.later]) {
      expect([image.truth.arch, image.truth.build]).toEqual(["x64", 19041]);
      expect(image.truth.heaps.map((h) => h.type)).toEqual(["NT", "NT", "NT", "NT", "NT", "Segment"]);
      expect(image.dump.length).toBeLessThanOrEqual(6 * 1024 * 1024);
    }
  });

  test("the oracle's scan agrees with the truth of both dumps", () => {
    expectOracleAgrees(sample, largeRecord(sample.truth.heaps));
    expectOracleAgrees(sample.later, largeRecord(sample.later.truth.heaps));
  });

  test("the planted leaks: the giant holds the most bytes, the small blocks are the most and leak the most", () => {
    const { heaps, triage } = sample.truth;
    const { smallBlocks, giant, lfhBucket, segmentHeap } = triage.suspects;
    expect(smallBlocks).toMatchObject({ count: SAMPLE_SPEC.smallBlocks!.count, unreachable: SAMPLE_SPEC.smallBlocks!.count, userSize: SAMPLE_SPEC.smallBlocks!.request });
    expect(giant).toMatchObject({ userSize: 0x400000, referrer: { symbol: "session!g_frameCache" } });
    expect(lfhBucket!.unreachable).toBe(lfhBucket!.count);
    expect(segmentHeap).toMatchObject({ count: SAMPLE_SPEC.segmentHeapLeak!.count, unreachable: SAMPLE_SPEC.segmentHeapLeak!.count });
    expect(ranking(heaps, bytesHeld)[0]).toEqual(giant!.blocks);
    expect(ranking(heaps, blockCount)[0]).toEqual(smallBlocks!.blocks);
    expect(ranking(heaps, unreachableBytes)[0]).toEqual(smallBlocks!.blocks);
    const unreachable = sorted([smallBlocks!, lfhBucket!, segmentHeap!].flatMap((s) => s.blocks));
    expect(sample.truth.leaks.unreachable).toEqual(unreachable);
  });

  test("later: the leaking stack has 600 more blocks", () => {
    const added = SAMPLE_LATER.smallBlocks!.count - SAMPLE_SPEC.smallBlocks!.count;
    expect(sample.growth[0]).toEqual({ stack: sample.later.truth.triage.suspects.smallBlocks!.stack, count: added, bytes: added * SAMPLE_SPEC.smallBlocks!.request });
    expect(sample.later.truth.triage.suspects.giant!.count).toBe(1);
  });
});
